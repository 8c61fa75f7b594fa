//! A live market ticker in the browser: a publisher makes `--rate` price updates a second
//! for `--symbols` symbols; pages subscribe to the symbols they want.
//!
//! ```text
//! cargo run --release -p sockeye-server --example ticker -- 127.0.0.1:9003 --rate 200 --symbols 8
//! # then open http://127.0.0.1:9003/ (add ?slow=300 to play a page that is slow to keep up)
//! ```
//!
//! A slow subscriber gets conflated updates, not a growing queue: each connection may
//! have at most [`WINDOW`] batches unacknowledged. While it is at that bound, new prices
//! replace the pending ones per symbol (the latest price wins, the count of replaced
//! updates goes with the next batch), and the batch goes out when the page's `ack`
//! arrives. A page that falls behind sees fewer, fresher updates; one that stops reading
//! costs the server one price per symbol. Each update carries the publisher's time, so
//! the page shows its end-to-end latency.
//!
//! JSON text messages. Client to server: `{"type":"list"}`, `{"type":"sub","symbol":S}`,
//! `{"type":"unsub","symbol":S}`, `{"type":"ack","seq":N}`. Server to client: `symbols`
//! (names and prices, the rate), `prices` (`seq`, `conflated`, and `u`: a list of
//! `[symbol, price, publisher time in ms]`).
//!
//! As a cluster: `--redis URL` on every node, and `--publish no` on all but the
//! publishing one. The publisher's updates go through [`sockeye_pubsub::Bridge`] (channel
//! `ticker:prices`); every node applies them to its own subscribers with the same
//! conflation, so a slow subscriber on any node costs only its node one price per symbol.

mod demo;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sockeye_server::{
    Accept, CloseCode, Closed, ConnId, Context, Handler, HttpRequest, Message, Refusal, Reject,
    Request, ServerConfig,
};

/// Unacknowledged batches a subscriber may have.
const WINDOW: u32 = 2;
/// The broker channel of the price feed, in a cluster.
const PRICES: &str = "ticker:prices";
const NAMES: [&str; 12] = [
    "SKYE", "COHO", "CHUM", "PINK", "KOKA", "CHNK", "TROU", "CHAR", "GRAY", "PIKE", "PRCH", "CARP",
];

/// One subscriber's part of the market.
#[derive(Default)]
struct Sub {
    symbols: BTreeSet<usize>,
    /// The latest price per symbol not yet sent, with its publisher time.
    pending: BTreeMap<usize, (f64, f64)>,
    /// Updates replaced in `pending` before they went out.
    conflated: u64,
    in_flight: u32,
    seq: u64,
}

impl Sub {
    /// The next batch, if there is something to send and the window allows it.
    fn batch(&mut self, names: &[String]) -> Option<String> {
        if self.in_flight >= WINDOW || self.pending.is_empty() {
            return None;
        }
        self.in_flight += 1;
        self.seq += 1;
        let u: Vec<Value> = std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(s, (price, ts))| json!([names[s], (price * 100.0).round() / 100.0, ts]))
            .collect();
        let msg = json!({"type": "prices", "seq": self.seq, "conflated": self.conflated, "u": u});
        Some(msg.to_string())
    }
}

struct Market {
    names: Vec<String>,
    prices: Vec<f64>,
    subs: HashMap<ConnId, Sub>,
}

struct Ticker {
    assets: sockeye_server::Assets,
    market: Arc<Mutex<Market>>,
    rate: u32,
}

fn lock(m: &Mutex<Market>) -> std::sync::MutexGuard<'_, Market> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Handler for Ticker {
    type State = ();
    const SERVES_HTTP: bool = true;

    fn on_http(&self, request: &HttpRequest) -> Reject {
        demo::health(request).unwrap_or_else(|| self.assets.respond(request))
    }

    fn on_open(&self, request: &Request, id: ConnId) -> Result<((), Accept), Refusal> {
        if request.path() != "/ticker" {
            return Err(Reject::new(404).expect("404 is a valid status").into());
        }
        demo::admit()?;
        lock(&self.market).subs.insert(id, Sub::default());
        Ok(((), Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
        let Some(msg) = (match message {
            Message::Text(t) => serde_json::from_str::<Value>(t).ok(),
            Message::Binary(_) => None,
        }) else {
            cx.close(CloseCode::POLICY_VIOLATION, "JSON text only");
            return;
        };
        let field = |k: &str| msg.get(k).and_then(Value::as_str).unwrap_or_default();
        let mut market = lock(&self.market);
        let Market {
            names,
            prices,
            subs,
        } = &mut *market;
        let symbol = names.iter().position(|n| n == field("symbol"));
        let Some(sub) = subs.get_mut(&cx.id()) else {
            return;
        };
        match (field("type"), symbol) {
            ("list", _) => {
                let symbols: Vec<Value> = names
                    .iter()
                    .zip(prices.iter())
                    .map(|(n, p)| json!({"name": n, "price": (p * 100.0).round() / 100.0}))
                    .collect();
                let list = json!({"type": "symbols", "symbols": symbols, "rate": self.rate});
                let _ = cx.send_text(&list.to_string());
            }
            ("sub", Some(s)) => {
                sub.symbols.insert(s);
            }
            ("unsub", Some(s)) => {
                sub.symbols.remove(&s);
                sub.pending.remove(&s);
            }
            ("ack", _) => {
                sub.in_flight = sub.in_flight.saturating_sub(1);
                // What piled up while the window was full goes now, conflated. Through
                // the handle, like the publisher's sends: one queue, so batches reach
                // the wire in `seq` order (both push under the market lock).
                if let Some(batch) = sub.batch(names) {
                    let _ = cx.handle().send_text(cx.id(), &batch);
                }
            }
            _ => {
                cx.close(CloseCode::POLICY_VIOLATION, "unknown message or symbol");
            }
        }
    }

    fn on_close(&self, id: ConnId, _: (), _: Closed) {
        lock(&self.market).subs.remove(&id);
    }
}

/// The publisher: `rate` updates a second, round-robin over the symbols, each a small
/// random step, applied here ([`apply`]) and, in a cluster, sent to the other nodes.
fn publish(
    market: &Mutex<Market>,
    late: &demo::LateHandle,
    rate: u32,
    cluster: &OnceLock<sockeye_pubsub::Bridge>,
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ demo::now_ms().to_bits());
    let step = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let mut next = Instant::now();
    let mut symbol = 0;
    loop {
        next += step;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let Some(handle) = late.get() else { continue };
        if handle.is_shutting_down() {
            return;
        }
        let mut m = lock(market);
        symbol = (symbol + 1) % m.names.len();
        let price = m.prices[symbol] * (1.0 + (rng.unit() - 0.5) * 0.004);
        let (price, ts) = (price.max(0.01), demo::now_ms());
        apply(&mut m, handle, symbol, price, ts);
        drop(m);
        if let Some(bridge) = cluster.get() {
            let _ = bridge.publish_text(PRICES, &json!([symbol, price, ts]).to_string());
        }
    }
}

/// One price update: every subscriber of the symbol gets it now if its window allows,
/// else it replaces the pending price (conflation).
fn apply(
    m: &mut Market,
    handle: &sockeye_server::ServerHandle,
    symbol: usize,
    price: f64,
    ts: f64,
) {
    let Market {
        names,
        prices,
        subs,
    } = m;
    let Some(p) = prices.get_mut(symbol) else {
        return;
    };
    *p = price;
    for (id, sub) in subs.iter_mut() {
        if !sub.symbols.contains(&symbol) {
            continue;
        }
        if sub.pending.insert(symbol, (price, ts)).is_some() {
            sub.conflated += 1;
        }
        if let Some(batch) = sub.batch(names) {
            let _ = handle.send_text(*id, &batch);
        }
    }
}

/// xorshift64*: prices need no cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = demo::Args::parse("127.0.0.1:9003")?;
    args.only(&["rate", "symbols", "redis", "publish"])?;
    let rate: u32 = args.get("rate", 200)?;
    let symbols: usize = args.get("symbols", 8)?;
    let symbols = symbols.clamp(1, 1000);
    let redis_url: String = args.get("redis", String::new())?;
    // In a cluster, one node (or a few, for redundancy) runs the publisher.
    let publishes = args.get("publish", "yes".to_owned())? != "no";
    let names: Vec<String> = (0..symbols)
        .map(|i| {
            NAMES
                .get(i)
                .map_or_else(|| format!("S{i:03}"), |n| (*n).to_owned())
        })
        .collect();
    let prices = (0..symbols).map(|i| 20.0 + 7.5 * i as f64).collect();
    let market = Arc::new(Mutex::new(Market {
        names,
        prices,
        subs: HashMap::new(),
    }));
    let late = demo::LateHandle::default();
    let cluster: Arc<OnceLock<sockeye_pubsub::Bridge>> = Arc::default();
    if publishes {
        let (market, late, cluster) = (market.clone(), late.clone(), cluster.clone());
        std::thread::spawn(move || publish(&market, &late, rate, &cluster));
    }
    let assets = demo::assets()
        .file("/", include_str!("web/ticker/index.html"))
        .file("/ticker.js", include_str!("web/ticker/ticker.js"));
    let ticker = Ticker {
        assets,
        market: market.clone(),
        rate,
    };
    let on_bound =
        |handle: &sockeye_server::ServerHandle| -> Result<(), Box<dyn std::error::Error>> {
            if redis_url.is_empty() {
                return Ok(());
            }
            // Random: a process id and a start time can repeat across containers.
            let node: u64 = rand::random();
            let handle2 = handle.clone();
            // Prices from the publishing node go through this node's conflation, like its own.
            let listener: sockeye_pubsub::Listener = Box::new(move |remote| {
                if remote.channel != PRICES {
                    return;
                }
                let Ok(Value::Array(u)) = serde_json::from_slice::<Value>(remote.payload) else {
                    return;
                };
                if let [Some(symbol), Some(price), Some(ts)] =
                    [u.first(), u.get(1), u.get(2)].map(|v| v.and_then(Value::as_f64))
                {
                    apply(&mut lock(&market), &handle2, symbol as usize, price, ts);
                }
            });
            let bridge = sockeye_pubsub::Bridge::start_listening(
                sockeye_pubsub::BridgeConfig::new(redis_url.clone(), node),
                handle.clone(),
                listener,
            )?;
            let _ = cluster.set(bridge);
            Ok(())
        };
    demo::serve(
        "ticker",
        ServerConfig::default(),
        ticker,
        &args,
        &late,
        on_bound,
    )
}
