#!/usr/bin/env python3
"""The lessons added for the stream's questions (python, reject, close,
unix, restart): `sockbench lesson NAME --quick`, real runs in private
network namespaces, then every figure checked to exist and two captions
checked against the run files.  One lesson per ctest entry, so that ctest
runs them side by side.
"""
import argparse, glob, json, os, re, statistics, struct, subprocess, sys, tempfile, time, shutil

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.environ.get("SOCKBENCH_BIN", "build/sockbench"))
ap.add_argument("--lesson", required=True)
args = ap.parse_args()
BIN = os.path.abspath(args.bin)
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from figlib import Checks, png_size, runs_of  # noqa: E402

CK = Checks(verbose=True)
check = CK.check


def caption(stdout, fig):
    m = re.search(rf"^  {fig}: (.*)", stdout, re.M)
    return m.group(1) if m else ""


def med(xs):
    return statistics.median(xs)


def errs(r, *keys):
    return sum(r["load"]["errors"].get(k, 0) for k in keys)


def tries(r):
    return r["load"]["requests"]["completed"] + sum(r["load"]["errors"].values())


# --- per lesson: the figures, and captions against the run files ---------

def check_python(out, stdout):
    runs = runs_of(out)
    cap, fair = caption(stdout, "models"), caption(stdout, "fairness")
    top = max(int(r["sweep"]["values"]["conns"]) for r in runs)
    models = {r["sweep"]["values"]["models"] for r in runs}
    check(any(m.startswith("py-") for m in models) and models - {m for m in models
                                                                  if m.startswith("py-")},
          "python lesson: Python and C models side by side", "both", models)
    for model in sorted(models):
        rs = [r for r in runs if r["sweep"]["values"]["models"] == model
              and int(r["sweep"]["values"]["conns"]) == top]
        rps = med([r["load"]["throughput"]["requests_per_s"] for r in rs])
        check(f"{model}: {rps:.0f}/s at conns {top}" in cap,
              f"models caption: {model}'s req/s at {top} conns", f"{rps:.0f}/s", cap)
        served = med([r["load"]["connections"]["served"] for r in rs])
        check(f"{model}: {served:g} of {top}" in fair,
              f"fairness caption: {model}'s clients served", f"{served:g} of {top}", fair)
    # the tutorial's first server serves one client at a time: the truth
    # the figure must not hide
    rs = [r for r in runs if r["sweep"]["values"]["models"] == "py-blocking"
          and int(r["sweep"]["values"]["conns"]) == top]
    check(rs and all(r["load"]["connections"]["served"] == 1 for r in rs),
          "py-blocking serves one client of many", 1,
          [r["load"]["connections"]["served"] for r in rs])
    return ["models", "tail", "fairness"]


def case_runs(out, name):
    return runs_of(os.path.join(out, name))


def check_reject(out, stdout):
    cap = caption(stdout, "outcomes")
    want = {  # case: (outcome word in the caption, error keys)
        "no-listener": ("refused", ("ECONNREFUSED",)),
        "accept-reset": ("reset", ("ECONNRESET", "EPIPE")),
    }
    for case, (word, keys) in want.items():
        rs = case_runs(out, case)
        share = med([100.0 * errs(r, *keys) / max(1, tries(r)) for r in rs])
        check(f"{case}: {share:.0f}% {word}" in cap, f"outcomes caption: {case}",
              f"{share:.0f}% {word}", cap)
    # No listener: the kernel's RST answers in microseconds, at once.
    rs = case_runs(out, "no-listener")
    p50 = rs[0]["load"]["connections"]["failed_latency_us"]["p50"]
    check(p50 is not None and p50 < 1000, "no listener: refused within 1 ms", "< 1000 us", p50)
    check(rs[0]["server"]["accepted"] == 0, "no listener: nothing accepted", 0,
          rs[0]["server"]["accepted"])
    # A full queue refuses nothing: the SYN is dropped and retried after
    # the initial RTO, 1 s; the connects time out.
    for case in ("queue-full", "abort-overflow"):
        r = case_runs(out, case)[0]
        check(errs(r, "connect_timeout", "ETIMEDOUT") > 0 and
              errs(r, "ECONNREFUSED", "ECONNRESET") == 0,
              f"{case}: connects time out, none refused or reset", "timeouts only",
              r["load"]["errors"])
        fl = r["load"]["connections"]["failed_latency_us"]["p50"]
        check(fl is not None and fl >= 900_000, f"{case}: the client waited >= 0.9 s", ">= 900000 us",
              fl)
        check(r["kernel"]["delta"]["ListenOverflows"] > 0, f"{case}: ListenOverflows counted",
              "> 0", r["kernel"]["delta"]["ListenOverflows"])
    r = case_runs(out, "abort-overflow")[0]
    check(r["environment"]["sysctl"]["net.ipv4.tcp_abort_on_overflow"] in ("1", 1),
          "abort-overflow: the run's namespace had tcp_abort_on_overflow 1", 1,
          r["environment"]["sysctl"]["net.ipv4.tcp_abort_on_overflow"])
    r = case_runs(out, "accept-close")[0]
    check(r["server"]["closed_on_accept"] > 0 and errs(r, "eof") > 0,
          "accept-close: the server closed at once, the client read EOF", "> 0",
          (r["server"]["closed_on_accept"], r["load"]["errors"]))
    return ["outcomes"]


def check_unix(out, stdout):
    runs = runs_of(out)
    cap = caption(stdout, "models")
    top = max(int(r["sweep"]["values"]["conns"]) for r in runs)
    binds = {r["sweep"]["values"]["bind"] for r in runs}
    check(any(b.startswith("unix:") for b in binds) and "127.0.0.1" in binds,
          "unix lesson: TCP and a unix socket", "both", binds)
    for b in sorted(binds):
        rs = [r for r in runs if r["sweep"]["values"]["bind"] == b
              and int(r["sweep"]["values"]["conns"]) == top]
        check(all(r["config"]["target"].startswith("unix:") == b.startswith("unix:") for r in rs),
              f"{b}: the client connected over it", b, [r["config"]["target"] for r in rs])
        rps = med([r["load"]["throughput"]["requests_per_s"] for r in rs])
        check(f"{b}: {rps:.0f}/s at conns {top}" in cap, f"models caption: {b}",
              f"{rps:.0f}/s", cap)
    return ["models", "tail"]


def check_close(out, stdout):
    cap = caption(stdout, "close")
    for case in ("fin", "reset", "exit-unread", "server-first"):
        rs = case_runs(out, case)
        conns = rs[0]["config"]["load"]["conns"]
        fin = med([r["server"]["peer_fin"] / conns for r in rs])
        rst = med([r["server"]["peer_reset"] / conns for r in rs])
        saw = "the server closed first" if rs[0]["leave"]["first_close"] == "server" else \
            "the server saw " + ("RST" if rst > fin else "FIN" if fin > 0 else "neither")
        check(f"{case}: {saw};" in cap, f"close caption: {case}", saw, cap)
    r = case_runs(out, "fin")[0]
    n = r["config"]["load"]["conns"]
    st = r["tcp_states"]["after_leave"]
    check(r["server"]["peer_fin"] == n and st["client"].get("TIME_WAIT") == n and
          not st["server"].get("TIME_WAIT"),
          "fin: the server saw EOF on each, TIME_WAIT stays on the client", n, (r["server"], st))
    r = case_runs(out, "exit-unread")[0]
    check(r["server"]["peer_reset"] == n and r["kernel"]["delta"]["TCPAbortOnClose"] >= n,
          "exit with unread data: RST (TCPAbortOnClose)", n,
          (r["server"]["peer_reset"], r["kernel"]["delta"]["TCPAbortOnClose"]))
    r = case_runs(out, "exit")[0]
    check(r["server"]["peer_fin"] == n, "exit without unread data: FIN, as close()", n,
          r["server"]["peer_fin"])
    r = case_runs(out, "server-first")[0]
    # the server stopped first (after_stop: FIN_WAIT2 / CLOSE_WAIT), then
    # the clients left: after_leave holds the end
    st = r["tcp_states"]["after_leave"]
    check(st["server"].get("TIME_WAIT") == n and not st["client"].get("TIME_WAIT"),
          "server closes first: TIME_WAIT on the server's side", n, st)
    return ["close"]


def check_restart(out, stdout):
    cap = caption(stdout, "restart")
    ok = {}
    for case in os.listdir(out):
        rs = case_runs(out, case)
        if rs:
            ok[case] = rs[0]["restart"]["ok"]
            err = rs[0]["restart"].get("error") or ""
            word = "restart bound the port" if ok[case] else \
                "restart failed: " + err[err.index("bind "):err.index(" (EADDRINUSE)")] \
                if "Address already in use (EADDRINUSE)" in err else "(no EADDRINUSE) " + err
            seg = re.search(rf"{case}: [^;]*; [^;]*; (restart [^;]*?)(?:;|\. )", cap)
            check(seg and seg.group(1) == word, f"restart caption: {case}", word,
                  seg.group(1) if seg else cap)
    check(ok.get("client-first") is True, "the client closed first: no TIME_WAIT, restart binds",
          True, ok)
    check(ok.get("both-reuseaddr") is True, "SO_REUSEADDR on old and new: restart binds", True, ok)
    check(ok.get("no-reuseaddr") is False, "the server closed first, no SO_REUSEADDR: EADDRINUSE",
          False, ok)
    check(ok.get("new-only") is False, "SO_REUSEADDR on the new socket only: EADDRINUSE", False, ok)
    r = case_runs(out, "client-first")[0]
    lp = r["load"]["connections"]["local_ports"]
    lo, hi = map(int, r["environment"]["sysctl"]["net.ipv4.ip_local_port_range"].split())
    check(lo <= lp["min"] <= lp["max"] <= hi, "the clients' ports lie in the ephemeral range",
          f"{lo}-{hi}", lp)
    return ["restart"]


CHECKS = {"python": check_python, "reject": check_reject, "unix": check_unix,
          "close": check_close, "restart": check_restart}

if args.lesson == "python":  # once: the list names every lesson
    names = [l.split()[0] for l in subprocess.run([BIN, "lesson", "--list"], capture_output=True,
                                                   text=True).stdout.splitlines() if l.strip()]
    twelve = ["backlog", "somaxconn", "models", "recv-size", "send", "thundering-herd", "ports",
              "python", "reject", "close", "unix", "restart"]
    check(names == twelve, "lesson --list names all twelve", twelve, names)

tmp = tempfile.mkdtemp(prefix="sockbench-lesson-")
try:
    out = os.path.join(tmp, args.lesson)
    t0 = time.monotonic()
    p = subprocess.run([BIN, "lesson", args.lesson, "--quick", "--out", out],
                       capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    print(p.stdout[-3000:])
    check(p.returncode == 0, f"{args.lesson}: exit status", 0,
          f"{p.returncode}: {p.stderr.strip()[-600:]}")
    check(took < 20, f"{args.lesson}: --quick takes under 20 s", "< 20 s", f"{took:.1f} s")
    figs = CHECKS[args.lesson](out, p.stdout) if p.returncode == 0 else []
    html_path = os.path.join(out, "plots", "index.html")
    html = open(html_path).read() if os.path.exists(html_path) else ""
    for fig in figs:
        png = os.path.join(out, "plots", fig + ".png")
        check(os.path.exists(png) and png_size(png) == (1280, 720), f"{fig}.png drawn",
              (1280, 720), png_size(png) if os.path.exists(png) else "missing")
        check(f'src="{fig}.png"' in html, f"index.html shows {fig}", "an <img>", "absent")
    words = json.load(open(os.path.join(SRC, "scripts", "lessons", args.lesson + ".json")))
    q = words.get("question", "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")
    check(q and html.count(q) == 1 and html.index(q) < html.find("<figure"),
          "index.html opens with the question, once", q[:40], html[:300])
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{args.lesson}: {CK.passed} passed, {CK.failed} failed")
sys.exit(1 if CK.failed else 0)
