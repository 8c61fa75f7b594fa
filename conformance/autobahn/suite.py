"""Runs the real Autobahn|Testsuite (wstest, installed by install.sh) against one peer in
one role, checks every case, and writes its verdicts.

    python3 suite.py server --agent NAME [options] -- CMD [ARG...]   # CMD prints its ws:// URL
    python3 suite.py server --agent NAME --url ws://127.0.0.1:PORT [options]
    python3 suite.py client --agent NAME [options] -- CMD [ARG...] {url} [ARG...]

`server`: the peer is a server; wstest's fuzzingclient tests it. CMD is started, its
first stdout line with a `ws://` or `wss://` URL says where it listens (wstest connects
over TLS to a wss:// URL; it does not check the certificate), and it is stopped (by PID)
at the end; or `--url` names a server that is already running.
`client`: the peer is a client; wstest's fuzzingserver listens on 127.0.0.1 only (through
wstest_loopback.py) on a free port, and CMD runs with `{url}` replaced by
`ws://127.0.0.1:PORT` (it must drive /getCaseCount, /runCase, /updateReports and exit);
with --tls-cert and --tls-key the fuzzingserver serves `wss://127.0.0.1:PORT` instead.

Options:
  --cases PATTERNS     comma-separated wstest case patterns (default `*`: every case)
  --exclude PATTERNS   comma-separated patterns to leave out
  --out DIR            where spec, logs and wstest's reports go (default target/autobahn/runs/AGENT-ROLE)
  --json FILE          also write the verdicts as JSON: {agent, role, peer_version, suite,
                       cases: {id: {behavior, behaviorClose}}} (the golden-data shape of
                       conformance/expected/suite/)
  --merge              with --json: keep the cases already in the file that this run did not
                       run (e.g. sections 12 and 13 recorded separately); the file lists
                       each run's case patterns and time
  --peer-version TEXT  recorded in --json (default: the first word after the agent's name
                       on the peer's first stdout line, if any)
  --strict             exit 1 unless every case is OK or INFORMATIONAL in both behavior
                       and behaviorClose (UNIMPLEMENTED counts as not strict)
  --allow-unimplemented  with --strict, UNIMPLEMENTED passes too
  --tls-cert FILE, --tls-key FILE
                       client role: the fuzzingserver serves wss:// with this PEM
                       certificate and key (the client must trust its issuer)
  --timeout SECONDS    the whole run (default 3600); past it every process is stopped and
                       the run fails

Prints a summary: cases per verdict, the cases that are not strict, the run time. Every
process it starts is stopped by PID, also on errors and Ctrl-C.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUITE_VERSION = "25.10.1"
STRICT = {"OK", "INFORMATIONAL"}


def say(msg):
    print(f"autobahn: {msg}", flush=True)


class Proc:
    """A child process with its output in a log file, stopped by PID."""

    def __init__(self, name, argv, log_path, env=None, watch_url=False):
        self.name = name
        self.log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.first_lines = []
        self.url = None
        self._url_seen = threading.Event()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=env, text=True,
                                  errors="replace", start_new_session=True)
        self.watch_url = watch_url
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.log.write(line)
            self.log.flush()
            if len(self.first_lines) < 5:
                self.first_lines.append(line.rstrip("\n"))
            if self.watch_url and self.url is None:
                m = re.search(r"wss?://[^\s\"']+", line)
                if m:
                    self.url = m.group(0)
                    self._url_seen.set()
        self._url_seen.set()

    def wait_url(self, timeout):
        self._url_seen.wait(timeout)
        return self.url

    def wait(self, timeout):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM to the PID, SIGKILL after 5 s; reaps it."""
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait(5) is None:
                try:
                    os.kill(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self._reader.join(timeout=5)
        self.log.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def wstest(ab):
    return os.path.join(ab, "venv", "bin", "wstest"), os.path.join(ab, "venv", "bin", "python")


def patterns(text):
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def id_key(case_id):
    return [int(x) for x in case_id.split(".")]


def run(args):
    ab = os.environ.get("AUTOBAHN_DIR", os.path.join(ROOT, "target", "autobahn"))
    wstest_bin, py27 = wstest(ab)
    if not os.path.exists(wstest_bin):
        say(f"no wstest at {wstest_bin}: run conformance/autobahn/install.sh")
        return 2
    out = os.path.abspath(args.out or os.path.join(ab, "runs", f"{args.agent}-{args.role}"))
    os.makedirs(out, exist_ok=True)
    reports = os.path.join(out, "reports", "servers" if args.role == "server" else "clients")
    index_path = os.path.join(reports, "index.json")
    if os.path.exists(index_path):
        os.remove(index_path)
    spec = {
        "outdir": reports,
        "cases": patterns(args.cases) or ["*"],
        "exclude-cases": patterns(args.exclude),
        "exclude-agent-cases": {},
    }
    procs = []
    started = time.monotonic()
    deadline = started + args.timeout
    peer = None
    try:
        if args.role == "server":
            url = args.url
            if not url:
                if not args.cmd:
                    say("server: give --url or a command after --")
                    return 2
                peer = Proc(args.agent, args.cmd, os.path.join(out, "peer.log"), watch_url=True)
                procs.append(peer)
                url = peer.wait_url(60)
                if not url:
                    say(f"the peer printed no ws:// or wss:// URL within 60 s: {peer.first_lines}")
                    return 2
            say(f"server role: {args.agent} at {url}")
            spec["servers"] = [{"agent": args.agent, "url": url}]
            spec_path = os.path.join(out, "spec.json")
            with open(spec_path, "w") as f:
                json.dump(spec, f, indent=2)
            tester = Proc("wstest", [wstest_bin, "-m", "fuzzingclient", "-s", spec_path],
                          os.path.join(out, "wstest.log"))
            procs.append(tester)
            code = tester.wait(max(1, deadline - time.monotonic()))
            if code is None:
                say(f"wstest did not finish within {args.timeout} s")
                return 1
        else:
            if not args.cmd or not any("{url}" in a for a in args.cmd):
                say("client: give the client's command after --, with {url} for the server")
                return 2
            port = free_port()
            scheme = "wss" if args.tls_cert else "ws"
            spec["url"] = f"{scheme}://127.0.0.1:{port}"
            if args.tls_cert:
                spec["cert"] = os.path.abspath(args.tls_cert)
                spec["key"] = os.path.abspath(args.tls_key)
            spec_path = os.path.join(out, "spec.json")
            with open(spec_path, "w") as f:
                json.dump(spec, f, indent=2)
            tester = Proc("wstest", [py27, os.path.join(HERE, "wstest_loopback.py"),
                                     "-m", "fuzzingserver", "-s", spec_path, "-u", "0"],
                          os.path.join(out, "wstest.log"))
            procs.append(tester)
            if not wait_listening(port, tester, 60):
                say(f"the fuzzingserver is not listening on {port}; see {tester.log.name}")
                return 2
            say(f"client role: {args.agent} against {spec['url']}")
            argv = [a.replace("{url}", spec["url"]) for a in args.cmd]
            peer = Proc(args.agent, argv, os.path.join(out, "peer.log"))
            procs.append(peer)
            code = peer.wait(max(1, deadline - time.monotonic()))
            if code is None:
                say(f"the client did not finish within {args.timeout} s")
                return 1
            # /updateReports is answered after the reports are written; give the files a
            # moment to land before reading them.
            for _ in range(50):
                if os.path.exists(index_path):
                    break
                time.sleep(0.1)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        for p in reversed(procs):
            p.stop()
    elapsed = time.monotonic() - started
    if not os.path.exists(index_path):
        say(f"no report at {index_path}; logs in {out}")
        return 1
    with open(index_path) as f:
        index = json.load(f)
    cases = index.get(args.agent) or next(iter(index.values()), {})
    return summarize(args, cases, elapsed, peer, out)


def peer_version(args, peer):
    if args.peer_version:
        return args.peer_version
    for line in (peer.first_lines if peer else []):
        words = line.split()
        if len(words) >= 2:
            return " ".join(words[:2])
    return None


def summarize(args, cases, elapsed, peer, out):
    ids = sorted(cases, key=id_key)
    behavior = Counter(cases[i]["behavior"] for i in ids)
    close = Counter(cases[i]["behaviorClose"] for i in ids)
    strict = STRICT | ({"UNIMPLEMENTED"} if args.allow_unimplemented else set())
    bad = [i for i in ids
           if cases[i]["behavior"] not in strict or cases[i]["behaviorClose"] not in strict]
    role = "server" if args.role == "server" else "client"
    print(f"\n== Autobahn|Testsuite {SUITE_VERSION}: {args.agent} as a {role} ==")
    print(f"cases: {len(ids)}   run time: {elapsed:.1f} s   reports: {out}")
    print("behavior:      " + ", ".join(f"{n} {v}" for v, n in sorted(behavior.items())))
    print("behaviorClose: " + ", ".join(f"{n} {v}" for v, n in sorted(close.items())))
    for i in bad[:60]:
        print(f"  not strict: {i:<8} {cases[i]['behavior']:<13} {cases[i]['behaviorClose']}")
    if len(bad) > 60:
        print(f"  ... and {len(bad) - 60} more")
    if args.json:
        cases_out = {i: {"behavior": cases[i]["behavior"],
                         "behaviorClose": cases[i]["behaviorClose"]} for i in ids}
        runs = []
        if args.merge and os.path.exists(args.json):
            with open(args.json) as f:
                previous = json.load(f)
            old = previous.get("cases", {})
            old.update(cases_out)
            cases_out = {i: old[i] for i in sorted(old, key=id_key)}
            runs = [r for r in previous.get("runs", []) if r.get("cases") != args.cases]
        runs.append({"cases": args.cases, "seconds": round(elapsed, 1)})
        doc = {
            "agent": args.agent,
            "role": role,
            "peer_version": peer_version(args, peer),
            "suite": f"autobahntestsuite {SUITE_VERSION}",
            "runs": runs,
            "cases": cases_out,
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"verdicts written to {args.json}")
    if not ids:
        say("the report lists no case")
        return 1
    if args.strict and bad:
        print(f"FAIL: {len(bad)} of {len(ids)} cases are not strict")
        return 1
    return 0


def main():
    argv = sys.argv[1:]
    cmd = []
    if "--" in argv:
        at = argv.index("--")
        argv, cmd = argv[:at], argv[at + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--agent", required=True)
    p.add_argument("--url")
    p.add_argument("--cases", default=os.environ.get("AUTOBAHN_CASES", "*"))
    p.add_argument("--exclude", default="")
    p.add_argument("--out")
    p.add_argument("--json")
    p.add_argument("--merge", action="store_true")
    p.add_argument("--peer-version")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--allow-unimplemented", action="store_true")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    args.cmd = cmd
    sys.exit(run(args))


if __name__ == "__main__":
    main()
