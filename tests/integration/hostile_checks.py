#!/usr/bin/env python3
"""Checked before the run (issue "Safe by construction", part 6): a
--source that is not on this machine, an IPv4 --source for an IPv6 target,
--requests with --duration, --threads above --conns.

    python3 tests/integration/hostile_checks.py --bin build/sockbench [-k NAME]

Also part 5 (a path longer than the buffers that hold it: refused, never
cut) and part 7 (closed standard streams, an unwritable working directory).

Before the change: exit 0 with 42,667 EADDRNOTAVAIL (--source not here) or
EINVAL (IPv4 source, IPv6 target); --requests silently won over
--duration; --threads 8 with --conns 2 was recorded as 8.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402


def load(args, timeout=20):
    return subprocess.run([sbtest.BIN, "load"] + args, capture_output=True,
                          text=True, timeout=timeout)


def one_line(t, r, words, what):
    t.eq(f"{what}: exit status", 2, r.returncode)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    t.check(len(lines) == 1 and all(w in lines[0] for w in words),
            f"{what}: stderr", f"one line with {words}", r.stderr)
    t.eq(f"{what}: stdout", "", r.stdout)


def test_refused_before_the_run(t):
    # 192.0.2.1 (TEST-NET-1) is never an address of this machine; nothing
    # is sent: bind() refuses it
    one_line(t, load(["--serve", "--model epoll", "--source", "192.0.2.1",
                      "--duration", "1"]),
             ["--source 192.0.2.1", "not an address of this machine"],
             "--source not on this machine")
    one_line(t, load(["--serve", "--bind ::1 --model epoll", "--source",
                      "127.0.0.1", "--duration", "1"]),
             ["--source 127.0.0.1", "IPv6"], "IPv4 --source, IPv6 target")
    one_line(t, load(["--serve", "--model epoll", "--requests", "10",
                      "--duration", "1"]),
             ["--requests", "--duration"], "--requests with --duration")


def test_threads_above_conns(t):
    js = os.path.join(lt.tmpdir(), "run.json")
    r = load(["--serve", "--model epoll --proto rr", "--threads", "8",
              "--conns", "2", "--requests", "100", "--quiet", "--json", js])
    t.eq("--threads 8 --conns 2: exit status", 0, r.returncode)
    j = json.load(open(js))
    t.eq("config.load.threads (what ran)", 2, j["config"]["load"]["threads"])


def test_closed_std_streams(t):
    """load --serve with fd 0 and 1 closed (`<&- >&-`): it waited 5 s for a
    READY line that went into the wrong pipe."""
    js = os.path.join(lt.tmpdir(), "run.json")

    def close01():
        os.close(0)
        os.close(1)
    r = subprocess.run([sbtest.BIN, "load", "--serve", "--model epoll --proto rr",
                        "--requests", "100", "--quiet", "--json", js],
                       stdin=None, stdout=None, stderr=subprocess.PIPE,
                       preexec_fn=close01, timeout=20)
    t.eq("load with fd 0 and 1 closed: exit status", 0, r.returncode)
    t.eq("requests completed", 100,
         json.load(open(js))["load"]["requests"]["completed"]
         if os.path.exists(js) else None)


def test_unwritable_cwd(t):
    """sweep and lesson run as a user who cannot write the working
    directory: the message says Permission denied, and no index path."""
    sbtest.require_root(__file__, "setpriv to user nobody")
    # nobody runs a copy with the lessons beside it: the checkout may sit
    # under /root (mode 700)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "scripts")
    ro = sbtest.readable_copy({"sockbench": sbtest.BIN,
                               "data/lessons": os.path.join(src, "lessons"),
                               "data/plots": os.path.join(src, "plots")})
    d = lt.tmpdir()           # root's, mode 700 by mkdtemp: nobody cannot write
    os.chmod(d, 0o755)
    env = dict(os.environ, SOCKBENCH_DATA=os.path.join(ro, "data"))
    for cmd in (["sweep", "--host-netns", "--duration", "0.2", "--conns", "1",
                 "--quiet"], ["lesson", "backlog", "--quick"]):
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                            "--clear-groups", os.path.join(ro, "sockbench")]
                           + cmd, cwd=d, capture_output=True, text=True,
                           timeout=30, env=env)
        what = " ".join(cmd[:2])
        t.eq(f"{what} in an unwritable directory: exit status", 1,
             r.returncode)
        t.check("Permission denied" in r.stderr and "results" in r.stderr,
                f"{what}: stderr", "results: Permission denied", r.stderr)
        t.check("index.html" not in r.stdout, f"{what}: stdout",
                "no index path", r.stdout)
    subprocess.run(["rm", "-rf", ro])


def test_long_paths(t):
    """A 745-byte --out was cut to its buffer and the results went to
    another directory (exit 0); a unix path over 107 bytes got to the
    first run. Both are refused with one line now."""
    d = lt.tmpdir()
    long_out = os.path.join(d, "d" * 740)
    for cmd in (["sweep", "--out", long_out, "--duration", "0.1"],
                ["lesson", "backlog", "--quick", "--out", long_out],
                ["plot", long_out]):
        r = subprocess.run([sbtest.BIN] + cmd, capture_output=True, text=True,
                           timeout=20)
        one_line(t, r, ["bytes"], f"{cmd[0]} with a {len(long_out)}-byte "
                 "directory")
    t.eq("nothing made in the parent", [], os.listdir(d))
    sock = "unix:" + os.path.join(d, "s" * 110)
    r = subprocess.run([sbtest.BIN, "sweep", "--dry-run", "--bind", sock,
                        "--out", os.path.join(d, "o")], capture_output=True,
                       text=True, timeout=20)
    one_line(t, r, ["--bind", "107"], "sweep --bind with a 110-byte unix path")


def cases(runner):
    runner.run("refused-before-the-run", test_refused_before_the_run,
               timeout=30)
    runner.run("threads-above-conns", test_threads_above_conns, timeout=30)
    runner.run("closed-std-streams", test_closed_std_streams, timeout=30)
    runner.run("long-paths", test_long_paths, timeout=30)
    if os.geteuid() == 0:
        runner.run("unwritable-cwd", test_unwritable_cwd, timeout=70)


def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    lt.run_tests("hostile_checks", cases)


if __name__ == "__main__":
    main()
