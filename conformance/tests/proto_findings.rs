//! Findings about sockeye-proto, kept as tests. An `#[ignore]`d test here fails today and
//! documents a reported issue; run them with `cargo test -p sockeye-conformance --test
//! proto_findings -- --ignored`. When the issue is fixed, the `#[ignore]` goes and the test
//! stays as a regression test.

use sockeye_conformance::{
    CaseFilter, Chunking, Options, PollPolicy, SutRole, Verdict, run_in_memory,
};
use sockeye_proto::Config;

fn run(filter: &str, poll: PollPolicy, role: SutRole) -> Vec<(String, Verdict, String)> {
    let opts = Options {
        memory_poll: poll,
        ..Options::default()
    };
    run_in_memory(
        role,
        &Config::default(),
        Chunking::Whole,
        &CaseFilter::parse(filter),
        &opts,
    )
    .results
    .into_iter()
    .map(|r| (r.id.clone(), r.behavior, r.reason()))
    .collect()
}

/// Case 5.6 (text fragment, ping, last fragment, written back to back so they arrive in
/// one read), driven the way sockeye-proto's crate documentation shows: `recv` until the
/// read is consumed, echoing each message with `sender.send_text(.., &mut out)`, then one
/// `poll_transmit(&mut out)`. Found here: the auto-pong waited in the control queue while
/// the echo went straight to `out`, so the peer saw the echo first although the ping came
/// first (§5.5.2 "as soon as is practical"; Autobahn expects the pong first). Fixed in
/// sockeye-proto: every frame the application sends is preceded by the queued control
/// frames. Now a regression test over all of section 5.
#[test]
fn documented_driver_loop_keeps_the_pong_before_the_echo() {
    for role in [SutRole::Server, SutRole::Client] {
        for (id, verdict, why) in run("5.*", PollPolicy::PerRead, role) {
            assert_eq!(verdict, Verdict::Ok, "{role:?} {id}: {why}");
        }
    }
}

/// The same case with a per-event poll (what sockeye-server does) is OK.
#[test]
fn per_event_poll_keeps_the_pong_before_the_echo() {
    for role in [SutRole::Server, SutRole::Client] {
        for (id, verdict, why) in run("5.*", PollPolicy::PerEvent, role) {
            assert_eq!(verdict, Verdict::Ok, "{role:?} {id}: {why}");
        }
    }
}
