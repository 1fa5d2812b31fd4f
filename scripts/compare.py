#!/usr/bin/env python3
"""sockbench side by side with the tools people trust (run scripts/compare,
which installs what is missing and builds first; this is its body).

Pairs, each run alternating sockbench, peer, sockbench, peer, ... --repeats
times on loopback, server and generator pinned to separate cores:

  http    `load --mode http` vs wrk, both driving the same nginx (1 worker),
          1, 50 and 500 connections: requests/s and generator CPU per request
  stream  `load --mode stream` into `serve --proto sink --recv-size 128k`
          vs iperf3 -l 128K into `iperf3 -s -1`: Gbit/s (sender side)
  rr      `load --mode rr`, 1 connection, 64-byte messages, vs sockperf
          ping-pong --tcp -m 64 against `sockperf server --tcp`: p50, p99
          of half the round trip (sockperf's unit; sockbench's full round
          trip is divided by 2)
  server  `serve --model epoll --proto http` vs nginx (1 worker), both
          driven by the same wrk command: requests/s

Prints a table of medians and ratios (sockbench / peer) against the issue 7
targets and writes OUT/compare.json (every repeat's figures, medians,
ratios, targets, verdicts, the machine, tool versions, the exact commands)
and OUT/runs/ (each run's raw output). Exit 0 when every run completed
(a missed target is a result, not a failure), 1 when a run failed or a pair
could not run, 2 for a bad command line.
"""
import argparse, datetime, hashlib, json, os, re, shlex, shutil, signal, socket, statistics
import subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = ("http", "stream", "rr", "server")
HTTP_CONNS = ((1, 1), (50, 2), (500, 2))  # (connections, threads); 1 thread for 1 connection
SERVER_WRK = (50, 2)  # the server pair: wrk -t2 -c50 against each server


class RunError(Exception):
    pass


class Interrupted(Exception):
    pass


def on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name, 128 + signum)


def hold_signals():
    """While cleaning up, a second Ctrl-C must not cut the cleanup short."""
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)


# ---------------------------------------------------------------- processes

LIVE = []  # Popen objects started and not yet reaped: stopped on every exit path


def bounded(argv, limit_s, cpu):
    """Every process runs under timeout(1): bounded even if this script is killed."""
    pre = ["timeout", "-k", "5", str(int(limit_s))]
    return pre + (["taskset", "-c", str(cpu)] if cpu is not None else []) + argv


BIN_COPY = {}  # the snapshot of the sockbench binary -> the path it was copied from


def shown(argv, cpu):
    """The command as a person would type it (without the timeout(1) guard,
    with the sockbench binary's own path rather than its snapshot's)."""
    argv = [BIN_COPY.get(a, a) for a in argv]
    return shlex.join((["taskset", "-c", str(cpu)] if cpu is not None else []) + argv)


def spawn(argv, log):
    # own session: timeout(1) signals its whole group, so one killpg stops all
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    LIVE.append(p)
    return p


def reap(p, block=True):
    """wait4 the child: exit code and user+sys CPU seconds of it and the
    descendants it waited for (taskset execs, timeout waits for its child)."""
    pid, status, ru = os.wait4(p.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    p.returncode = os.waitstatus_to_exitcode(status)
    if p in LIVE:
        LIVE.remove(p)
    return p.returncode, ru.ru_utime + ru.ru_stime


def stop(p, grace=5.0):
    """SIGTERM (timeout(1) passes it on), then SIGKILL to the group."""
    if p.returncode is not None:
        return None
    got = reap(p, block=False)
    if got:
        return got
    try:
        os.kill(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    end = time.monotonic() + grace
    while time.monotonic() < end:
        got = reap(p, block=False)
        if got:
            return got
        time.sleep(0.02)
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return reap(p)


def stop_all():
    for p in list(LIVE):
        try:
            stop(p, grace=2.0)
        except ChildProcessError:
            LIVE.remove(p)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """A LISTEN socket on the port, read from /proc/net/tcp{,6} (never by
    connecting: iperf3 -s -1 would take the probe for its one test)."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


class Server:
    def __init__(self, name, argv, port, cpu, log_path, limit_s):
        self.name, self.argv, self.port, self.cpu = name, argv, port, cpu
        self.log_path, self.limit_s = log_path, limit_s
        self.command = shown(argv, cpu)
        self.p = None
        self.cpu_s = None

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.p = spawn(bounded(self.argv, self.limit_s, self.cpu), log)
        end = time.monotonic() + 5
        while not listening(self.port):
            if self.p.poll() is not None or time.monotonic() > end:
                self.__exit__(None, None, None)
                raise RunError("%s did not listen on 127.0.0.1:%d within 5 s (see %s)"
                               % (self.name, self.port, self.log_path))
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        if self.p is not None and self.p.returncode is None:
            got = stop(self.p)
            if got:
                self.cpu_s = got[1]
        return False


def run_generator(argv, cpu, limit_s, log_path):
    """Run a generator to its end; return (exit code, CPU seconds, output)."""
    with open(log_path, "wb") as log:
        p = spawn(bounded(argv, limit_s, cpu), log)
    try:
        code, cpu_s = reap(p)
    finally:
        if p.returncode is None:
            stop(p)
    with open(log_path, errors="replace") as f:
        out = f.read()
    if code == 124:
        raise RunError("%s ran past %d s and was stopped" % (argv[0], limit_s))
    return code, cpu_s, out


# ---------------------------------------------------------------- tools' output

WRK_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6}


def parse_wrk(out):
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    n = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    if not m or not n:
        raise RunError("wrk printed no Requests/sec")
    fig = {"requests_per_s": float(m.group(1)), "requests": int(n.group(1))}
    for pct, key in (("50", "p50_us"), ("99", "p99_us")):
        lat = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, out, re.M)
        fig[key] = float(lat.group(1)) * WRK_UNITS[lat.group(2)] if lat else None
    r = re.search(r"requests in [\d.]+\w+, ([\d.]+)([KMGT]?B) read", out)
    if r and fig["requests"]:
        scale = 1024 ** " KMGT".index(r.group(2)[0] if len(r.group(2)) == 2 else " ")
        fig["bytes_read_per_request"] = float(r.group(1)) * scale / fig["requests"]
    errs = 0
    s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if s:
        errs += sum(int(x) for x in s.groups())
    s = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if s:
        errs += int(s.group(1))
    fig["errors"] = errs
    return fig


def parse_sockperf(out):
    fig = {}
    for pct, key in (("50.000", "p50_us"), ("99.000", "p99_us")):
        m = re.search(r"percentile %s =\s+([\d.]+)" % re.escape(pct), out)
        if not m:
            raise RunError("sockperf printed no percentile %s" % pct)
        fig[key] = float(m.group(1))
    m = re.search(r"Total (\d+) observations", out)
    fig["observations"] = int(m.group(1)) if m else None
    m = re.search(r"avg-latency=([\d.]+)", out)
    fig["mean_us"] = float(m.group(1)) if m else None
    m = re.search(r"dropped messages = (\d+)", out)
    fig["errors"] = int(m.group(1)) if m else 0
    return fig


def read_run_json(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        raise RunError("no run JSON %s: %s" % (path, e))
    if d.get("error"):
        raise RunError("sockbench load: %s" % d["error"])
    return d


# ---------------------------------------------------------------- the pairs


class Ctx:
    def __init__(self, args, tmp):
        self.args, self.tmp, self.bin = args, tmp, args.bin
        self.D = args.duration
        self.limit = args.duration + 30
        self.runs = os.path.join(args.out, "runs")
        cpus = sorted(os.sched_getaffinity(0))
        if args.no_pin or len(cpus) < 2:
            self.scpu = self.ccpu = None
        else:
            self.scpu, self.ccpu = cpus[0], cpus[1]

    def path(self, name):
        return os.path.join(self.runs, name)

    def nginx(self, port, tag):
        """nginx, one worker, its own config and paths in the temp dir."""
        d = os.path.join(self.tmp, "nginx-" + tag)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=d, port=port))
        shutil.copy(conf, self.path("nginx-%s.conf" % tag))  # the temp dir goes at the end
        return [NGINX, "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")]


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = """# written by scripts/compare
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000000;  # never close a kept connection during a run
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "Hello, World!"; }}
    }}
}}
"""


def wrk_argv(conns, threads, D, port):
    return ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % D, "--latency",
            "http://127.0.0.1:%d/" % port]


def sb_load_figures(d, cpu_s):
    load = d["load"]
    req = load["requests"]
    lat = req["latency_us"] or {}
    done = req["completed"]
    http = load.get("http") or {}
    return {"requests_per_s": load["throughput"]["requests_per_s"], "requests": done,
            "p50_us": lat.get("p50"), "p99_us": lat.get("p99"),
            "errors": sum(load["errors"].values()) + (http.get("not_2xx_3xx") or 0),
            "generator_bound": d["generator_bound"],
            "cpu_s": cpu_s, "cpu_us_per_request": cpu_s * 1e6 / done if done else None,
            # the run JSON's own figure: the generator threads only (no start-up, no exit)
            "cpu_s_threads": load.get("cpu_s_threads"),
            "bytes_read_per_request": load["bytes_in"] / done if done and "bytes_in" in load else None}


def http_case(ctx, conns, threads):
    """Generators against the same nginx (started once per case by run_case)."""
    def sockbench(k, port):
        jf = ctx.path("http-c%d-sockbench-r%d.json" % (conns, k))
        argv = [ctx.bin, "load", "--mode", "http", "--target", "127.0.0.1:%d" % port,
                "--conns", str(conns), "--threads", str(threads), "--duration", "%ds" % ctx.D,
                "--http-body", "13", "--json", jf, "--quiet"]
        code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit, jf[:-5] + ".txt")
        d = read_run_json(jf)
        if code != 0:
            raise RunError("sockbench load exited %d" % code)
        return argv, sb_load_figures(d, cpu_s)

    def wrk(k, port):
        argv = wrk_argv(conns, threads, ctx.D, port)
        code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit,
                                         ctx.path("http-c%d-wrk-r%d.txt" % (conns, k)))
        if code != 0:
            raise RunError("wrk exited %d" % code)
        fig = parse_wrk(out)
        fig["cpu_s"] = cpu_s
        fig["cpu_us_per_request"] = cpu_s * 1e6 / fig["requests"] if fig["requests"] else None
        return argv, fig

    return {
        "id": "http-c%d" % conns, "pair": "http", "peer": "wrk",
        "title": "http load, %d conn%s, %d thread%s" % (
            conns, "s" if conns > 1 else "", threads, "s" if threads > 1 else ""),
        "params": {"connections": conns, "threads": threads, "duration_s": ctx.D},
        "shared_server": "nginx",
        "sides": (sockbench, wrk),
        "figures": [("requests_per_s", "req/s", ">=", 1.0 if conns > 1 else None, True),
                    ("cpu_us_per_request", "generator CPU us/req", "<=", 1.0 if conns > 1 else None, True),
                    ("p50_us", "latency p50 us", None, None, False),
                    ("p99_us", "latency p99 us", None, None, False),
                    ("bytes_read_per_request", "bytes read per request", None, None, False)],
    }


def stream_case(ctx):
    def sockbench(k, _):
        port = free_port()
        stats = ctx.path("stream-sockbench-r%d-server.json" % k)
        srv = [ctx.bin, "serve", "--model", "epoll", "--proto", "sink", "--recv-size", "128k",
               "--port", str(port), "--stats", stats]
        jf = ctx.path("stream-sockbench-r%d.json" % k)
        argv = [ctx.bin, "load", "--mode", "stream", "--target", "127.0.0.1:%d" % port,
                "--conns", "1", "--threads", "1", "--send-size", "128k",
                "--duration", "%ds" % ctx.D, "--json", jf, "--quiet"]
        with Server("sockbench serve", srv, port, ctx.scpu, stats[:-5] + ".txt", ctx.limit + 10) as s:
            code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit, jf[:-5] + ".txt")
        d = read_run_json(jf)
        if code != 0:
            raise RunError("sockbench load exited %d" % code)
        bps = d["load"]["throughput"]["bytes_per_s"]
        return (argv, {"gbit_s": bps * 8 / 1e9, "bytes_per_s": bps, "cpu_s": cpu_s,
                       "server_cpu_s": s.cpu_s, "generator_bound": d["generator_bound"],
                       "retransmits": ((d.get("kernel") or {}).get("delta") or {}).get("RetransSegs")},
                s.command)

    def iperf3(k, _):
        port = free_port()
        srv = ["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)]
        argv = ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-l", "128K", "-t", str(ctx.D), "-J"]
        log = ctx.path("stream-iperf3-r%d.json" % k)
        with Server("iperf3 -s", srv, port, ctx.scpu, ctx.path("stream-iperf3-r%d-server.txt" % k),
                    ctx.limit + 10) as s:
            code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit, log)
        if code != 0:
            raise RunError("iperf3 exited %d" % code)
        try:
            end = json.loads(out[out.index("{"):])["end"]
        except (ValueError, KeyError, TypeError) as e:
            raise RunError("iperf3 -J output unreadable: %s" % e)
        sent = end["sum_sent"]
        return (argv, {"gbit_s": sent["bits_per_second"] / 1e9, "bytes_per_s": sent["bits_per_second"] / 8,
                       "received_gbit_s": end["sum_received"]["bits_per_second"] / 1e9,
                       "cpu_s": cpu_s, "server_cpu_s": s.cpu_s,
                       "retransmits": sent.get("retransmits")}, s.command)

    return {
        "id": "stream", "pair": "stream", "peer": "iperf3",
        "title": "stream, 1 flow, 128 KiB writes",
        "params": {"flows": 1, "write_size": 131072, "duration_s": ctx.D},
        "sides": (sockbench, iperf3),
        "figures": [("gbit_s", "Gbit/s (sender)", ">=", 0.9, True),
                    ("cpu_s", "generator CPU s", None, None, False)],
    }


def rr_case(ctx):
    def sockbench(k, _):
        port = free_port()
        stats = ctx.path("rr-sockbench-r%d-server.json" % k)
        srv = [ctx.bin, "serve", "--model", "epoll", "--proto", "rr", "--port", str(port), "--stats", stats]
        jf = ctx.path("rr-sockbench-r%d.json" % k)
        argv = [ctx.bin, "load", "--mode", "rr", "--target", "127.0.0.1:%d" % port,
                "--req-size", "64", "--resp-size", "64", "--conns", "1", "--threads", "1",
                "--duration", "%ds" % ctx.D, "--json", jf, "--quiet"]
        with Server("sockbench serve", srv, port, ctx.scpu, stats[:-5] + ".txt", ctx.limit + 10) as s:
            code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit, jf[:-5] + ".txt")
        d = read_run_json(jf)
        if code != 0:
            raise RunError("sockbench load exited %d" % code)
        f = sb_load_figures(d, cpu_s)
        if not f["requests"]:
            raise RunError("sockbench load completed no request")
        # sockbench times the full round trip; sockperf reports half of it
        return (argv, {"p50_us": f["p50_us"] / 2, "p99_us": f["p99_us"] / 2,
                       "rtt_p50_us": f["p50_us"], "rtt_p99_us": f["p99_us"],
                       "requests_per_s": f["requests_per_s"], "errors": f["errors"],
                       "cpu_s": cpu_s, "server_cpu_s": s.cpu_s}, s.command)

    def sockperf(k, _):
        port = free_port()
        srv = ["sockperf", "server", "--tcp", "-i", "127.0.0.1", "-p", str(port)]
        argv = ["sockperf", "ping-pong", "--tcp", "-i", "127.0.0.1", "-p", str(port), "-m", "64",
                "-t", str(ctx.D)]
        with Server("sockperf server", srv, port, ctx.scpu, ctx.path("rr-sockperf-r%d-server.txt" % k),
                    ctx.limit + 10) as s:
            code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit, ctx.path("rr-sockperf-r%d.txt" % k))
        if code != 0:
            raise RunError("sockperf exited %d" % code)
        f = parse_sockperf(out)
        f.update(cpu_s=cpu_s, server_cpu_s=s.cpu_s)
        return argv, f, s.command

    return {
        "id": "rr", "pair": "rr", "peer": "sockperf",
        "title": "rr, 1 conn, 64 B messages",
        "params": {"connections": 1, "message_size": 64, "duration_s": ctx.D},
        "sides": (sockbench, sockperf),
        "figures": [("p50_us", "p50 us (half RTT)", "<=", 1.1, True),
                    ("p99_us", "p99 us (half RTT)", None, None, True)],
    }


def server_case(ctx):
    conns, threads = SERVER_WRK

    def one(side, srv_argv_fn):
        def run(k, _):
            port = free_port()
            srv = srv_argv_fn(port, k)
            argv = wrk_argv(conns, threads, ctx.D, port)
            with Server(side, srv, port, ctx.scpu, ctx.path("server-%s-r%d-server.txt" % (side, k)),
                        ctx.limit + 10) as s:
                code, cpu_s, out = run_generator(argv, ctx.ccpu, ctx.limit,
                                                 ctx.path("server-%s-r%d.txt" % (side, k)))
            if code != 0:
                raise RunError("wrk exited %d" % code)
            f = parse_wrk(out)
            f["cpu_s"] = cpu_s
            f["server_cpu_s"] = s.cpu_s
            f["server_cpu_us_per_request"] = (s.cpu_s * 1e6 / f["requests"]
                                              if s.cpu_s is not None and f["requests"] else None)
            # what one server core would serve at this cost per request
            f["server_capacity_rps"] = (1e6 / f["server_cpu_us_per_request"]
                                        if f["server_cpu_us_per_request"] else None)
            return argv, f, s.command
        return run

    def sb_srv(port, k):
        return [ctx.bin, "serve", "--model", "epoll", "--proto", "http", "--port", str(port),
                "--stats", ctx.path("server-sockbench-r%d-stats.json" % k)]

    def nginx_srv(port, k):
        return ctx.nginx(port, "server-r%d" % k)

    return {
        "id": "server", "pair": "server", "peer": "nginx",
        "title": "http server, wrk -t%d -c%d" % (threads, conns),
        "params": {"connections": conns, "threads": threads, "duration_s": ctx.D},
        "sides": (one("sockbench", sb_srv), one("nginx", nginx_srv)),
        # On 2 cores wrk has one core, as the server has: when wrk's core is
        # saturated and the server's is not, req/s measures wrk (which gets
        # more per wake-up from a slower server: more replies wait per
        # epoll_wait).  Then the req/s verdict is "wrk-bound" and the
        # server's own capacity (1 / its CPU per request) is the figure.
        "bound_by_generator": "requests_per_s",
        "figures": [("requests_per_s", "req/s (wrk)", ">=", 1.0, True),
                    ("server_capacity_rps", "req/s per server core", ">=", 1.0, True),
                    ("server_cpu_us_per_request", "server CPU us/req", None, None, True),
                    ("p50_us", "latency p50 us (wrk)", None, None, False),
                    ("p99_us", "latency p99 us (wrk)", None, None, False),
                    ("bytes_read_per_request", "bytes per reply, headers included", None, None, False)],
    }


# ---------------------------------------------------------------- running


TICK = os.sysconf("SC_CLK_TCK")


def host_cpu_times():
    """Busy and total jiffies per CPU from /proc/stat: how busy each core
    was during a run (the machine may be shared)."""
    t = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if m:
                v = [int(x) for x in m.group(2).split()]
                idle = v[3] + (v[4] if len(v) > 4 else 0)
                t[int(m.group(1))] = (sum(v[:8]) - idle, sum(v[:8]))
    return t


def busy_between(a, b):
    return {str(c): round((b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]), 3) for c in b if c in a}


def group_cpu_s(pgid):
    """user+sys seconds of the live processes of a process group (the shared
    nginx: timeout, master, worker), from /proc/PID/stat."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "comm)": state ppid pgrp ... utime(12) stime(13)
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def foreign_cores(before, after, ours_s):
    """Cores busy with processes other than this run's (generator, server)
    while it ran: the noise from a shared machine, in CPUs on average."""
    busy = sum(after[c][0] - before[c][0] for c in after if c in before) / TICK
    wall = sum(after[c][1] - before[c][1] for c in after if c in before) / TICK / max(1, len(after))
    return max(0.0, busy - ours_s) / wall if wall > 0 else None


def run_case(ctx, case, log, cases):
    """Alternate sockbench and peer, --repeats times each; the case goes
    into `cases` at once, so an interrupted one keeps its finished runs."""
    names = ("sockbench", case["peer"])
    sides = {n: {"tool": n, "command": None, "server_command": None, "runs": []} for n in names}
    case_out = {k: v for k, v in case.items() if k not in ("sides", "figures")}
    case_out["sides"] = sides
    case_out["server_cpu"], case_out["generator_cpu"] = ctx.scpu, ctx.ccpu
    case_out["figures"] = [{"key": k, "label": l, "target_op": op, "target_ratio": t, "in_table": show}
                           for k, l, op, t, show in case["figures"]]
    cases.append(case_out)
    shared = None
    try:
        if case.get("shared_server") == "nginx":
            port = free_port()
            life = 2 * ctx.args.repeats * (ctx.limit + 10) + 60  # every run of the case, bounded
            shared = Server("nginx", ctx.nginx(port, case["id"]), port, ctx.scpu,
                            ctx.path("%s-nginx.txt" % case["id"]), life)
            shared.__enter__()
            for n in names:
                sides[n]["server_command"] = shared.command
        for k in range(1, ctx.args.repeats + 1):
            for n, fn in zip(names, case["sides"]):
                run = {"repeat": k, "error": None}
                before, t0 = host_cpu_times(), time.time()
                shared0 = group_cpu_s(shared.p.pid) if shared else 0.0
                try:
                    got = fn(k, shared.port if shared else None)
                    run["command"] = sides[n]["command"] = shown(got[0], ctx.ccpu)
                    if len(got) > 2:
                        run["server_command"] = sides[n]["server_command"] = got[2]
                    run.update(got[1])
                except RunError as e:
                    run["error"] = str(e)
                run["started_at"] = utc(t0)
                after = host_cpu_times()
                ours = (run.get("cpu_s") or 0.0) + (run.get("server_cpu_s") or 0.0)
                if shared:
                    run["server_cpu_s"] = group_cpu_s(shared.p.pid) - shared0
                    ours += run["server_cpu_s"]
                run["host_cpu_busy"] = busy_between(before, after)
                run["foreign_cpu_cores"] = foreign_cores(before, after, ours) if not run["error"] else None
                sides[n]["runs"].append(run)
                log("  %-9s %d/%d  %s" % (n, k, ctx.args.repeats, brief(case, run)))
    finally:
        if shared:
            shared.__exit__(None, None, None)
            case_out["shared_server_cpu_s"] = shared.cpu_s
        summarize(case, case_out)


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="seconds")


def brief(case, run):
    if run["error"]:
        return "error: " + run["error"]
    key, label = case["figures"][0][:2]
    v = run.get(key)
    return "%s %s" % (fmt(key, v), label) + ("  (errors %d)" % run["errors"] if run.get("errors") else "")


def generator_bound(case, out):
    """Median busy share of the generator's and the server's core per side
    (pinned runs only); bound: the generator's core was saturated (>= 0.97)
    on both sides while a server's core was not (< 0.95)."""
    if not case.get("bound_by_generator") or out.get("generator_cpu") is None:
        return None
    busy = {}
    for n, side in out["sides"].items():
        runs = [r for r in side["runs"] if not r["error"] and r.get("host_cpu_busy")]
        g = [r["host_cpu_busy"].get(str(out["generator_cpu"])) for r in runs]
        sv = [r["host_cpu_busy"].get(str(out["server_cpu"])) for r in runs]
        g, sv = [x for x in g if x is not None], [x for x in sv if x is not None]
        busy[n] = {"generator_core": statistics.median(g) if g else None,
                   "server_core": statistics.median(sv) if sv else None}
    ok = all(b["generator_core"] is not None and b["server_core"] is not None for b in busy.values())
    busy["bound"] = bool(ok and all(b["generator_core"] >= 0.97 for b in busy.values())
                         and any(b["server_core"] < 0.95 for b in busy.values()))
    return busy


def summarize(case, out):
    medians, ratios, targets = {}, {}, []
    for n, side in out["sides"].items():
        ok = [r for r in side["runs"] if not r["error"]]
        side["completed_runs"] = len(ok)
        side["median"] = {}
        for key, *_ in case["figures"]:
            vals = [r[key] for r in ok if r.get(key) is not None]
            side["median"][key] = statistics.median(vals) if vals else None
            side.setdefault("min", {})[key] = min(vals) if vals else None
            side.setdefault("max", {})[key] = max(vals) if vals else None
    sb, peer = (out["sides"][n]["median"] for n in ("sockbench", case["peer"]))
    gen_bound = generator_bound(case, out)
    out["generator_core_busy"] = gen_bound
    verdicts = []
    for key, label, op, limit, _ in case["figures"]:
        r = sb[key] / peer[key] if sb[key] is not None and peer[key] else None
        ratios[key] = r
        if op is None or limit is None:
            continue
        if r is None:
            v = "error"
        elif key == case.get("bound_by_generator") and gen_bound and gen_bound["bound"]:
            v = "wrk-bound"
        else:
            v = "pass" if (r >= limit if op == ">=" else r <= limit) else "fail"
        targets.append({"figure": key, "ratio": r, "target": "%s %.2fx" % (op, limit), "verdict": v})
        verdicts.append(v)
    out["ratios"] = ratios
    # the same, pairing each repeat with the peer's run beside it: drift on a
    # shared machine moves both runs of a pair alike
    paired = {}
    sb_runs, pe_runs = (out["sides"][n]["runs"] for n in ("sockbench", case["peer"]))
    for key, *_ in case["figures"]:
        rs = [a[key] / b[key] for a, b in zip(sb_runs, pe_runs)
              if not a["error"] and not b["error"] and a.get(key) is not None and b.get(key)]
        paired[key] = statistics.median(rs) if rs else None
    out["paired_ratio_medians"] = paired
    out["targets"] = targets
    out["verdict"] = ("error" if "error" in verdicts else "fail" if "fail" in verdicts
                      else "pass" if verdicts else "no target")


def rounded(x):
    """Floats to 6 significant digits: the JSON stays readable."""
    if isinstance(x, float):
        return float("%.6g" % x)
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rounded(v) for v in x]
    return x


def fmt(key, v):
    if v is None:
        return "-"
    if key in ("requests_per_s", "server_capacity_rps"):
        return "{:,.0f}".format(v)
    if key == "gbit_s":
        return "%.2f" % v
    if "cpu" in key or "bytes" in key:
        return "%.2f" % v if v < 1000 else "{:,.0f}".format(v)
    return "%.1f" % v


HEADER = ("case", "figure", "sockbench", "peer", "ratio", "target", "verdict", "others busy")


def fmt_ratio(r, t):
    """Two decimals, three where two would round across the target (0.897 vs >= 0.90)."""
    if r is None:
        return "-"
    if t and t["verdict"] in ("pass", "fail"):
        limit = float(t["target"].split()[1].rstrip("x"))
        shown_pass = round(r, 2) >= limit if t["target"].startswith(">=") else round(r, 2) <= limit
        if shown_pass != (t["verdict"] == "pass"):
            return "%.3f" % r
    return "%.2f" % r


def rows(cases):
    """One row per figure shown; `others busy`: cores other processes kept
    busy during the case's runs (median), the noise of a shared machine."""
    out = []
    for c in cases:
        tmap = {t["figure"]: t for t in c["targets"]}
        foreign = [r["foreign_cpu_cores"] for side in c["sides"].values() for r in side["runs"]
                   if r.get("foreign_cpu_cores") is not None]
        for n, fig in enumerate(f for f in c["figures"] if f["in_table"]):
            key, t = fig["key"], tmap.get(fig["key"])
            out.append((c["title"], fig["label"], fmt(key, c["sides"]["sockbench"]["median"][key]),
                        "%s %s" % (c["peer"], fmt(key, c["sides"][c["peer"]]["median"][key])),
                        fmt_ratio(c["ratios"][key], t), t["target"] if t else "", t["verdict"] if t else "",
                        "%.2f" % statistics.median(foreign) if foreign and n == 0 else "", n))
    return out


def table(cases):
    body = [r[:-1] if r[-1] == 0 else ("",) + r[1:-1] for r in rows(cases)]
    w = [max(len(r[i]) for r in [HEADER] + body) for i in range(len(HEADER))]
    lines = []
    for i, r in enumerate([HEADER] + body):
        lines.append("  ".join(x.rjust(w[j]) if j in (2, 4, 7) else x.ljust(w[j])
                               for j, x in enumerate(r)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * x for x in w))
    return "\n".join(lines)


def markdown(cases):
    out = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    out += ["| " + " | ".join((r[0] if r[-1] == 0 else "",) + r[1:-1]) + " |" for r in rows(cases)]
    return "\n".join(out)


# ---------------------------------------------------------------- machine


def first_line(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10,
                           stdin=subprocess.DEVNULL)
        return r.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def deb_version(pkg):
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=10)
        return r.stdout.decode().strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine():
    model = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    osname = None
    try:
        with open("/etc/os-release") as f:
            osname = dict(l.rstrip().split("=", 1) for l in f if "=" in l).get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"kernel": os.uname().release, "nproc": os.cpu_count(), "cpu_model": model, "os": osname,
            "loadavg_at_start": [float(x) for x in load]}


def tools(binary):
    return {
        "sockbench": first_line([binary, "--version"]),
        "wrk": {"version": first_line(["wrk", "-v"]), "debian": deb_version("wrk")},
        "iperf3": {"version": first_line(["iperf3", "--version"]), "debian": deb_version("iperf3")},
        "sockperf": {"version": first_line(["sockperf", "--version"]), "debian": deb_version("sockperf")},
        "nginx": {"version": first_line([NGINX, "-v"]), "debian": deb_version("nginx-light")},
    }


# ---------------------------------------------------------------- main


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line naming the option, exit 2 (as sockbench does)
        print("scripts/compare: " + message, file=sys.stderr)
        sys.exit(2)


def parse(argv):
    ap = Parser(prog="scripts/compare", description=__doc__.split("\n\n", 1)[1],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="runs per side, alternating (default 5)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per run, whole seconds (default 5)")
    ap.add_argument("--only", action="append", default=None,
                    help="http, stream, rr, server (comma list or repeated; default all)")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "compare"),
                    help="results directory (default results/compare)")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not pin server and generator to separate cores")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "sockbench"), help=argparse.SUPPRESS)
    ap.add_argument("--check-usage", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.repeats < 1 or a.repeats > 100:
        ap.error("--repeats: %d is not in 1..100" % a.repeats)
    if a.duration < 1 or a.duration > 600:
        ap.error("--duration: %d is not in 1..600 seconds" % a.duration)
    only = []
    for o in a.only or [",".join(PAIRS)]:
        for p in o.split(","):
            if p not in PAIRS:
                ap.error("--only: '%s' is not one of %s" % (p, ", ".join(PAIRS)))
            if p not in only:
                only.append(p)
    a.only = [p for p in PAIRS if p in only]
    a.out = os.path.abspath(a.out)
    return a


def main(argv):
    args = parse(argv)
    if args.check_usage:
        return 0
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    os.makedirs(os.path.join(args.out, "runs"), exist_ok=True)
    for f in os.listdir(os.path.join(args.out, "runs")):  # this script's own files from an earlier run
        if re.match(r"(http|stream|rr|server|nginx)-.*\.(json|txt|conf)$", f):
            os.remove(os.path.join(args.out, "runs", f))

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    tmp = tempfile.mkdtemp(prefix="sockbench-compare-")
    # every run uses one snapshot of the binary: a rebuild during the
    # comparison can neither mix two versions nor catch a half-written file
    snap = os.path.join(tmp, "sockbench")
    try:
        shutil.copy2(args.bin, snap)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        print("scripts/compare: %s: %s (build first: scripts/setup)" % (args.bin, e.strerror),
              file=sys.stderr)
        return 1
    with open(snap, "rb") as f:
        bin_sha = hashlib.sha256(f.read()).hexdigest()
    BIN_COPY[snap] = os.path.abspath(args.bin)
    args.bin = snap
    ctx = Ctx(args, tmp)
    result = {
        "schema": "sockbench.compare/1",
        "started_at": utc(time.time()),
        "finished_at": None, "interrupted": None,
        "machine": machine(), "tools": tools(snap),
        "settings": {"repeats": args.repeats, "duration_s": args.duration, "pairs": args.only,
                     "order": "alternating: sockbench, peer, sockbench, peer, ...",
                     "server_cpu": ctx.scpu, "generator_cpu": ctx.ccpu,
                     "pinning": None if ctx.scpu is None else
                     "taskset: every server on CPU %d, every generator on CPU %d" % (ctx.scpu, ctx.ccpu),
                     "guard": "each process runs under `timeout -k 5 N` (not shown in the commands)",
                     "cpu_measure": "user+sys of the child and its waited-for descendants (wait4)",
                     "nginx_conf": NGINX_CONF + "(each run's file: runs/nginx-*.conf)",
                     "sockbench_binary": {"path": BIN_COPY[snap], "sha256": bin_sha,
                                          "note": "copied to a temp dir at start; every run used the copy"}},
        "cases": [],
    }
    plan = []
    for p in args.only:
        if p == "http":
            plan += [http_case(ctx, c, t) for c, t in HTTP_CONNS]
        else:
            plan.append({"stream": stream_case, "rr": rr_case, "server": server_case}[p](ctx))
    code = 0
    try:
        log("sockbench compare: %s, %d repeats of %d s each side, alternating; %s"
            % (", ".join(args.only), args.repeats, args.duration,
               result["settings"]["pinning"] or "no pinning"))
        for case in plan:
            log("%s (vs %s)" % (case["title"], case["peer"]))
            run_case(ctx, case, log, result["cases"])
    except Interrupted as e:
        result["interrupted"] = e.args[0]
        if result["cases"]:  # the case that was running: its verdict is not an error
            last = result["cases"][-1]
            if sum(len(s["runs"]) for s in last["sides"].values()) < 2 * args.repeats:
                last["verdict"] = "interrupted"
                for t in last["targets"]:
                    t["verdict"] = "interrupted" if t["ratio"] is None else t["verdict"]
        log("sockbench compare: interrupted (%s); finished runs kept" % e.args[0])
        code = e.args[1]
    finally:
        hold_signals()
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
        with open("/proc/loadavg") as f:
            result["machine"]["loadavg_at_end"] = [float(x) for x in f.read().split()[:3]]
        foreign = [r["foreign_cpu_cores"] for c in result["cases"] for side in c["sides"].values()
                   for r in side["runs"] if r.get("foreign_cpu_cores") is not None]
        result["foreign_cpu_cores"] = ({"median": statistics.median(foreign), "max": max(foreign),
                                        "meaning": "CPUs busy with other processes during a run, on average"}
                                       if foreign else None)
        result["finished_at"] = utc(time.time())
        path = os.path.join(args.out, "compare.json")
        with open(path + ".tmp", "w") as f:
            json.dump(rounded(result), f, indent=1, default=str)
            f.write("\n")
        os.replace(path + ".tmp", path)
    cases = result["cases"]
    print()
    print(table(cases) if cases else "no case finished")
    print()
    m = result["machine"]
    print("medians of %d runs per side, %d s each, alternating; ratio = sockbench / peer;"
          % (args.repeats, args.duration))
    print("http load: both generators drive the same nginx (1 worker); rr: half the round trip")
    print("machine: %s, %d cores, Linux %s; load average %s at start, %s at end"
          % (m["cpu_model"], m["nproc"], m["kernel"], m["loadavg_at_start"][0], m["loadavg_at_end"][0]))
    print(result["settings"]["pinning"] or "no pinning (--no-pin or a single core)")
    noise = result.get("foreign_cpu_cores")
    if noise:
        print("other processes kept %.2f cores busy during the runs (median; max %.2f)%s"
              % (noise["median"], noise["max"], ": the figures are noisy, run again on a quiet machine"
                 if noise["median"] > 0.05 or noise["max"] > 0.2 else ""))
    for c in cases:
        b = c.get("generator_core_busy")
        if b and b["bound"]:
            print("%s: wrk's core was saturated (busy %s) and the server's was not (%s): req/s "
                  "measures wrk there, 'req/s per server core' measures the servers"
                  % (c["id"], ", ".join("%.2f %s" % (b[n]["generator_core"], n) for n in c["sides"]),
                     ", ".join("%.2f %s" % (b[n]["server_core"], n) for n in c["sides"])))
    failed = []
    for c in cases:
        for n, side in c["sides"].items():
            errs = [r["error"] for r in side["runs"] if r["error"]]
            if errs:
                failed.append("%s, %s: %d of %d runs failed: %s"
                              % (c["id"], n, len(errs), len(side["runs"]), errs[0]))
            counted = sum(r.get("errors") or 0 for r in side["runs"])
            if counted:
                print("note: %s, %s counted %d errors over its runs (see compare.json)"
                      % (c["id"], n, counted))
    for f in failed:
        print("FAILED " + f)
    with open(os.path.join(args.out, "compare.md"), "w") as f:
        f.write(markdown(cases) + "\n")
    print("written: %s, compare.md (the table in Markdown), runs/ (each run's raw output)" % path)
    if code == 0 and failed:
        code = 1
    return code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Interrupted as e:  # before the runs began
        hold_signals()
        stop_all()
        sys.exit(e.args[1])
