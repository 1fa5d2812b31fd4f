#!/usr/bin/env python3
"""The live view (bench/live) through `sockbench replay`, in tmux:

    python3 tests/integration/test_live_view.py --bin build/sockbench [-k NAME]

A run JSON is made first: `load --mode connect` against `--pause-accept
--backlog 4` in a private network namespace (unshare -n), so the accept
queue fills to 5 and stays full.  Then:

  view           replay at --speed 1 in a 120x36 tmux pane (a private tmux
                 server, -L): two captures a second apart show the queue
                 bar, the counters and the sparkline, and differ; after the
                 end the shell's prompt is back, no alternate screen left,
                 `tput cols` answers 120
  fast           --speed 4 ends in about a quarter of the run, exit 0
  interrupt      Ctrl-C mid-run: exit 130, the terminal restored
  ascii          LANG=C: the bar and the sparkline in ASCII marks
  pipe           no terminal (a new session: no /dev/tty): one line per
                 interval on stdout
  bad_input      a malformed file, a JSON that is no run, a bad --speed
                 (exit 2), a missing file and a directory (exit 1): one line

Needs root (unshare -n) and tmux.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sbtest  # noqa: E402

SOCK = f"sbtest-live-{os.getpid()}"  # tmux -L: a server of our own
PROMPT = "LIVETEST$ "
TMP = tempfile.mkdtemp(prefix="sbtest-live-")
RUN = os.path.join(TMP, "run.json")


CUR = None  # the sbtest.T of the test running: failures are recorded there


def fail(msg):
    if CUR is None:
        raise RuntimeError(msg)
    CUR.fail(msg)


def tmux(*args, check=True):
    r = subprocess.run(["tmux", "-L", SOCK] + list(args), capture_output=True,
                       text=True, timeout=10)
    if check and r.returncode != 0:
        fail(f"tmux {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def pane():
    return tmux("capture-pane", "-p", "-t", "live")


def exited(p):
    """The command's exit status printed (not the typed `echo EXIT=$?`)."""
    return re.search(r"^EXIT=\d+", p, re.M)


def new_session(lang):
    tmux("kill-session", "-t", "live", check=False)
    # the last session gone, the tmux server exits: a new-session that
    # reaches it while it does says "server exited unexpectedly"; again
    for attempt in range(20):
        r = subprocess.run(
            ["tmux", "-L", SOCK, "new-session", "-d", "-x", "120", "-y", "36", "-s",
             "live", f"env -i PATH={os.environ.get('PATH', '/usr/bin:/bin')} TERM=screen "
             f"LANG={lang} PS1='{PROMPT}' bash --norc --noprofile"],
            capture_output=True, text=True, timeout=10)
        if r.returncode == 0:
            break
        time.sleep(0.1)
    else:
        fail(f"tmux new-session: {r.stderr.strip()}")
    wait_for(lambda p: PROMPT.rstrip() in p, 5, "the shell's prompt")


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    p = ""
    while time.monotonic() < end:
        p = pane()
        if cond(p):
            return p
        time.sleep(0.05)
    fail(f"waited {timeout} s for {what}; the pane:\n{p}")


def replay(args):
    tmux("send-keys", "-t", "live",
         f"clear; {sbtest.BIN} replay {RUN} {args}; echo EXIT=$?", "Enter")


def check_restored(t, p, status):
    """After the replay: its exit status, the prompt below it, the view
    gone (the alternate screen left), and a terminal tput can read."""
    t.check(f"EXIT={status}" in p, "exit status", f"EXIT={status}", p)
    t.check("LISTEN QUEUE" not in p, "the view gone after the end",
            "no 'LISTEN QUEUE' on the normal screen", p)
    tmux("send-keys", "-t", "live", "tput cols; stty -a | head -1", "Enter")
    q = wait_for(lambda s: re.search(r"^120\s*$", s, re.M) and "columns" in s
                 and s.rstrip().endswith(PROMPT.rstrip()), 5,
                 "tput cols, stty and the prompt")
    t.check(q.rstrip().endswith(PROMPT.rstrip()), "the prompt last",
            PROMPT, q.rstrip().splitlines()[-1:])
    t.check("columns 120" in q, "stty sees the terminal", "columns 120", q)


def test_view(t):
    new_session("C.UTF-8")
    replay("--speed 1")
    first = wait_for(lambda p: re.search(r"t 0\.[3-9] s of 3\.0 s", p), 5,
                     "the view, 0.3 s into the run")
    time.sleep(1.0)
    second = pane()
    for name, p in (("first", first), ("second", second)):
        t.check("\u2588" in p and re.search(r"\[\u2588+\]", p),
                f"{name} capture: the queue bar, full", "[████…]", p)
        t.check("5 waiting of 5 (backlog 4 + 1)" in p and "FULL" in p,
                f"{name} capture: the queue's numbers", "5 waiting of 5 FULL",
                p)
        t.check(re.search(r"connects \d+", p) and "connecting" in p,
                f"{name} capture: the counters", "connects N, connecting", p)
        t.check(re.search(r"[\u2581-\u2588]", p.split("connects/s")[-1]),
                f"{name} capture: the sparkline", "block characters", p)
    t.check(first != second, "the two captures differ", "a change", "none")
    t_first = re.search(r"t (\d+\.\d) s of 3\.0 s", first)
    t_second = re.search(r"t (\d+\.\d) s of 3\.0 s", second)
    t.check(t_first and t_second and
            float(t_second.group(1)) - float(t_first.group(1)) >= 0.7,
            "run time moves about a second between the captures",
            ">= 0.7 s", (t_first and t_first.group(0),
                         t_second and t_second.group(0)))
    sf = len(re.findall(r"[\u2581-\u2588]", first.split("connects/s")[-1]))
    ss = len(re.findall(r"[\u2581-\u2588]", second.split("connects/s")[-1]))
    t.check(ss > sf, "the sparkline grows", f"> {sf} marks", ss)
    p = wait_for(exited, 8, "the end of the replay")
    check_restored(t, p, 0)


def test_fast(t):
    new_session("C.UTF-8")
    start = time.monotonic()
    replay("--speed 4")
    p = wait_for(exited, 6, "the end of the replay")
    took = time.monotonic() - start
    # 3 s of run at x4, and the last frame held 1 s
    t.check(took < 3.0, "--speed 4 takes a quarter of the run (+1 s)",
            "< 3.0 s", f"{took:.2f} s")
    check_restored(t, p, 0)
    t.check(re.search(r"view: \d+ redraws in [\d.]+ s, [\d.]+ s CPU", p),
            "the view's cost reported", "view: N redraws … CPU", p)


def test_interrupt(t):
    new_session("C.UTF-8")
    replay("--speed 1")
    wait_for(lambda p: re.search(r"t 0\.[5-9] s of", p), 5,
             "the view, 0.5 s into the run")
    tmux("send-keys", "-t", "live", "C-c")
    p = wait_for(exited, 3, "the replay to stop")
    check_restored(t, p, 130)
    t.check("stopped by SIGINT" in p, "the stop named", "stopped by SIGINT", p)


def test_ascii(t):
    new_session("C")
    replay("--speed 2")
    p = wait_for(lambda s: re.search(r"t 1\.\d s of", s), 5, "the view")
    t.check(re.search(r"\[#+\]", p), "the queue bar in ASCII", "[####]", p)
    t.check(not re.search(r"[\u2581-\u2588]", p), "no block characters",
            "none", p)
    p = wait_for(exited, 6, "the end of the replay")
    check_restored(t, p, 0)


def test_pipe(t):
    r = subprocess.run([sbtest.BIN, "replay", RUN, "--speed", "100"],
                       capture_output=True, text=True, timeout=20,
                       start_new_session=True, stdin=subprocess.DEVNULL)
    t.eq("exit status", 0, r.returncode)
    lines = r.stdout.splitlines()
    t.eq("one line per interval", 3, len(lines))
    for line in lines:
        t.check(re.match(r"^\s+\d+\.\d\d s  connect  requests 0 .* errors \d+$",
                         line), "an interval line", "T s  connect …", line)
    t.check("no live view" in r.stderr and "no terminal" in r.stderr,
            "says why there is no view", "no live view (… no terminal)",
            r.stderr)
    t.check(lines and lines[0].split()[:2] == ["1.00", "s"],
            "the first interval at 1 s", "1.00 s", lines[:1])


def test_bad_input(t):
    bad = os.path.join(TMP, "bad.json")
    with open(bad, "w") as f:
        f.write('{"schema": "sockbench.run/1", "load": {')
    norun = os.path.join(TMP, "norun.json")
    with open(norun, "w") as f:
        json.dump({"a": 1}, f)
    cases = [
        ([bad], 2), ([norun], 2), ([os.path.join(TMP, "missing.json")], 1),
        ([TMP], 1), ([RUN, "--speed", "0"], 2), ([RUN, "--speed", "x"], 2),
        ([RUN, "--speed", "101"], 2), ([], 2), ([RUN, "--frob"], 2),
    ]
    for args, status in cases:
        r = subprocess.run([sbtest.BIN, "replay"] + args, capture_output=True,
                           text=True, timeout=10, start_new_session=True,
                           stdin=subprocess.DEVNULL)
        t.eq(f"replay {' '.join(args)}: exit status", status, r.returncode)
        t.eq(f"replay {' '.join(args)}: lines on stderr", 1,
             len(r.stderr.splitlines()))
        t.eq(f"replay {' '.join(args)}: stdout", "", r.stdout)


LIVE_RUN = os.path.join(TMP, "live.json")


def live_load(extra=""):
    """`load --live` of a paused backlog-4 server, in a private network
    namespace, in the pane."""
    tmux("send-keys", "-t", "live",
         f"clear; unshare -n sh -c 'ip link set lo up && exec {sbtest.BIN} load "
         f"--serve \"--model epoll --pause-accept --backlog 4\" --mode connect "
         f"--conns 20 --threads 1 --duration 3s --connect-timeout 2500 --live --json {LIVE_RUN}"
         f"{extra}'; echo EXIT=$?", "Enter")


def test_load_live(t):
    """load --live: the view of a real run, drawn while it runs, gone
    after; its cost in the run JSON."""
    new_session("C.UTF-8")
    live_load()
    # past 0.9 s the 15 clients whose SYN was dropped wait for its retry
    first = wait_for(lambda p: re.search(r"t 1\.[0-3] s of 3\.0 s", p), 6,
                     "the live view, 1 s into the run")
    time.sleep(1.0)
    second = pane()
    for name, p in (("first", first), ("second", second)):
        t.check(re.search(r"\[\u2588+\]", p) and "5 waiting of 5 (backlog 4 + 1)" in p,
                f"{name} capture: the queue bar, full at backlog + 1", "[████…] 5 of 5", p)
        t.check(re.search(r"SYN-retry wait\s+15", p), f"{name} capture: 15 clients "
                "waiting for a SYN retry", "SYN-retry wait 15", p)
        t.check(re.search(r"dropped SYNs/ACKs \(ListenOverflows\): [1-9]", p),
                f"{name} capture: dropped SYNs counted", "> 0", p)
    t.check(first != second, "the two captures differ", "a change", "none")
    p = wait_for(exited, 8, "the end of the run")
    check_restored(t, p, 0)
    t.check("explain:" in p, "the summary after the view", "explain lines", p)
    run = json.load(open(LIVE_RUN))
    live = run.get("live") or {}
    t.check(live.get("redraws_per_s", 0) >= 8, "about 10 redraws a second",
            ">= 8", live.get("redraws_per_s"))
    t.check(0 <= live.get("core_share", 1) <= 0.01, "the view's CPU: at most 1% of a core",
            "<= 0.01", live.get("core_share"))
    t.eq("no warning (the server got its PID namespace: the view is a process)", [],
         run.get("warnings"))


def test_load_live_interrupt(t):
    new_session("C.UTF-8")
    live_load()
    wait_for(lambda p: re.search(r"t 0\.[5-9] s of", p), 6, "the live view")
    tmux("send-keys", "-t", "live", "C-c")
    p = wait_for(exited, 3, "load to stop")
    check_restored(t, p, 130)
    run = json.load(open(LIVE_RUN))
    t.eq("the run JSON names the stop", "interrupted by SIGINT", run.get("error"))


def test_lesson_live(t):
    """lesson backlog --quick --live: run by run, the queue fills to
    backlog + 1; the sweep panel counts the runs."""
    new_session("C.UTF-8")
    out = os.path.join(TMP, "lesson")
    tmux("send-keys", "-t", "live",
         f"clear; unshare -n {sbtest.BIN} lesson backlog --quick --live --out {out}; "
         "echo EXIT=$?", "Enter")
    p1 = wait_for(lambda p: "run 1 of 2" in p and "of 2 (backlog 1 + 1)" in p, 8,
                  "the first run in the view")
    p2 = wait_for(lambda p: "run 2 of 2" in p and "(backlog 32 + 1)" in p, 10,
                  "the second run in the view")
    t.check("SWEEP" in p1 and "backlog=1" in p1, "the sweep panel names the run's values",
            "backlog=1", p1)
    t.check(re.search(r"most waiting this run: 33", p2) or
            re.search(r"\d+ waiting of 33", p2), "run 2: a queue of 33", "33", p2)
    p = wait_for(exited, 15, "the lesson's end")
    check_restored(t, p, 0)
    t.check("open " in p and "index.html" in p, "the lesson's last line after the view",
            "open …/index.html", p)


def make_run(runner):
    # --threads 1: the exact-count rule (KERNEL-NOTES): two CPUs can both pass
    # the full-queue check for two final ACKs, and the queue then holds 6
    cmd = (f"ip link set lo up && exec {sbtest.BIN} load --serve "
           "'--model epoll --pause-accept --backlog 4' --mode connect "
           f"--conns 20 --threads 1 --duration 3s --connect-timeout 2500 --json {RUN}")
    r = subprocess.run(["unshare", "-n", "sh", "-c", cmd],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or not os.path.exists(RUN):
        print(f"FAIL the run to replay: exit {r.returncode}: {r.stderr}")
        runner.failed += 1
        runner.finish()


def tracked(check):
    def run(t):
        global CUR
        CUR = t
        try:
            check(t)
        finally:
            CUR = None
    return run


def main():
    sbtest.parse_args(__doc__)
    runner = sbtest.Runner("test_live_view")
    if not shutil.which("tmux"):
        print("FAIL tmux is not installed (scripts/setup installs it)")
        print("0 passed, 1 failed")
        sys.exit(1)
    try:
        make_run(runner)
        for check in (test_view, test_fast, test_interrupt, test_ascii,
                      test_pipe, test_bad_input, test_load_live,
                      test_load_live_interrupt, test_lesson_live):
            runner.run(check.__name__[len("test_"):], tracked(check),
                       timeout=30)
    finally:
        tmux("kill-server", check=False)
        shutil.rmtree(TMP, ignore_errors=True)
    runner.finish()


if __name__ == "__main__":
    main()
