//! The harness against the real suite on the same peer: runs the harness's catalog
//! against a peer (a server at a URL, or a client driven through the fuzzing server) and
//! compares its verdicts with the suite's golden data for that peer
//! (`conformance/expected/suite/<peer>-<role>.json`). Used by
//! `conformance/tests/suite_agreement.rs` and `benches/tests/suite_agreement.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::peer::Spawned;
use crate::suite::{Agreement, Verdicts, compare};
use crate::{CaseFilter, FuzzingServer, Options, Profile, cases, run_against_server};

/// What a comparison needs to pass: agreement on at least this share of the cases.
pub const MIN_AGREEMENT: f64 = 99.0;

/// `conformance/expected/suite/<stem>.json`.
pub fn suite_file(stem: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("expected/suite")
        .join(format!("{stem}.json"))
}

/// `conformance/expected/harness/<stem>.json`.
pub fn harness_file(stem: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("expected/harness")
        .join(format!("{stem}.json"))
}

/// The cases of sections 12 and 13 compared by default: the first of each group (1,000
/// round trips of 16 bytes; the whole of 12 and 13 takes a quarter of an hour per peer).
pub const DEFLATE_SAMPLE: &str =
    "12.1.1,12.2.1,12.3.1,12.4.1,12.5.1,13.1.1,13.2.1,13.3.1,13.4.1,13.5.1,13.6.1,13.7.1";

/// The cases to compare (of those the suite file has): sections 1–10 and
/// [`DEFLATE_SAMPLE`], unless `SOCKEYE_AGREEMENT_CASES` gives patterns.
pub fn default_filter() -> CaseFilter {
    let spec = std::env::var("SOCKEYE_AGREEMENT_CASES")
        .unwrap_or_else(|_| format!("1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,{DEFLATE_SAMPLE}"));
    CaseFilter::parse(&spec)
}

/// The suite's catalog with the suite's timers (what is compared with the suite).
pub fn suite_options(agent: &str) -> Options {
    Options {
        profile: Profile::Full,
        agent: Some(agent.to_owned()),
        ..Options::default()
    }
}

/// The suite's verdicts restricted to the cases `filter` selects.
fn restrict(mut suite: Verdicts, filter: &CaseFilter) -> Verdicts {
    suite.cases.retain(|id, _| filter.matches(id));
    suite
}

/// Runs the harness against the server at `url` on the cases of `stem`'s suite file.
///
/// # Errors
/// The suite file is missing or unreadable, or the URL is not usable.
pub fn against_server(
    stem: &str,
    url: &str,
    peer_version: Option<String>,
    filter: &CaseFilter,
) -> Result<(Agreement, Verdicts), String> {
    let suite = restrict(Verdicts::load(&suite_file(stem))?, filter);
    let ids: Vec<String> = suite.cases.keys().cloned().collect();
    let only = CaseFilter::parse(&ids.join(","));
    let report = run_against_server(url, &only, &suite_options(stem))?;
    let harness = Verdicts::from_report(&report, peer_version);
    Ok((compare(&suite, &harness), harness))
}

/// Runs the harness's fuzzing server on the cases of `stem`'s suite file and the client
/// `start` launches with its URL; the client must drive every case and exit.
///
/// # Errors
/// The suite file is missing, the client does not start or does not finish in
/// `timeout`, or no report arrived for `agent`.
pub fn against_client(
    stem: &str,
    agent: &str,
    filter: &CaseFilter,
    timeout: Duration,
    start: impl FnOnce(&str) -> std::io::Result<Spawned>,
) -> Result<(Agreement, Verdicts), String> {
    let suite = restrict(Verdicts::load(&suite_file(stem))?, filter);
    let ids: Vec<String> = suite.cases.keys().cloned().collect();
    let only = CaseFilter::parse(&ids.join(","));
    let opts = suite_options(agent);
    let selected = cases(&only, &opts);
    let server = FuzzingServer::bind("127.0.0.1:0", selected, opts, None)
        .map_err(|e| e.to_string())?
        .spawn()
        .map_err(|e| e.to_string())?;
    let url = format!("ws://{}", server.addr());
    let mut client = start(&url).map_err(|e| format!("starting the {agent} client: {e}"))?;
    let version = client.first_line(Duration::from_secs(30));
    let finished = client.wait(timeout);
    client.stop();
    let reports = server.stop();
    if finished.is_none() {
        return Err(format!(
            "the {agent} client did not finish within {timeout:?}"
        ));
    }
    let report = reports
        .into_iter()
        .find(|r| r.agent == agent)
        .ok_or_else(|| {
            format!(
                "no report for agent {agent}; client output: {:?}",
                client.seen
            )
        })?;
    let harness = Verdicts::from_report(&report, version);
    Ok((compare(&suite, &harness), harness))
}

/// Whether `a` passes: at least [`MIN_AGREEMENT`] percent, and every case the suite
/// FAILED is not OK for the harness either. The text says how it went either way.
pub fn verdict(stem: &str, a: &Agreement) -> Result<String, String> {
    let mut s = format!(
        "{stem}: {} cases, {} with the suite's verdicts ({:.1}%)",
        a.cases,
        a.agree,
        a.percent()
    );
    for d in &a.disagreements {
        s.push_str(&format!(
            "\n  {}: suite {} / {}, harness {} / {}",
            d.id,
            d.suite.behavior,
            d.suite.behavior_close,
            d.harness.behavior,
            d.harness.behavior_close
        ));
    }
    if !a.unmatched.is_empty() {
        s.push_str(&format!("\n  not run by both: {:?}", a.unmatched));
    }
    if a.cases == 0
        || a.percent() < MIN_AGREEMENT
        || !a.missed_failures.is_empty()
        || !a.unmatched.is_empty()
    {
        s.push_str(&format!(
            "\n  FAILS: needs {MIN_AGREEMENT}% and no case the suite FAILED called OK (missed: {:?})",
            a.missed_failures
        ));
        return Err(s);
    }
    Ok(s)
}

/// With `SOCKEYE_WRITE_HARNESS_VERDICTS=1`, writes the harness's verdicts to
/// `conformance/expected/harness/<stem>.json` (what `docs/conformance.md` compares).
pub fn maybe_write(stem: &str, harness: &Verdicts) -> Result<(), String> {
    if std::env::var("SOCKEYE_WRITE_HARNESS_VERDICTS").as_deref() != Ok("1") {
        return Ok(());
    }
    let path = harness_file(stem);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&path, harness.to_json()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Where `.ci/interop-setup.sh` installs the peers: `target/interop` under the workspace,
/// or `$SOCKEYE_INTEROP_DIR`.
pub fn interop_dir() -> PathBuf {
    std::env::var_os("SOCKEYE_INTEROP_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop"),
        PathBuf::from,
    )
}

/// A peer script in `conformance/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join(name)
}
