#!/usr/bin/env python3
"""`sockbench plot DIR --animate` (issue 18, item 5): the accept queue and
the connect CDF growing over a connect-mode run, as an animated GIF.

Runs `lesson backlog --quick` (about 6 s), plots it with --animate and
checks: accept_queue_anim.gif is a looping GIF89a of 1280x720 frames, one
per 100 ms of the run (plus the held last frame), more than 10; index.html
shows it; the caption's numbers are the run files' own (the queue's peak
and when it was first seen, the connections that connected at once and
those that waited for the 1 s SYN retry); the data file's last frame is the
whole connect CDF.  Then an rr sweep (queue samples, no connect mode):
--animate says in one line that there is nothing to animate, draws the
other figures and exits 0.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.environ.get("SOCKBENCH_BIN", "build/sockbench"))
args = ap.parse_args()
BIN = os.path.abspath(args.bin)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from figlib import Checks, gif_frames, runs_of  # noqa: E402

CK = Checks()
check = CK.check

RETRY_NS = 900_000_000  # TCP_SYN_RETRY_NS: under it, connected at once


def expected_phrase(run):
    """The caption's words for one run, from its JSON as plot_anim.c
    computes them."""
    aq = run["accept_queue"]
    peak, at = -1, 0
    for ms, q in aq["samples"]:
        if q > peak:
            peak, at = q, ms
    b = run["sweep"]["values"]["backlog"]
    words = (f"backlog={b}: queue full at {peak} from {at / 1e3:g} s" if peak > aq["limit"]
             else f"backlog={b}: queue at most {peak} (limit {aq['limit']}) from {at / 1e3:g} s")
    buckets = run["load"]["connections"]["latency_us"]["histogram"]["buckets"]
    fast = sum(c for up, c in buckets if up < RETRY_NS)
    first = sum(c for up, c in buckets if RETRY_NS <= up < RETRY_NS + 1_000_000_000)
    words += f"; {fast} connected at once"
    if first:
        words += f", {first} waited for the 1 s SYN retry"
    return words, fast, first


tmp = tempfile.mkdtemp(prefix="sockbench-animate-")
t0 = time.monotonic()
try:
    print("RUN  lesson backlog --quick, then plot --animate")
    out = os.path.join(tmp, "backlog")
    p = subprocess.run([BIN, "lesson", "backlog", "--quick", "--out", out],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "lesson backlog --quick: exit status", 0,
          f"{p.returncode}: {p.stderr.strip()[-300:]}")
    p = subprocess.run([BIN, "plot", out, "--animate"], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, "plot --animate: exit status", 0,
          f"{p.returncode}: {p.stderr.strip()[-300:]}")
    gif = os.path.join(out, "plots", "accept_queue_anim.gif")
    info = gif_frames(gif) if os.path.exists(gif) else None
    check(info is not None, "accept_queue_anim.gif is a GIF89a", "GIF89a",
          "missing" if not os.path.exists(gif) else open(gif, "rb").read(6))
    runs = runs_of(out)
    if info:
        sw, sh, loop, frames = info
        dur = max(r["duration_s"] for r in runs)
        nf = -(-round(dur * 1000) // 100)  # one frame per 100 ms of the run
        check((sw, sh) == (1280, 720), "GIF screen size", (1280, 720), (sw, sh))
        check(loop == 0, "GIF loops for ever (NETSCAPE2.0 loop 0)", 0, loop)
        check(len(frames) > 10, "GIF frames", "> 10", len(frames))
        check(len(frames) == nf + 10, "frames: one per 100 ms of the run, then the last "
              "held 1 s", nf + 10, len(frames))
        check(all(f == (10, 1280, 720) for f in frames), "every frame 1280x720, shown 100 ms",
              (10, 1280, 720), sorted(set(frames))[:3])
    html = open(os.path.join(out, "plots", "index.html")).read()
    check('<img src="accept_queue_anim.gif"' in html, "index.html shows the GIF",
          '<img src="accept_queue_anim.gif"', re.findall(r"<img[^>]*>", html))
    cap = next((l for l in p.stdout.splitlines()
                if l.strip().startswith("accept_queue_anim:")), "")
    check("100 ms of the run a frame" in cap, "caption: the time a frame", "100 ms", cap)
    check("connect time <= t" in cap and "start" in cap,
          "caption: the CDF-over-time assumption", "connect time <= t ... starts", cap)
    esc = cap.split(": ", 1)[-1].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    check(esc in html, "index.html carries the caption", esc[:60], "absent")
    for r in runs:
        words, fast, first = expected_phrase(r)
        check(words in cap, f"caption for backlog={r['sweep']['values']['backlog']}", words, cap)
        if r["sweep"]["values"]["backlog"] == "1":
            # the lesson's point, on this machine: backlog + 1 wait, the
            # rest are dropped and retried after 1 s
            check(r["accept_queue"]["max_seen"] in (1, 2), "backlog 1: queue peak",
                  "1 or 2", r["accept_queue"]["max_seen"])
            # how many wait depends on how fast the 60 connects go out
            # against a 20 ms acceptor: on an idle machine 58, under the
            # suite's parallel load a slow burst lets the acceptor take
            # more at once (seen: 7 waited); the kernel's fact is that
            # some did (and a slow acceptor leaves some for the 2 s retry:
            # at once + after the first retry <= established)
            est = r["load"]["connections"]["established"]
            check(first >= 1 and fast + first <= est,
                  "backlog 1: some waited for the 1 s retry; at once + after <= established",
                  f">= 1, <= {est} in all", (fast, first))
    # the data behind frame k: the last frame's CDF is the whole CDF
    data = open(os.path.join(out, "plots", "data", "accept_queue_anim-0.dat")).read()
    blocks = [b for b in data.split("\n\n\n") if b.strip()]
    r0 = [r for r in runs if r["sweep"]["values"]["backlog"] == "1"][0]
    last = [l.split() for l in blocks[-1].splitlines() if l and not l.startswith("#")]
    conn = r0["load"]["connections"]
    check(abs(float(last[-1][1]) - conn["established"] / conn["attempted"]) < 1e-6,
          "last frame's CDF ends at established / attempted",
          conn["established"] / conn["attempted"], last[-1])
    par = open(os.path.join(out, "plots", "data", "accept_queue_anim-params.gp")).read()
    check(re.search(r"^NF = \d+$", par, re.M) and "array FILES[2]" in par,
          "params: NF and one file per cell", "NF = N, FILES[2]", par[:300])

    print("RUN  an rr sweep, plot --animate: nothing to animate")
    rr = os.path.join(tmp, "rr")
    p = subprocess.run([BIN, "sweep", "--mode", "rr", "--models", "epoll", "--conns", "1,2",
                        "--duration", "300ms", "--out", rr], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, "rr sweep: exit status", 0, p.stderr.strip()[-300:])
    p = subprocess.run([BIN, "plot", rr, "--animate"], capture_output=True, text=True,
                       timeout=60)
    said = [l for l in p.stderr.splitlines() if "nothing to animate" in l]
    check(p.returncode == 0, "rr --animate: exit status (the other figures drawn)", 0,
          f"{p.returncode}: {p.stderr.strip()[-300:]}")
    check(len(said) == 1 and "mode: rr" in said[0], "rr --animate: one line says why",
          "one line naming mode rr", p.stderr.strip())
    check(not os.path.exists(os.path.join(rr, "plots", "accept_queue_anim.gif")),
          "rr --animate: no GIF", "none", "a GIF")
    check(os.path.exists(os.path.join(rr, "plots", "models.png")),
          "rr --animate: the other figures are drawn", "models.png", "missing")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

took = time.monotonic() - t0
check(took < 20, "test duration", "< 20 s", f"{took:.1f} s")
print(f"{CK.passed} passed, {CK.failed} failed ({took:.1f} s)")
sys.exit(1 if CK.failed else 0)
