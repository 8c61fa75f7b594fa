//! A shared board in the browser (the seed's games case): every player paints cells of
//! one grid, and the server sends what changed as a binary diff at a fixed tick.
//!
//! ```text
//! cargo run --release -p sockeye-server --example board -- 127.0.0.1:9004 --tick-ms 50
//! # then open http://127.0.0.1:9004/ in two browser windows
//! ```
//!
//! The server's board is the truth: paints are applied as they arrive, and every
//! `--tick-ms` the changes since the last tick (the last color per cell) go to every
//! player as one binary message, framed once. A newcomer gets the whole board.
//!
//! Binary messages. Client to server: `[0]` (hello: send me the board), `[1, x, y, color]`
//! (paint). Server to client: `[0, width, height, cells...]` (the board, one byte per
//! cell, row by row), `[1, tick: u32 LE, players: u16 LE, count: u16 LE, count × (cell:
//! u16 LE, color)]` (a tick's diff).

mod demo;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sockeye_server::{
    Accept, CloseCode, Closed, ConnId, Context, Handler, HttpRequest, Message, Refusal, Reject,
    Request, ServerConfig,
};

const WIDTH: u8 = 48;
const HEIGHT: u8 = 32;
/// Colors a cell may have (0 is the background).
const PALETTE: u8 = 8;

#[derive(Default)]
struct Game {
    cells: Vec<u8>,
    /// Cells painted since the last tick, with their latest color.
    changed: BTreeMap<u16, u8>,
    players: BTreeSet<ConnId>,
    /// The player count changed since the last tick.
    players_changed: bool,
}

struct Board {
    assets: sockeye_server::Assets,
    game: Arc<Mutex<Game>>,
}

fn lock(g: &Mutex<Game>) -> std::sync::MutexGuard<'_, Game> {
    g.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Handler for Board {
    type State = ();
    const SERVES_HTTP: bool = true;

    fn on_http(&self, request: &HttpRequest) -> Reject {
        demo::health(request).unwrap_or_else(|| self.assets.respond(request))
    }

    fn on_open(&self, request: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
        if request.path() != "/board" {
            return Err(Reject::new(404).expect("404 is a valid status").into());
        }
        demo::admit()?;
        Ok(((), Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
        let mut game = lock(&self.game);
        match message {
            Message::Binary([0]) => {
                let mut board = vec![0, WIDTH, HEIGHT];
                board.extend_from_slice(&game.cells);
                let _ = cx.send_binary(&board);
                game.players_changed |= game.players.insert(cx.id());
            }
            Message::Binary(&[1, x, y, color])
                if x < WIDTH
                    && y < HEIGHT
                    && color < PALETTE
                    && game.players.contains(&cx.id()) =>
            {
                let cell = u16::from(y) * u16::from(WIDTH) + u16::from(x);
                if let Some(c) = game.cells.get_mut(usize::from(cell)) {
                    *c = color;
                }
                game.changed.insert(cell, color);
            }
            _ => {
                cx.close(
                    CloseCode::POLICY_VIOLATION,
                    "hello first, then paints on the board",
                );
            }
        }
    }

    fn on_close(&self, id: ConnId, _: (), _: Closed) {
        let mut game = lock(&self.game);
        game.players_changed |= game.players.remove(&id);
    }
}

/// Every `tick`: the changes since the last one, to every player, as one message.
fn ticks(game: &Mutex<Game>, late: &demo::LateHandle, tick: Duration) {
    let mut next = Instant::now();
    let mut n: u32 = 0;
    loop {
        next += tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        n = n.wrapping_add(1);
        let Some(handle) = late.get() else { continue };
        if handle.is_shutting_down() {
            return;
        }
        let mut g = lock(game);
        if g.changed.is_empty() && !g.players_changed {
            continue;
        }
        let changed = std::mem::take(&mut g.changed);
        g.players_changed = false;
        let players = u16::try_from(g.players.len()).unwrap_or(u16::MAX);
        let count = u16::try_from(changed.len()).unwrap_or(u16::MAX);
        let mut diff = Vec::with_capacity(9 + 3 * changed.len());
        diff.push(1);
        diff.extend_from_slice(&n.to_le_bytes());
        diff.extend_from_slice(&players.to_le_bytes());
        diff.extend_from_slice(&count.to_le_bytes());
        for (cell, color) in changed {
            diff.extend_from_slice(&cell.to_le_bytes());
            diff.push(color);
        }
        let ids: Vec<ConnId> = g.players.iter().copied().collect();
        drop(g);
        let _ = handle.broadcast_binary_to(&ids, &diff);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = demo::Args::parse("127.0.0.1:9004")?;
    args.only(&["tick-ms"])?;
    let tick = Duration::from_millis(args.get("tick-ms", 50u64)?.clamp(1, 10_000));
    let game = Arc::new(Mutex::new(Game {
        cells: vec![0; usize::from(WIDTH) * usize::from(HEIGHT)],
        ..Game::default()
    }));
    let late = demo::LateHandle::default();
    {
        let (game, late) = (game.clone(), late.clone());
        std::thread::spawn(move || ticks(&game, &late, tick));
    }
    let assets = demo::assets()
        .file("/", include_str!("web/board/index.html"))
        .file("/board.js", include_str!("web/board/board.js"));
    let board = Board { assets, game };
    demo::serve(
        "board",
        ServerConfig::default(),
        board,
        &args,
        &late,
        |_| Ok(()),
    )
}
