#!/usr/bin/env python3
"""Faults during a sweep: a server killed with SIGKILL mid-run, a server that
hangs, a results directory that turns read-only mid-sweep, a full disk.

    python3 tests/integration/test_faults.py --bin build/sockbench [-k NAME]

Needs root: the script re-executes itself under `unshare -m --propagation
private`, so its read-only bind mounts and small tmpfs exist only in its
own mount namespace and vanish with it (as root, file modes alone stop no
write: a mount is the only honest read-only directory).

Every fault must end in a recorded error (the run's "error") or one clear
message (at most two stderr lines, naming the file and the errno text),
never a crash (signal exit) or a hang (every sweep has a deadline). While
the sweep runs, a watcher parses every file that appears under runs/: no
partial JSON may ever be there, and nothing but run files and runs/.tmp/.
Then the fault is removed and `sweep --resume` must complete the missing
runs: every run file present and parsing, runs/.tmp/ empty, summary.json
covering every cell (runs + failed == repeat, missing == 0).

Tests:
  server_sigkill_self      --server-cmd faultsrv.py: the backlog-2 cell's
                           server SIGKILLs itself 0.3 s into its run
  server_sigkill_external  --serve: the test SIGKILLs the backlog-2 cell's
                           `sockbench serve` mid-run
  server_sigkill_requests  the same with --requests (a count, no time
                           bound): the run must still end, error recorded
  server_hangs             the backlog-2 server stops answering and ignores
                           SIGTERM: request timeouts counted, the server
                           killed, error recorded, nothing left running
  results_read_only        after the first run file, --out is bind-mounted
                           read-only over itself (private mount namespace)
  results_disk_full        --out on a 128 KiB tmpfs: runs fill it
  out_read_only_at_start   --out on a read-only mount: exit 1, one line
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

MNTNS_ENV = "SB_FAULTS_IN_MNTNS"
RUN_NAME_RE = re.compile(r"^\d{4}-.+-r\d+\.json$")
TEMP_NAME_RE = re.compile(r"^\d{4}-.+-r\d+\.json\.tmp\.\d+$")

TMPDIRS = []
LIVE = set()
MOUNTS = []         # mount points to unmount at the end (innermost last)


def mktemp(tag):
    return sbtest.make_tmpdir(f"sbfault-{tag}-", TMPDIRS)


def cleanup():
    for p in list(LIVE):
        sbtest.killpg(p, LIVE)
    for m in reversed(MOUNTS):
        subprocess.run(["umount", "-l", m], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    for d in TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------- processes

class Result(sbtest.Result):
    err_tail = 2000


def start(cmd):
    """sbtest.start_proc; also in LIVE (cleanup() kills what is left)."""
    return sbtest.start_proc(cmd, live=LIVE)


def finish(proc, timeout):
    """Wait for a started process; on timeout SIGTERM, then after 5 s
    SIGKILL its whole group and every descendant (sbtest.finish_proc)."""
    return sbtest.finish_proc(proc, timeout, term_wait=5, result=Result,
                              live=LIVE)


def sweep(args, timeout):
    return finish(start([sbtest.BIN, "sweep"] + args), timeout)


def require_ended(t, r, what, expect_rc):
    if r.timed_out:
        t.fail(f"{what}: still running after {r.elapsed:.0f}s (killed): a "
               f"hang; {r.show()}")
    t.check(r.rc is not None and r.rc >= 0, f"{what}: exit status",
            "an exit, not a signal (crash)", r.rc)
    t.eq(f"{what}: exit status", expect_rc, r.rc)


proc_ppid_state = sbtest.proc_ppid_state
descendants = sbtest.descendants


def check_no_leftovers(t, marker, what):
    sbtest.check_no_leftovers(
        t, marker, f"{what}: processes left running after the sweep")


# ---------------------------------------------------------------- mounts

def mount(t, *args):
    r = subprocess.run(["mount"] + list(args), capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        t.fail(f"mount {' '.join(args)} failed: {r.stderr.strip()} (needs "
               f"root in a private mount namespace)")


def umount(t, path):
    r = subprocess.run(["umount", path], capture_output=True, text=True,
                       timeout=10)
    if r.returncode != 0:
        t.fail(f"umount {path} failed: {r.stderr.strip()}")
    if path in MOUNTS:
        MOUNTS.remove(path)


def bind_read_only(t, path):
    # A fresh bind mount has no writers, so it can be made read-only at
    # once; files the sweep already holds open stay on the mount below.
    mount(t, "--bind", path, path)
    MOUNTS.append(path)
    mount(t, "-o", "remount,bind,ro", path)


# ----------------------------------------------------------------- files

class RunsWatch(threading.Thread):
    """Parses every file that appears under OUT/runs/ while a sweep runs:
    a final run file must be whole the moment it has its name."""

    def __init__(self, out):
        super().__init__(daemon=True)
        self.runs = os.path.join(out, "runs")
        self.stop_flag = threading.Event()
        self.ok = set()
        self.bad = []        # (name, problem)
        self.strays = set()  # names that are neither run files nor .tmp
        self.temps = set()   # NAME.json.tmp.PID seen in passing

    def run(self):
        while not self.stop_flag.is_set():
            self.scan()
            time.sleep(0.01)
        self.scan()

    def scan(self):
        try:
            names = os.listdir(self.runs)
        except OSError:
            return
        for n in names:
            if n == ".tmp" or n in self.ok:
                continue
            if TEMP_NAME_RE.match(n):
                # json_write_atomic's own temp file, renamed a moment
                # later: clearly temp-named; check_out_dir makes sure
                # none is left behind
                self.temps.add(n)
                continue
            if not RUN_NAME_RE.match(n):
                self.strays.add(n)
                continue
            try:
                with open(os.path.join(self.runs, n)) as f:
                    json.load(f)
                self.ok.add(n)
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as e:
                self.bad.append((n, f"{type(e).__name__}: {e}"))

    def stop(self):
        self.stop_flag.set()
        self.join(timeout=5)

    def report(self, t, what):
        t.eq(f"{what}: run files seen unparsable while the sweep ran "
             f"(partial JSON)", [], self.bad)
        t.eq(f"{what}: files seen in runs/ that are neither run files, "
             f"their NAME.json.tmp.PID nor runs/.tmp/", [],
             sorted(self.strays))
        if self.temps:
            t.note(f"{what}: temporary files seen in runs/ in passing "
                   f"(not in runs/.tmp/): {sorted(self.temps)}")


def listdir(d):
    try:
        return sorted(os.listdir(d))
    except OSError as e:
        return f"<{e}>"


def check_out_dir(t, out, what, tmp_must_be_empty):
    """Every file under runs/ is a whole run JSON or lives in runs/.tmp/;
    sweep.json, summary.json and runs.jsonl parse; no stray temp files.
    Returns {name: run} of the run files."""
    runs_dir = os.path.join(out, "runs")
    runs = {}
    if not os.path.isdir(runs_dir):
        return runs
    for n in sorted(os.listdir(runs_dir)):
        p = os.path.join(runs_dir, n)
        if n == ".tmp" and os.path.isdir(p):
            if tmp_must_be_empty:
                t.eq(f"{what}: runs/.tmp/ after --resume (temporary files "
                     f"removed)", [], listdir(p))
            continue
        if not RUN_NAME_RE.match(n) or not os.path.isfile(p):
            t._record(f"{what}: runs/{n}: expected only run files "
                      f"NNNN-KEY-rK.json and runs/.tmp/, actual a stray "
                      f"{'file' if os.path.isfile(p) else 'entry'} "
                      f"({os.path.getsize(p) if os.path.isfile(p) else '-'}"
                      f" bytes)")
            continue
        try:
            with open(p) as f:
                run = json.load(f)
        except (OSError, ValueError) as e:
            t._record(f"{what}: runs/{n}: expected a whole JSON file, "
                      f"actual {type(e).__name__}: {e} ({os.path.getsize(p)}"
                      f" bytes: a partial file)")
            continue
        if not (isinstance(run, dict) and run.get("schema") ==
                "sockbench.run/2" and isinstance(run.get("sweep"), dict)):
            t._record(f"{what}: runs/{n}: expected a sockbench.run/2 object "
                      f"with a 'sweep' key, actual {str(run)[:200]}")
            continue
        runs[n] = run
    for n in listdir(out) if os.path.isdir(out) else []:
        p = os.path.join(out, n)
        if n in ("runs", "plots"):
            continue
        if n.endswith(".json"):
            try:
                with open(p) as f:
                    json.load(f)
            except (OSError, ValueError) as e:
                t._record(f"{what}: {n}: expected whole JSON, actual {e}")
        elif n == "runs.jsonl":
            with open(p) as f:
                for i, ln in enumerate(f.read().splitlines()):
                    try:
                        json.loads(ln)
                    except ValueError as e:
                        t._record(f"{what}: runs.jsonl line {i + 1}: "
                                  f"expected JSON, actual {ln[:200]!r} "
                                  f"({e})")
        else:
            t._record(f"{what}: {n} in the results directory: expected "
                      f"only sweep.json, summary.json, runs.jsonl, runs/, "
                      f"actual a stray entry (a temporary file left?)")
    return runs


def dry_run_names(t, args):
    r = sweep(args + ["--dry-run"], 15)
    require_ended(t, r, "--dry-run", 0)
    names = [ln.split()[0] for ln in r.out.splitlines()
             if ln.split() and ln.split()[0].endswith(".json")]
    t.require(names, f"--dry-run: expected one line per run, actual "
              f"{r.out!r}")
    return names


def value_of(run, axis):
    return ((run.get("sweep") or {}).get("values") or {}).get(axis)


dig = sbtest.dig


def results_dir_errors(runs):
    """Run files whose recorded error is about the results directory, not
    about the run: those runs did not fail, their result was not kept."""
    out = []
    for n, run in runs.items():
        e = run.get("error")
        if isinstance(e, str) and re.search(
                r"No space left|Read-only file system|--json", e):
            out.append((n, e[:160]))
    return out


def check_resumed(t, out, names, failed_cells=()):
    """After the fault is gone and --resume ran: every run present and
    whole, runs/.tmp/ empty, summary covering every cell."""
    runs = check_out_dir(t, out, "after --resume", tmp_must_be_empty=True)
    t.eq("run files after --resume (the --dry-run names)", sorted(names),
         sorted(runs))
    for n, run in runs.items():
        key = dig(run, "sweep", "values", "backlog")
        if key in failed_cells:
            continue
        t.eq(f"{n} error after --resume", None, run.get("error"))
    try:
        with open(os.path.join(out, "summary.json")) as f:
            summ = json.load(f)
    except (OSError, ValueError) as e:
        t.fail(f"summary.json after --resume: expected readable JSON, "
               f"actual {e}")
    cells = summ.get("cells")
    t.require(isinstance(cells, list), f"summary.json cells: expected a "
              f"list, actual {cells!r:.300}")
    t.eq("summary.json: number of cells", len(names), len(cells))
    for c in cells:
        key = c.get("key")
        t.eq(f"summary cell {key}: missing runs", 0, c.get("missing"))
        t.eq(f"summary cell {key}: runs + failed (= --repeat 1)", 1,
             (c.get("runs") or 0) + (c.get("failed") or 0))
        b = (c.get("values") or {}).get("backlog")
        if b not in failed_cells:
            t.eq(f"summary cell {key}: failed", 0, c.get("failed"))


def one_clear_message(t, r, what, errno_text, out):
    """At most two stderr lines; the first names a file under out and
    the errno text."""
    lines = r.err_lines()
    t.check(1 <= len(lines) <= 2, f"{what}: stderr",
            "one clear message (1-2 lines)", r.err[-3000:])
    hit = [ln for ln in lines if errno_text in ln and out in ln]
    t.check(hit, f"{what}: stderr", f"a line naming {out} and "
            f"{errno_text!r}", r.err[-3000:])


# ----------------------------------------------------------------- tests

def server_cmd_sweep_args(base, faults, extra, backlogs="1,2,3"):
    cmd, srv, ffile = sbtest.faultsrv_cmd(base, faults)
    out = os.path.join(base, "out")
    args = ["--server-cmd", cmd, "--backlog", backlogs, "--mode", "rr",
            "--conns", "2", "--threads", "1"] + extra + ["--out", out]
    return args, out, srv, ffile


def fault_then_resume(t, args, out, srv, ffile, check_cell, timeout):
    """Run a sweep whose backlog-2 cell meets a fault; check it; remove the
    fault; --resume; check the whole."""
    names = dry_run_names(t, args)
    watch = RunsWatch(out)
    watch.start()
    r = sweep(args, timeout)
    watch.stop()
    t.note(f"sweep took {r.elapsed:.1f}s, exit {r.rc}")
    require_ended(t, r, "sweep with a faulty server", 1)
    watch.report(t, "during the sweep")
    check_no_leftovers(t, srv, "faulty server")
    runs = check_out_dir(t, out, "after the sweep", tmp_must_be_empty=False)
    t.eq("run files (every run recorded, the failed one too)",
         sorted(names), sorted(runs))
    for n, run in runs.items():
        if value_of(run, "backlog") == "2":
            check_cell(n, run)
        else:
            t.eq(f"{n} (healthy server) error", None, run.get("error"))
            done = dig(run, "load", "requests", "completed")
            t.check(isinstance(done, int) and done > 0,
                    f"{n} load.requests.completed", "> 0", done)
    m = re.search(r"\b(\d+) failed\b", r.err)
    t.check(m and int(m.group(1)) == 1, "stderr says how many runs failed",
            "'1 failed'", r.err[-600:])
    if ffile:
        os.unlink(ffile)   # the fault is removed
    r2 = sweep(args + ["--resume"], 30)
    require_ended(t, r2, "--resume after the fault was removed", 0)
    check_resumed(t, out, names, failed_cells=("2",))


def test_server_sigkill_self(t):
    base = mktemp("kill")
    args, out, srv, ffile = server_cmd_sweep_args(
        base, {"2": "killself:0.3"}, ["--duration", "800ms"])

    def check_cell(n, run):
        err = run.get("error")
        t.note(f"{n} error: {err!r}")
        t.check(isinstance(err, str) and re.search(r"signal 9|SIGKILL", err),
                f"{n} (server SIGKILLed mid-run) error",
                "a string naming signal 9", err)
    fault_then_resume(t, args, out, srv, ffile, check_cell, 40)


def test_server_sigkill_external(t):
    base = mktemp("killx")
    out = os.path.join(base, "out")
    args = ["--models", "epoll", "--proto", "rr", "--backlog", "1,2,3",
            "--conns", "2", "--threads", "1", "--duration", "1s",
            "--out", out]
    names = dry_run_names(t, args)
    watch = RunsWatch(out)
    watch.start()
    proc = start([sbtest.BIN, "sweep"] + args)
    victim = None
    deadline = time.monotonic() + 20
    while victim is None and time.monotonic() < deadline and \
            proc.poll() is None:
        for pid in descendants(proc.pid):
            argv = sbtest.argv_of(pid)
            if "serve" in argv and any(
                    argv[i:i + 2] == ["--backlog", "2"]
                    for i in range(len(argv))):
                victim = pid
                break
        time.sleep(0.01)
    if victim is None:
        r = finish(proc, 5)
        watch.stop()
        t.fail(f"never saw the backlog-2 cell's `sockbench serve` among the"
               f" sweep's processes: {r.show()}")
    time.sleep(0.3)
    os.kill(victim, signal.SIGKILL)
    t.note(f"SIGKILLed sockbench serve pid {victim} mid-run")
    r = finish(proc, 40)
    watch.stop()
    require_ended(t, r, "sweep whose server was SIGKILLed", 1)
    watch.report(t, "during the sweep")
    runs = check_out_dir(t, out, "after the sweep", tmp_must_be_empty=False)
    t.eq("run files", sorted(names), sorted(runs))
    for n, run in runs.items():
        if value_of(run, "backlog") == "2":
            err = run.get("error")
            t.note(f"{n} error: {err!r}")
            t.check(isinstance(err, str) and re.search(r"signal 9|SIGKILL",
                                                       err),
                    f"{n} (server SIGKILLed) error", "a string naming "
                    "signal 9", err)
        else:
            t.eq(f"{n} error", None, run.get("error"))
    r2 = sweep(args + ["--resume"], 30)
    require_ended(t, r2, "--resume", 0)
    check_resumed(t, out, names, failed_cells=("2",))


def test_server_sigkill_requests(t):
    # --requests: the run is bounded by a count, not a time. When its
    # server dies the count can never be reached: the run must still end
    # (the sweep's own limit for a --requests run is 5.5 minutes).
    base = mktemp("killreq")
    args, out, srv, ffile = server_cmd_sweep_args(
        base, {"2": "killself:0.3"}, ["--requests", "100000000"],
        backlogs="2")
    watch = RunsWatch(out)
    watch.start()
    r = sweep(args, 15)
    watch.stop()
    check_no_leftovers(t, srv, "killed server")
    if r.timed_out:
        t.fail(f"a --requests run whose server was SIGKILLed 0.3 s in was "
               f"still running after 15 s (stopped by the test): the load "
               f"reconnects to the dead port forever (ECONNREFUSED) and "
               f"never reaches its count; {r.show()}")
    require_ended(t, r, "sweep (--requests, server SIGKILLed)", 1)
    watch.report(t, "during the sweep")
    runs = check_out_dir(t, out, "after the sweep", tmp_must_be_empty=False)
    t.eq("run files", 1, len(runs))
    for n, run in runs.items():
        err = run.get("error")
        t.check(isinstance(err, str) and err, f"{n} error",
                "a string saying the server died", err)


def test_server_hangs(t):
    base = mktemp("hang")
    args, out, srv, ffile = server_cmd_sweep_args(
        base, {"2": "hang"}, ["--duration", "800ms", "--timeout", "300ms"])

    def check_cell(n, run):
        err = run.get("error")
        t.note(f"{n} error: {err!r}, load.errors "
               f"{dig(run, 'load', 'errors')}")
        t.check(isinstance(err, str) and re.search(r"SIGTERM|killed", err),
                f"{n} (hung server) error", "a string saying it was killed",
                err)
        rt = dig(run, "load", "errors", "request_timeout")
        t.check(isinstance(rt, int) and rt > 0,
                f"{n} load.errors.request_timeout (server stopped "
                f"answering)", "> 0", dig(run, "load", "errors"))
        t.eq(f"{n} load.requests.completed", 0,
             dig(run, "load", "requests", "completed"))
    fault_then_resume(t, args, out, srv, ffile, check_cell, 40)


def epoll_args(out, backlogs, duration):
    return ["--models", "epoll", "--proto", "rr", "--backlog", backlogs,
            "--conns", "2", "--threads", "1", "--duration", duration,
            "--quiet", "--out", out]


def test_results_read_only(t):
    base = mktemp("ro")
    out = os.path.join(base, "out")
    args = epoll_args(out, "1,2,3,4,5", "400ms")
    names = dry_run_names(t, args)
    watch = RunsWatch(out)
    watch.start()
    proc = start([sbtest.BIN, "sweep"] + args)
    runs_dir = os.path.join(out, "runs")
    deadline = time.monotonic() + 15
    first = []
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.isdir(runs_dir):
            first = [n for n in os.listdir(runs_dir) if RUN_NAME_RE.match(n)]
        if first:
            break
        time.sleep(0.005)
    if not first or proc.poll() is not None:
        r = finish(proc, 5)
        watch.stop()
        t.fail(f"test setup: no run file appeared while the sweep ran "
               f"(first={first}): {r.show()}")
    bind_read_only(t, out)
    t.note(f"{out} read-only after {first}")
    r = finish(proc, 40)
    watch.stop()
    require_ended(t, r, "sweep whose --out turned read-only", 1)
    watch.report(t, "during the sweep")
    one_clear_message(t, r, "read-only results", "Read-only file system",
                      out)
    runs = check_out_dir(t, out, "after the sweep", tmp_must_be_empty=False)
    t.check(1 <= len(runs) < len(names), "run files kept",
            f"between 1 and {len(names) - 1}", sorted(runs))
    t.eq("run files recording a results-directory error as the run's own "
         "(that run did not fail: its result was not kept, and --resume "
         "would skip it)", [], results_dir_errors(runs))
    umount(t, out)   # the fault is removed
    r2 = sweep(args + ["--resume"], 40)
    require_ended(t, r2, "--resume once writable again", 0)
    check_resumed(t, out, names)


def test_results_disk_full(t):
    base = mktemp("full")
    mnt = os.path.join(base, "mnt")
    os.mkdir(mnt)
    mount(t, "-t", "tmpfs", "-o", "size=128k,mode=0755", "sbfull", mnt)
    MOUNTS.append(mnt)
    out = os.path.join(mnt, "out")
    # each run file is 20-35 KiB and is written twice (load's file in
    # runs/.tmp/, then the sweep's): 8 runs cannot fit in 128 KiB
    args = epoll_args(out, "1,2,3,4,5,6,7,8", "200ms")
    names = dry_run_names(t, args)
    watch = RunsWatch(out)
    watch.start()
    r = sweep(args, 60)
    watch.stop()
    require_ended(t, r, "sweep on a full disk", 1)
    watch.report(t, "during the sweep")
    one_clear_message(t, r, "full disk", "No space left on device", out)
    runs = check_out_dir(t, out, "after the sweep", tmp_must_be_empty=False)
    good = [n for n, run in runs.items() if run.get("error") is None]
    t.require(len(good) < len(names), f"test setup: the 128 KiB tmpfs did "
              f"not fill (all {len(names)} runs written)")
    t.check(good, "runs written before the disk filled", "at least one",
            sorted(runs))
    t.eq("run files recording a results-directory error as the run's own "
         "(that run did not fail: its result was not kept, and --resume "
         "skips it for ever)", [], results_dir_errors(runs))
    mount(t, "-o", "remount,size=16m", mnt)   # the fault is removed
    r2 = sweep(args + ["--resume"], 60)
    require_ended(t, r2, "--resume with room on the disk", 0)
    check_resumed(t, out, names)


def test_out_read_only_at_start(t):
    base = mktemp("ro0")
    d = os.path.join(base, "ro")
    os.mkdir(d)
    bind_read_only(t, d)
    out = os.path.join(d, "out")
    r = sweep(epoll_args(out, "1", "200ms"), 20)
    require_ended(t, r, "sweep with a read-only --out", 1)
    lines = r.err_lines()
    t.check(len(lines) == 1 and "Read-only file system" in lines[0] and
            out in lines[0], "stderr", f"one line naming {out} and "
            f"'Read-only file system'", r.err)
    t.eq("stdout", "", r.out)
    umount(t, d)
    t.eq("the results directory (nothing created)", False,
         os.path.exists(out))


# ------------------------------------------------------------------ main

def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    sbtest.require_root("test_faults.py", "private mount namespace, tmpfs "
                        "and read-only bind mounts, network namespaces")
    sbtest.in_private_mount_namespace(__file__, MNTNS_ENV)
    runner = sbtest.Runner("sweep faults")

    def cases(runner):
        runner.run("server_sigkill_self", test_server_sigkill_self,
                   timeout=90)
        runner.run("server_sigkill_external", test_server_sigkill_external,
                   timeout=90)
        runner.run("server_sigkill_requests", test_server_sigkill_requests,
                   timeout=60)
        runner.run("server_hangs", test_server_hangs, timeout=90)
        runner.run("results_read_only", test_results_read_only, timeout=90)
        runner.run("results_disk_full", test_results_disk_full, timeout=150)
        runner.run("out_read_only_at_start", test_out_read_only_at_start,
                   timeout=40)
    sbtest.run_timed(runner, cases, cleanup)


if __name__ == "__main__":
    main()
