#!/usr/bin/env python3
"""Safety defaults: what sockbench does when nobody asked for anything.

    python3 tests/integration/test_safety.py --bin build/sockbench [-k NAME]

Needs root for the sweep tests (private network namespaces).

Tests:
  bind_default_serve      `serve` without --bind listens on 127.0.0.1 only:
                          the READY line and the kernel's view of every
                          listening socket of the server's processes
                          (/proc/net/tcp{,6} by socket inode), for epoll,
                          blocking and prefork (reuseport: one socket per
                          worker); --bind 0.0.0.0 and ::1 as controls
  bind_default_load       the server `load --serve` starts: 127.0.0.1 in
                          the kernel, config.server.bind, config.target
  sweep_host_sysctls      a sweep over somaxconn, port range, syncookies,
                          tw_reuse, syn_retries, abort_on_overflow: each
                          run saw its cell's values, the host's
                          /proc/sys values never moved (sampled every 5 ms
                          during the sweep); --host-netns with a sysctl
                          axis is refused
  load_help_bounds        `load --help` states the default duration (10s)
                          and both timeouts (5s)
  load_default_duration   a load with neither --duration nor --requests
                          ends after the default 10 s (config.load.duration
                          10)
  load_requests_silent    --requests against a server that never answers
                          ends by --timeout: every request a
                          request_timeout
  load_requests_refused   --requests against a port nobody listens on ends
  load_requests_server_dies  --requests whose server is SIGKILLed mid-run
                          ends, the death recorded
  server_cmd_words        --server-cmd is split by sockbench, no shell:
                          quoted words with spaces, ';', $(...), backquotes
                          and a `unix:` path stay one argument each, every
                          placeholder stays inside its word, nothing runs
                          (no marker file); through `load` and `sweep`
  unix_path_with_spaces   `--bind 'unix:/…/x y;touch /…/PWNED'` through
                          `load --serve` and `sweep`: the server binds that
                          exact path, the load reaches it, no marker file
  sweep_value_one_word    an axis value holding a quote cannot add options
                          to the server's command line
"""

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

TMPDIRS = []

SYSCTLS = {   # sweep option -> /proc/sys path
    "somaxconn": "net/core/somaxconn",
    "port-range": "net/ipv4/ip_local_port_range",
    "syncookies": "net/ipv4/tcp_syncookies",
    "tw-reuse": "net/ipv4/tcp_tw_reuse",
    "syn-retries": "net/ipv4/tcp_syn_retries",
    "abort-on-overflow": "net/ipv4/tcp_abort_on_overflow",
}


def mktemp(tag):
    return sbtest.make_tmpdir(f"sbsafe-{tag}-", TMPDIRS, mode=0o755)


def cleanup():
    for d in TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------- processes

Result = sbtest.Result
start = sbtest.start_proc


def finish(proc, timeout):
    """Wait; on timeout SIGTERM (a sweep then stops its run), SIGKILL the
    group and every descendant after 3 s."""
    return sbtest.finish_proc(proc, timeout, term_wait=3)


def sb(args, timeout, env=None, cwd=None):
    return finish(start([sbtest.BIN] + args, env=env, cwd=cwd), timeout)


descendants = sbtest.descendants


argv_of = sbtest.argv_of


def load_json(t, path):
    return sbtest.load_json(t, path, "the run JSON")


dig = sbtest.dig


# ------------------------------------------------------- listening sockets

def socket_inodes(pids):
    inodes = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]$", link)
            if m:
                inodes.add(int(m.group(1)))
    return inodes


def hex_addr(text, v6):
    raw = bytes.fromhex(text)
    # /proc/net/tcp{,6} print each 32-bit word in host (little-endian) order
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET6 if v6 else socket.AF_INET, raw)


def listening(pids, netns_pid=None):
    """[(local address, port)] of every LISTEN TCP socket the processes
    hold, from the kernel's tables of their network namespace."""
    inodes = socket_inodes(pids)
    base = f"/proc/{netns_pid}/net" if netns_pid else "/proc/net"
    out = []
    for name, v6 in (("tcp", False), ("tcp6", True)):
        try:
            with open(f"{base}/{name}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for ln in rows:
            fld = ln.split()
            if fld[3] != "0A" or int(fld[9]) not in inodes:
                continue
            addr, port = fld[1].rsplit(":", 1)
            out.append((hex_addr(addr, v6), int(port, 16)))
    return sorted(out)


def group_pids(pgid):
    return sbtest.group_members(pgid, live_only=True)


# ----------------------------------------------------------------- tests

BIND_CASES = [
    ("epoll", [], 1),
    ("blocking", [], 1),
    ("prefork", ["--workers", "2", "--accept-mode", "reuseport"], 2),
]


def test_bind_default_serve(t):
    for model, extra, nsock in BIND_CASES:
        srv = sbtest.start_server(t, ["--model", model, "--port", "0"] +
                                  extra)
        with srv:
            t.eq(f"{model}: READY addr (no --bind)", "127.0.0.1",
                 srv.ready["addr"])
            port = srv.port
            deadline = time.monotonic() + 3
            while True:   # prefork workers open their sockets themselves
                got = listening(group_pids(srv.proc.pid))
                if len(got) >= nsock or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            t.note(f"{model} {' '.join(extra)}: READY {srv.ready_line!r};"
                   f" LISTEN sockets of its processes: {got}")
            t.eq(f"{model} {' '.join(extra)}: listening sockets of the "
                 f"server's processes (kernel view)",
                 [("127.0.0.1", port)] * nsock, got)
            sbtest.stop_server(t, srv)
    # controls: the check sees a wildcard and an IPv6 bind
    for bind, want in (("0.0.0.0", "0.0.0.0"), ("::1", "::1")):
        srv = sbtest.start_server(t, ["--bind", bind, "--port", "0"])
        with srv:
            t.eq(f"--bind {bind}: READY addr", want, srv.ready["addr"])
            t.eq(f"--bind {bind}: listening sockets",
                 [(want, srv.port)], listening(group_pids(srv.proc.pid)))
            sbtest.stop_server(t, srv)


def test_bind_default_load(t):
    d = mktemp("lbind")
    js = os.path.join(d, "run.json")
    proc = start([sbtest.BIN, "load", "--serve", "--model epoll",
                  "--mode", "rr", "--duration", "1500ms", "--conns", "1",
                  "--threads", "1", "--quiet", "--json", js])
    seen = None
    deadline = time.monotonic() + 5
    while seen is None and time.monotonic() < deadline and \
            proc.poll() is None:
        for pid in descendants(proc.pid):
            argv = argv_of(pid)
            if len(argv) > 1 and argv[1] == "serve":
                got = listening([pid] + descendants(pid))
                if got:
                    seen = (pid, argv, got)
                    break
        time.sleep(0.02)
    r = finish(proc, 15)
    t.require(not r.timed_out and r.rc == 0, f"load --serve: {r.show()}")
    t.require(seen, "never saw the `sockbench serve` that load started "
              "listening")
    pid, argv, got = seen
    t.note(f"server pid {pid}: {' '.join(argv)}")
    t.eq("listening sockets of the server load --serve started",
         ["127.0.0.1"], sorted({a for a, _ in got}))
    run = load_json(t, js)
    t.eq("config.server.bind", "127.0.0.1", dig(run, "config", "server",
                                                "bind"))
    tgt = dig(run, "config", "target") or ""
    t.check(tgt.startswith("127.0.0.1:"), "config.target",
            "127.0.0.1:PORT", tgt)


def read_host(names):
    out = {}
    for n in names:
        with open("/proc/sys/" + n) as f:
            out[n] = " ".join(f.read().split())
    return out


def other_values(host):
    """Axis values that differ from the host's, so that a leak shows."""
    som = int(host[SYSCTLS["somaxconn"]])
    lo = host[SYSCTLS["port-range"]].split()[0]
    return {
        "somaxconn": [str(v) for v in (64, 512) if v != som][:2] or ["96"],
        "port-range": ["20000-20999" if lo != "20000" else "21000-21999"],
        "syncookies": [str(v) for v in (0, 2)
                       if str(v) != host[SYSCTLS["syncookies"]]][:1],
        "tw-reuse": [str(v) for v in (0, 1)
                     if str(v) != host[SYSCTLS["tw-reuse"]]][:1],
        "syn-retries": [str(3 if host[SYSCTLS["syn-retries"]] != "3"
                            else 4)],
        "abort-on-overflow": [str(1 - int(
            host[SYSCTLS["abort-on-overflow"]] != "0"))],
    }


def test_sweep_host_sysctls(t):
    names = list(SYSCTLS.values())
    host = read_host(names)
    t.note(f"host: {host}")
    vals = other_values(host)
    d = mktemp("sysctl")
    out = os.path.join(d, "out")
    args = ["--models", "epoll", "--proto", "rr", "--conns", "2",
            "--threads", "1", "--duration", "300ms", "--out", out]
    for opt, v in vals.items():
        args += [f"--{opt}", ",".join(v)]
    samples, changed = [0], []
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            now = read_host(names)
            samples[0] += 1
            if now != host and len(changed) < 5:
                changed.append(now)
            time.sleep(0.005)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    try:
        r = sb(["sweep"] + args, 60)
    finally:
        stop.set()
        th.join(timeout=5)
    t.require(not r.timed_out and r.rc == 0, f"sweep: {r.show()}")
    t.note(f"{samples[0]} samples of the host's sysctls during the sweep")
    t.eq("host /proc/sys values that differed from the start, sampled "
         "during the sweep", [], changed)
    t.eq("host /proc/sys values after the sweep", host, read_host(names))
    runs_dir = os.path.join(out, "runs")
    runs = [load_json(t, os.path.join(runs_dir, n))
            for n in sorted(os.listdir(runs_dir)) if n.endswith(".json")]
    t.eq("run files", len(vals["somaxconn"]), len(runs))
    for run in runs:
        cell = dig(run, "sweep", "values") or {}
        env = dig(run, "environment", "sysctl") or {}
        for opt, path in SYSCTLS.items():
            key = path.replace("/", ".")
            want = cell.get(opt.replace("-", "_"))
            if want is None:
                t._record(f"sweep.values has no {opt}: {cell}")
                continue
            want = want.replace("-", " ") if opt == "port-range" else \
                int(want)
            t.eq(f"run {cell.get('somaxconn')}: environment.sysctl {key} "
                 f"(the namespace's, set by the cell)", want, env.get(key))
        t.eq("run netns", "private", dig(run, "environment", "netns"))
        t.eq("run config.server.bind", "127.0.0.1",
             dig(run, "config", "server", "bind"))
    # --host-netns with a sysctl axis: refused before anything changes
    out2 = os.path.join(d, "out2")
    r = sb(["sweep", "--host-netns", "--port-range", "20000-20999",
            "--duration", "200ms", "--out", out2], 10)
    t.eq("--host-netns --port-range: exit status", 2, r.rc)
    t.check(len(r.err.splitlines()) == 1 and "--port-range" in r.err,
            "--host-netns --port-range: stderr", "one line naming "
            "--port-range", r.err)
    t.eq("--host-netns --port-range: out dir created", False,
         os.path.exists(out2))
    t.eq("host /proc/sys values at the end", host, read_host(names))


def test_load_help_bounds(t):
    r = sb(["load", "--help"], 10)
    t.eq("load --help exit status", 0, r.rc)
    lines = r.out.splitlines()

    def line_of(opt):
        return next((ln for ln in lines if re.match(
            rf"\s*{re.escape(opt)}\b", ln)), "")
    for opt, want in (("--duration", "default 10s"),
                      ("--timeout", "default 5s"),
                      ("--connect-timeout", "default 5s")):
        ln = line_of(opt)
        t.check(want in ln, f"load --help line of {opt}", f"to say "
                f"{want!r}", ln or r.out[:600])
    t.check(line_of("--requests"), "load --help", "a --requests line",
            r.out[:600])


def test_load_default_duration(t):
    d = mktemp("dur")
    js = os.path.join(d, "run.json")
    # a paused server and one held connection: ten idle seconds
    r = sb(["load", "--serve", "--pause-accept", "--mode", "connect",
            "--conns", "1", "--threads", "1", "--quiet", "--json", js], 25)
    t.require(not r.timed_out, f"a load without --duration or --requests "
              f"still ran after 25 s: {r.show()}")
    t.note(f"took {r.elapsed:.2f}s")
    t.eq("exit status", 0, r.rc)
    t.check(9.9 <= r.elapsed <= 14, "wall time of a load without "
            "--duration", "the default 10 s (+ start/stop)",
            round(r.elapsed, 2))
    run = load_json(t, js)
    t.eq("config.load.duration (default)", 10,
         dig(run, "config", "load", "duration"))
    t.eq("config.load.requests (not given)", None,
         dig(run, "config", "load", "requests"))
    ds = run.get("duration_s")
    t.check(isinstance(ds, (int, float)) and abs(ds - 10) < 0.5,
            "duration_s", "about 10", ds)


def no_leftovers(t, marker):
    # zombies count too: a server its parent never reaped is left behind
    sbtest.check_no_leftovers(t, marker, "processes left running",
                              zombies=True)


def test_load_requests_silent(t):
    d = mktemp("silent")
    cmd, srv, _ = sbtest.faultsrv_cmd(d, {"128": "silent"})
    js = os.path.join(d, "run.json")
    r = sb(["load", "--server-cmd", cmd, "--requests", "4", "--conns", "2",
            "--threads", "1", "--timeout", "500ms", "--quiet", "--json",
            js], 15)
    no_leftovers(t, srv)
    t.require(not r.timed_out, f"--requests against a silent server still "
              f"ran after 15 s: {r.show()}")
    t.note(f"took {r.elapsed:.2f}s")
    # errors are results, but not one request completed: exit 1 (SPEC 10)
    t.eq("exit status (no request completed)", 1, r.rc)
    t.check(r.elapsed < 6, "wall time", "under 6 s (4 requests, 2 "
            "connections, --timeout 500ms)", round(r.elapsed, 2))
    run = load_json(t, js)
    t.eq("load.errors", {"request_timeout": 4}, dig(run, "load", "errors"))
    t.eq("load.requests.completed", 0, dig(run, "load", "requests",
                                           "completed"))
    t.eq("load.requests.failed", 4, dig(run, "load", "requests", "failed"))
    t.eq("error", None, run.get("error"))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]   # bound, never listening: refused


def test_load_requests_refused(t):
    d = mktemp("refused")
    js = os.path.join(d, "run.json")
    holder, port = closed_port()
    try:
        r = sb(["load", "--target", f"127.0.0.1:{port}", "--requests", "10",
                "--conns", "1", "--threads", "1", "--connect-timeout",
                "500ms", "--timeout", "500ms", "--quiet", "--json", js], 8)
    finally:
        holder.close()
    if r.timed_out:
        t.fail(f"`load --requests 10` against a port nobody listens on was "
               f"still running after 8 s (stopped by the test): connection "
               f"failures never count toward --requests and a --requests "
               f"run has no time bound; {r.show()}")
    t.check(r.rc in (0, 1), "exit status", "0 or 1", r.rc)
    run = load_json(t, js)
    refused = dig(run, "load", "errors", "ECONNREFUSED")
    t.check(isinstance(refused, int) and refused > 0,
            "load.errors.ECONNREFUSED", "> 0", dig(run, "load", "errors"))


def test_load_requests_server_dies(t):
    d = mktemp("dies")
    cmd, srv, _ = sbtest.faultsrv_cmd(d, {"128": "killself:0.3"})
    js = os.path.join(d, "run.json")
    r = sb(["load", "--server-cmd", cmd, "--requests", "100000000",
            "--conns", "2", "--threads", "1", "--quiet", "--json", js], 10)
    no_leftovers(t, srv)
    if r.timed_out:
        t.fail(f"`load --requests` whose server was SIGKILLed 0.3 s in was "
               f"still running after 10 s (stopped by the test): it "
               f"reconnects to the dead port for ever; {r.show()}")
    t.eq("exit status (the server died)", 1, r.rc)
    run = load_json(t, js)
    err = run.get("error")
    t.check(isinstance(err, str) and re.search(r"signal 9|SIGKILL", err),
            "error", "names the server's death (signal 9)", err)


# The program --server-cmd runs records its argv (faultsrv.py with
# SB_ARGV_OUT) and serves rr on the port of its --port=N argument.
def argv_case(d):
    sdir = os.path.join(d, "srv dir;touch PWNED0")
    os.mkdir(sdir)
    srv = os.path.join(sdir, "faultsrv.py")
    shutil.copy(sbtest.FAULTSRV, srv)
    mark = os.path.join(d, "PWNED")
    path = f"/tmp/x y;touch {mark}"
    cmd = (f"{sys.executable} '{srv}' --port={{port}} 'unix:{path}' "
           f"\"two  words\" '$(touch {mark})' '`touch {mark}`' "
           f"'{{addr}};touch {mark}' back\\ slash 'b={{backlog}} r="
           f"{{recv_size}}' ';' '&&' touch {mark}")
    tail = [f"unix:{path}", "two  words", f"$(touch {mark})",
            f"`touch {mark}`", f"127.0.0.1;touch {mark}", "back slash"]
    return cmd, tail, [";", "&&", "touch", mark], mark, srv


def check_argv(t, what, got, port, tail, backlog, recv, after, mark, d):
    want = [f"--port={port}"] + tail + [f"b={backlog} r={recv}"] + after
    t.eq(f"{what}: argv the program received (one word each)", want, got)
    t.eq(f"{what}: marker files (nothing ran through a shell)", [],
         [p for p in (mark, os.path.join(d, "PWNED0"),
                      os.path.join(os.getcwd(), "PWNED0"))
          if os.path.exists(p)])


def test_server_cmd_words(t):
    d = mktemp("words")
    cmd, tail, after, mark, srv = argv_case(d)
    rec = os.path.join(d, "argv.json")
    env = dict(os.environ, SB_ARGV_OUT=rec)
    js = os.path.join(d, "run.json")
    r = sb(["load", "--server-cmd", cmd, "--requests", "20", "--conns",
            "2", "--threads", "1", "--quiet", "--json", js], 20, env=env,
           cwd=d)
    no_leftovers(t, srv)
    t.require(not r.timed_out and r.rc == 0, f"load --server-cmd: "
              f"{r.show()}")
    run = load_json(t, js)
    port = (dig(run, "config", "target") or ":").rsplit(":", 1)[1]
    t.eq("load.requests.completed (the program served)", 20,
         dig(run, "load", "requests", "completed"))
    got = load_json(t, rec)
    check_argv(t, "load", got, port, tail, 128, 1024, after, mark, d)

    # the same through a sweep: it fills {backlog} and {recv_size}, the
    # load it runs fills {port}
    os.unlink(rec)
    out = os.path.join(d, "out")
    r = sb(["sweep", "--server-cmd", cmd, "--backlog", "7", "--recv-size",
            "512", "--requests", "20", "--conns", "2", "--threads", "1",
            "--quiet", "--out", out], 30, env=env, cwd=d)
    no_leftovers(t, srv)
    t.require(not r.timed_out and r.rc == 0, f"sweep --server-cmd: "
              f"{r.show()}")
    runs = [n for n in os.listdir(os.path.join(out, "runs"))
            if n.endswith(".json")]
    t.require(len(runs) == 1, f"sweep run files: {runs}")
    run = load_json(t, os.path.join(out, "runs", runs[0]))
    t.eq("sweep run error", None, run.get("error"))
    port = (dig(run, "config", "target") or ":").rsplit(":", 1)[1]
    got = load_json(t, rec)
    check_argv(t, "sweep", got, port, tail, 7, 512, after, mark, d)


def unix_case(d):
    mark = os.path.join(d, "PWNED")
    path = f"{d}/x y;touch {mark}"       # the socket: {d}/x y;touch {d}/PWNED
    os.makedirs(os.path.dirname(path))
    return path, mark


def test_unix_path_with_spaces(t):
    d = mktemp("unix")
    path, mark = unix_case(d)
    js = os.path.join(d, "run.json")
    r = sb(["load", "--serve", f"--bind 'unix:{path}'", "--duration",
            "500ms", "--conns", "2", "--threads", "1", "--quiet", "--json",
            js], 20, cwd=d)
    t.require(not r.timed_out, f"load: {r.show()}")
    t.eq("marker file (nothing ran through a shell)", False,
         os.path.exists(mark))
    run = load_json(t, js)
    t.eq("config.server.bind (one word)", f"unix:{path}",
         dig(run, "config", "server", "bind"))
    t.eq("config.target (the address the server is on)", f"unix:{path}",
         dig(run, "config", "target"))
    t.eq("load.errors", {}, dig(run, "load", "errors"))
    done = dig(run, "load", "requests", "completed")
    t.check(isinstance(done, int) and done > 0, "load.requests.completed",
            "> 0", done)
    t.eq("exit status", 0, r.rc)
    t.eq("socket file removed by the server", False, os.path.exists(path))

    out = os.path.join(d, "out")
    r = sb(["sweep", "--models", "epoll", "--bind", f"unix:{path}",
            "--duration", "300ms", "--conns", "2", "--threads", "1",
            "--quiet", "--out", out], 30, cwd=d)
    t.require(not r.timed_out, f"sweep: {r.show()}")
    t.eq("marker file after the sweep", False, os.path.exists(mark))
    runs = [n for n in os.listdir(os.path.join(out, "runs"))
            if n.endswith(".json")] if os.path.isdir(
        os.path.join(out, "runs")) else []
    t.require(len(runs) == 1, f"sweep run files: {runs}; {r.show()}")
    run = load_json(t, os.path.join(out, "runs", runs[0]))
    t.eq("sweep: config.server.bind", f"unix:{path}",
         dig(run, "config", "server", "bind"))
    t.eq("sweep: config.target", f"unix:{path}",
         dig(run, "config", "target"))
    t.eq("sweep: run error", None, run.get("error"))
    t.eq("sweep: load.errors", {}, dig(run, "load", "errors"))
    t.eq("sweep: exit status", 0, r.rc)


def test_sweep_value_one_word(t):
    d = mktemp("quote")
    out = os.path.join(d, "out")
    value = "unix:/tmp/a' --work-us '5"
    r = sb(["sweep", "--bind", value, "--dry-run", "--out", out], 10)
    t.require(not r.timed_out, f"sweep --dry-run: {r.show()}")
    if r.rc == 2:
        t.check(len(r.err.splitlines()) == 1 and "--bind" in r.err,
                "refused value: stderr", "one line naming --bind", r.err)
        return
    t.eq("exit status (the value refused: 2, or kept whole: 0)", 0, r.rc)
    line = next((ln for ln in r.out.splitlines() if ".json" in ln), "")
    m = re.search(r'--serve "(.*?)" ', line)
    t.require(m, f"--dry-run line: expected --serve \"...\", actual "
              f"{line!r}")
    words = shlex.split(m.group(1))
    t.note(f"the server's options: {m.group(1)!r} -> {words}")
    t.eq("the server's options, split as sockbench splits them (the value "
         "must stay one word, adding no option)", ["--bind", value], words)


# ------------------------------------------------------------------ main

def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    sbtest.require_root("test_safety.py",
                        "sweeps in private network namespaces")
    runner = sbtest.Runner("safety defaults")

    def cases(runner):
        runner.run("bind_default_serve", test_bind_default_serve, timeout=40)
        runner.run("bind_default_load", test_bind_default_load, timeout=30)
        runner.run("sweep_host_sysctls", test_sweep_host_sysctls, timeout=90)
        runner.run("load_help_bounds", test_load_help_bounds, timeout=15)
        runner.run("load_default_duration", test_load_default_duration,
                   timeout=40)
        runner.run("load_requests_silent", test_load_requests_silent,
                   timeout=30)
        runner.run("load_requests_refused", test_load_requests_refused,
                   timeout=30)
        runner.run("load_requests_server_dies",
                   test_load_requests_server_dies, timeout=30)
        runner.run("server_cmd_words", test_server_cmd_words, timeout=60)
        runner.run("unix_path_with_spaces", test_unix_path_with_spaces,
                   timeout=60)
        runner.run("sweep_value_one_word", test_sweep_value_one_word,
                   timeout=20)
    sbtest.run_timed(runner, cases, cleanup)


if __name__ == "__main__":
    main()
