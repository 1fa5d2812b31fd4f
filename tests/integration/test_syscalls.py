#!/usr/bin/env python3
"""Failed and interrupted system calls, against the real server and load
generator, with real sockets (docs/reliability.md, "Failed system calls").

faultshim.c (built by tests/CMakeLists.txt) is preloaded into sockbench
and fails what it is told to: epoll_ctl(ADD) or setsockopt() for the
connections a client marks by binding 127.0.0.2 as its source address,
every Nth epoll_ctl(ADD) of the load generator, a wait (epoll_wait, poll,
select, io_uring) returning EINTR or failing outright; it can also install
a SIGWINCH handler so that a storm of real signals interrupts real waits.

    python3 tests/integration/test_syscalls.py --bin build/sockbench \\
        --shim build/tests/libsbfaultshim.so [-k NAME]

Under ASan (the Sanitize build) the sanitizer runtime must be the first
library loaded: it is put in LD_PRELOAD before the shim, whose wrappers its
interceptors then call as the "real" functions.
"""

import functools
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
from sbtest import finish, pattern, read_to_end, rr_request, transfer  # noqa: E402

MARKED = "127.0.0.2"  # a client bound here is the one the faults hit
REQUESTS = 20000      # per SIGWINCH storm case: a few tenths of a second
SHIM = None
TMP = []


def extra_args(p):
    p.add_argument("--shim", required=True,
                   help="the fault library (build/tests/libsbfaultshim.so)")


@functools.lru_cache(maxsize=None)
def sanitizer_runtime():
    """The ASan runtime the binary loads, if any (it must come first)."""
    try:
        out = subprocess.run(["ldd", sbtest.BIN], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"libasan\.so\S*\s+=>\s+(\S+)", out)
    return m.group(1) if m else None


def shim_env(report, **faults):
    """Environment for a sockbench process with the shim preloaded:
    faults are SBFAULT_<NAME>=value (see faultshim.c)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SBFAULT_")}
    env["LD_PRELOAD"] = " ".join(p for p in (sanitizer_runtime(), SHIM) if p)
    env["SBFAULT_REPORT"] = report
    for k, v in faults.items():
        env["SBFAULT_" + k.upper()] = str(v)
    return env


def new_report():
    fd, path = tempfile.mkstemp(prefix="sbfault-", suffix=".txt")
    os.close(fd)
    os.unlink(path)
    TMP.append(path)
    return path


def reports(path):
    """The shim's count lines, one per process that ended: [{key: int}]."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    return [{k: int(v) for k, v in (kv.split("=", 1) for kv in line.split())}
            for line in lines]


def read_report(t, path, pid):
    """The shim's counts for process pid, written at its exit."""
    for d in reports(path):
        if d["pid"] == pid:
            return d
    t.fail(f"shim report {path}: expected a line for pid {pid} (was the "
           f"library preloaded?), actual {reports(path)!r}")


def report_sum(t, path, pid, key):
    """key summed over pid and its children (prefork workers, fork's)."""
    read_report(t, path, pid)
    return sum(d[key] for d in reports(path))


def start(t, model, env, args=()):
    srv = sbtest.Server(["--model", model, "--proto", "rr"] + list(args),
                        env=env)
    try:
        srv.start()
    except sbtest.StartError as e:
        srv.__exit__(None, None, None)
        t.fail(str(e))
    return srv


def connect(srv, src="127.0.0.1"):
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", srv.port))
    return s


def exchanges(t, s, what, n=5):
    """n rr exchanges of growing size; the count done."""
    for i in range(n):
        resp = 100 + 997 * i
        data = transfer(s, rr_request(10 * i, resp), resp, 5)
        if not t.eq(f"{what} exchange {i} reply", (resp, True),
                    (len(data), data == pattern(resp))):
            return i
    return n


def refused(t, srv, what):
    """A marked connection: the server must close it at once (EOF, or RST
    when our request was still unread), never answer it."""
    s = connect(srv, MARKED)
    try:
        try:
            s.sendall(rr_request(10, 100))
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, how = read_to_end(s, 3)
        t.check(data == b"" and how in ("eof", "reset"), f"{what}: client view",
                "closed by the server (eof or reset) with no reply byte",
                (how, len(data)))
    finally:
        s.close()


def served_and_refused(t, model, fault, errno_name, args=()):
    """Two normal clients stay served while three marked connections are
    refused: closed, counted once each under errno_name, accepted ==
    closed."""
    report = new_report()
    env = shim_env(report, peer=MARKED, errno=errno_name, **fault)
    with start(t, model, env, args) as srv:
        a = connect(srv)
        done = exchanges(t, a, "client a")
        for i in range(3):
            refused(t, srv, f"marked connection {i}")
            b = connect(srv)
            done += exchanges(t, b, f"client b{i}", 2)
            t.eq(f"client b{i}: bytes after the last reply", b"", finish(b, 5))
        done += exchanges(t, a, "client a, after the refusals")
        t.eq("client a: bytes after the last reply", b"", finish(a, 5))
        stats = sbtest.stop_server(t, srv)
    t.eq("stats errors", {errno_name: 3}, stats.get("errors"))
    t.eq("stats accepted (a, 3 marked, 3 b)", 7, stats.get("accepted"))
    t.eq("stats closed (== accepted)", 7, stats.get("closed"))
    t.eq("stats requests", done, stats.get("requests"))
    key = "add_failed" if "add" in fault else "sockopt_failed"
    t.eq(f"shim {key}", 3, report_sum(t, report, srv.ready["pid"], key))


def case_add_refused(t, model, errno_name):
    args = ["--workers", "2"] if model == "prefork" else []
    served_and_refused(t, model, {"add": "peer"}, errno_name, args)


def case_sockopt_refused(t, model, opt, args):
    served_and_refused(t, model, {"sockopt": opt}, "EPERM", args)


def case_wait_eintr(t, model):
    """Every other wait returns EINTR at once: never an error, all served."""
    report = new_report()
    args = ["--workers", "2"] if model == "prefork" else []
    with start(t, model, shim_env(report, eintr=2), args) as srv:
        socks = [connect(srv) for _ in range(4)]
        done = 0
        for k in range(3):
            for i, s in enumerate(socks):
                done += exchanges(t, s, f"round {k} client {i}", 2)
        for s in socks:
            t.eq("bytes after the last reply", b"", finish(s, 5))
        stats = sbtest.stop_server(t, srv)
    t.eq("stats errors", {}, stats.get("errors"))
    t.eq("stats accepted, closed", (4, 4),
         (stats.get("accepted"), stats.get("closed")))
    t.eq("stats requests", done, stats.get("requests"))
    n = report_sum(t, report, srv.ready["pid"], "eintr_injected")
    t.check(n > 0, "shim eintr_injected", "> 0", n)


def case_wait_fails(t, model):
    """The first wait fails with EBADF: the run ends, exit status 1, the
    error named on stderr, the stats still written."""
    report = new_report()
    srv = sbtest.Server(["--model", model], env=shim_env(report, errno="EBADF",
                                                         wait_fail=1))
    try:
        srv.start()
        try:
            rc = srv.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            t.fail("server still running 5 s after its wait failed")
        srv.wait_group_empty(2.0)
        t.eq("exit status", 1, rc)
        line = f"sockbench serve: model {model}: Bad file descriptor"
        t.check(line in srv.stderr().splitlines(), "stderr", repr(line),
                srv.stderr())
        stats = srv.read_stats()
    except sbtest.StartError as e:
        t.fail(str(e))
    finally:
        srv.__exit__(None, None, None)
    t.eq("stats accepted, closed", (0, 0),
         (stats.get("accepted"), stats.get("closed")))


def run_load(t, env, args, timeout=20, rc=0):
    """`sockbench load --json` with args: (run JSON, Result, pid)."""
    jpath = new_report() + ".json"
    TMP.append(jpath)
    proc = sbtest.start_proc([sbtest.BIN, "load", "--quiet", "--json", jpath]
                             + args, env=env)
    r = sbtest.finish_proc(proc, timeout, term_wait=None)
    t.require(r.rc == rc and not r.timed_out,
              f"load: expected exit {rc}, actual {r.show()}")
    return sbtest.load_json(t, jpath), r, proc.pid


def case_load_add_refused(t):
    """crr, one thread: each request is one connection, one epoll_ctl(ADD);
    every 4th ADD fails with ENOMEM: exactly 25 of 100 requests fail with
    ENOMEM (none waits for a connect timeout), 75 complete."""
    report = new_report()
    with start(t, "epoll", None) as srv:
        run, r, pid = run_load(t, shim_env(report, add="every:4"), [
            "--target", f"127.0.0.1:{srv.port}", "--mode", "crr",
            "--requests", "100", "--conns", "2", "--threads", "1",
            "--connect-timeout", "2s"])
        stats = sbtest.stop_server(t, srv)
    load = run.get("load", {})
    t.eq("load errors", {"ENOMEM": 25}, load.get("errors"))
    t.eq("requests completed, failed", (75, 25),
         (sbtest.dig(load, "requests", "completed"),
          sbtest.dig(load, "requests", "failed")))
    t.eq("connections established, failed", (75, 25),
         (sbtest.dig(load, "connections", "established"),
          sbtest.dig(load, "connections", "failed")))
    t.eq("server accepted, closed, errors", (75, 75, {}),
         (stats.get("accepted"), stats.get("closed"), stats.get("errors")))
    t.check(r.elapsed < 5, "load run time", "< 5 s (no connect timeout)",
            round(r.elapsed, 2))
    t.eq("shim add_failed", 25, read_report(t, report, pid)["add_failed"])


def case_load_wait(t, fault, want_errors):
    """The generator's epoll_wait interrupted (EINTR: nothing counted, all
    2,000 requests done) or failing (EBADF: counted once per thread, and
    the threads end at once instead of spinning for the 3 s asked)."""
    report = new_report()
    until = ["--duration", "3s"] if want_errors else ["--requests", "2000"]
    with start(t, "epoll", None) as srv:
        # failing waits: not one request completes, so exit 1 (SPEC 10)
        run, r, pid = run_load(t, shim_env(report, **fault), [
            "--target", f"127.0.0.1:{srv.port}", "--mode", "rr",
            "--conns", "4", "--threads", "2"] + until,
            rc=1 if want_errors else 0)
        sbtest.stop_server(t, srv)
    load = run.get("load", {})
    t.eq("load errors", want_errors, load.get("errors"))
    t.eq("requests failed", 0, sbtest.dig(load, "requests", "failed"))
    rep = read_report(t, report, pid)
    if want_errors:
        t.check(r.elapsed < 2.5, "load run time", "< 2.5 s", r.elapsed)
        t.eq("shim wait_failed (one per thread)", 2, rep["wait_failed"])
    else:
        t.eq("requests completed", 2000,
             sbtest.dig(load, "requests", "completed"))
        t.check(rep["eintr_injected"] > 0, "shim eintr_injected", "> 0", rep)


def storm(pgids, stop, sent):
    """SIGWINCH to every process of each group in pgids (a list that may
    grow meanwhile), every 0.5 ms; sent[g] counts the signals to g."""
    while not stop.is_set():
        for g in list(pgids):
            try:
                os.killpg(g, signal.SIGWINCH)
                sent[g] = sent.get(g, 0) + 1
            except ProcessLookupError:
                pass
        time.sleep(0.0005)


def case_sigwinch(t, model):
    """A terminal resize (SIGWINCH, with a handler installed) storms a
    serving server and the load generator: no error anywhere, every
    connection accounted for."""
    srep, lrep = new_report(), new_report()
    conns = "1" if model == "blocking" else "4"
    args = ["--workers", "2"] if model == "prefork" else []
    with start(t, model, shim_env(srep, sigwinch=1), args) as srv:
        jpath = lrep + ".json"
        TMP.append(jpath)
        # the storm is on before the load starts: it is hit from its
        # first moment (its shim installs the handler before main)
        pgids, stop, sent = [srv.proc.pid], threading.Event(), {}
        th = threading.Thread(target=storm, args=(pgids, stop, sent),
                              daemon=True)
        th.start()
        try:
            time.sleep(0.01)
            load = sbtest.start_proc(
                [sbtest.BIN, "load", "--quiet", "--json", jpath, "--target",
                 f"127.0.0.1:{srv.port}", "--mode", "rr", "--conns", conns,
                 "--threads", "2", "--requests", str(REQUESTS)],
                env=shim_env(lrep, sigwinch=1))
            pgids.append(load.pid)
            r = sbtest.finish_proc(load, 20, term_wait=None)
            lpid = load.pid
            time.sleep(0.05)
        finally:
            stop.set()
            th.join(5)
        stats = sbtest.stop_server(t, srv)
    t.note(f"SIGWINCH sent: {sent.get(srv.proc.pid, 0)} to the server, "
           f"{sent.get(lpid, 0)} to load, in {r.elapsed:.2f} s")
    t.require(r.rc == 0, f"load: expected exit 0, actual {r.show()}")
    run = sbtest.load_json(t, jpath)
    ld = run.get("load", {})
    t.eq("load errors", {}, ld.get("errors"))
    t.eq("load requests failed", 0, sbtest.dig(ld, "requests", "failed"))
    t.eq("load requests completed", REQUESTS,
         sbtest.dig(ld, "requests", "completed"))
    t.eq("server errors", {}, stats.get("errors"))
    t.eq("server accepted, closed", (int(conns), int(conns)),
         (stats.get("accepted"), stats.get("closed")))
    srv_rep = read_report(t, srep, srv.ready["pid"])
    load_rep = read_report(t, lrep, lpid)
    t.check(srv_rep["sigwinch"] > 0 and load_rep["sigwinch"] > 0,
            "SIGWINCH handled (server, load)", "both > 0",
            (srv_rep["sigwinch"], load_rep["sigwinch"]))
    if model not in ("blocking", "thread", "fork"):
        # an event loop sleeps in its wait: the storm must have cut some
        t.check(srv_rep["eintr_real"] > 0, "server waits interrupted",
                "> 0 (real EINTR)", srv_rep)


def cases(runner):
    for model, err in (("epoll", "ENOMEM"), ("prefork", "ENOMEM"),
                       ("libevent", "ENOSPC")):
        runner.run(f"add_refused_{model}_{err}", case_add_refused, model,
                   err, timeout=60)
    runner.run("sockopt_refused_epoll_SO_SNDBUF", case_sockopt_refused,
               "epoll", "SO_SNDBUF", ["--sndbuf", "65536"])
    runner.run("sockopt_refused_thread_TCP_NODELAY", case_sockopt_refused,
               "thread", "TCP_NODELAY", [])
    for model in ("epoll", "poll", "select", "libevent", "uring", "prefork"):
        runner.run(f"wait_eintr_{model}", case_wait_eintr, model)
    for model in sbtest.MODELS:
        runner.run(f"wait_fails_{model}", case_wait_fails, model)
    runner.run("load_add_refused", case_load_add_refused)
    runner.run("load_wait_eintr", case_load_wait, {"eintr": 2}, {})
    runner.run("load_wait_fails", case_load_wait,
               {"wait_fail": 1, "errno": "EBADF"}, {"EBADF": 2})
    for model in ("epoll", "poll", "libevent", "uring", "prefork", "thread",
                  "blocking"):
        runner.run(f"sigwinch_{model}", case_sigwinch, model)


def cleanup():
    for p in TMP:
        try:
            os.unlink(p)
        except OSError:
            pass


def main():
    global SHIM
    args = sbtest.parse_args(__doc__.splitlines()[0], extra_args)
    SHIM = os.path.abspath(args.shim)
    runner = sbtest.Runner("failed and interrupted system calls")
    if not os.path.isfile(SHIM):
        print(f"FAIL fault library not found: {SHIM}")
        runner.failed += 1
        runner.finish()
    sbtest.run_timed(runner, cases, cleanup)


if __name__ == "__main__":
    main()
