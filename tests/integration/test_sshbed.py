#!/usr/bin/env python3
"""scripts/sshbed and `load --generators`: three network namespaces with a
real sshd in each; a server in srv; `load --generators G1,G2` run from g1
reaches g1 itself and g2 over ssh, each runs the load, the runs come back
over the channels and are merged. Asserts: merged completed == 2N == the
server's requests, each host's clock offset recorded and its run kept, a
generator with no sshd is one line and a recorded failure, and the bed
leaves no namespace and no sshd behind.

    python3 tests/integration/test_sshbed.py --bin build/sockbench [-k NAME]

Needs root (`ip netns add`, sshd); without it every test FAILS with the
reason, never skips.
"""

import glob
import json
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig  # noqa: E402

SCRIPT = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", "..", "scripts", "sshbed"))
N = 30000     # requests per generator: long enough (~0.4 s) that the two
              # runs overlap even when a busy machine starts one late
CONNS = 4
PORT = 7301
BED = {}


def need_root(t):
    if os.geteuid() != 0:
        t.fail("needs root: scripts/sshbed creates network namespaces with "
               "`ip netns add` and runs sshd in them; run this test as root")


def netns_names():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True,
                       text=True, timeout=10)
    return [x.split()[0] for x in r.stdout.splitlines() if x.strip()]


def bed(t):
    """The bed, up once for every test (owner: this process)."""
    need_root(t)
    if not BED:
        d = os.path.join(lt.tmpdir(), "bed")
        r = subprocess.run([SCRIPT, "up", d, "--owner", str(os.getpid()),
                            "--ttl", "120"], capture_output=True, text=True,
                           timeout=30)
        env = {}
        if r.returncode == 0:
            with open(os.path.join(d, "env")) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    env[k] = shlex.split(v)[0] if v else ""
        BED.update(dir=d, up=r, env=env)
    r = BED["up"]
    t.require(r.returncode == 0, f"scripts/sshbed up: exit {r.returncode}, "
              f"stderr {r.stderr!r}")
    return BED


def start_server(e, stats):
    """sockbench serve in srv's namespace; (Popen, READY line)."""
    p = subprocess.Popen(
        ["ip", "netns", "exec", e["SB_NS_SRV"], sbtest.BIN, "serve",
         "--model", "epoll", "--proto", "rr", "--port", str(PORT), "--bind",
         e["SB_SRV_ADDR"], "--stats", stats],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if select.select([p.stdout], [], [], 0.2)[0]:
            line = p.stdout.readline()
            if line.startswith("READY"):
                return p, line
            if not line:
                break
    p.kill()
    p.wait(5)
    return None, p.stderr.read()


def stop_server(p, stats):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)
    try:
        with open(stats) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def gen_load(e, hosts, json_path, timeout=25):
    cmd = ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "load",
           "--target", f"{e['SB_SRV_ADDR']}:{PORT}", "--mode", "rr",
           "--requests", str(N), "--conns", str(CONNS), "--threads", "1",
           "--generators", ",".join(hosts), "--ssh-opt", e["SB_SSH_OPTS"],
           "--remote-bin", sbtest.BIN, "--json", json_path]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    try:
        with open(json_path) as f:
            j = json.load(f)
    except (OSError, ValueError) as ex:
        j = {"_unreadable": str(ex)}
    return r, j, time.monotonic() - t0


# ----------------------------------------------------------------- tests

def test_bed_up(t):
    b = bed(t)
    e = b["env"]
    for k in ("SB_NS_SRV", "SB_NS_G1", "SB_NS_G2", "SB_SRV_ADDR", "SB_G1_ADDR",
              "SB_G2_ADDR", "SB_NOSSH_ADDR", "SB_SSH_OPTS", "SB_SSH_CONFIG"):
        t.check(e.get(k), f"env {k}", "set", e.get(k))
    names = netns_names()
    for k in ("SB_NS_SRV", "SB_NS_G1", "SB_NS_G2"):
        t.check(e.get(k) in names, f"namespace {k}", "listed by ip netns",
                names)
        t.check(re.fullmatch(rf"sbssh-{os.getpid()}-(srv|g1|g2)", e.get(k)),
                f"{k} name", f"sbssh-{os.getpid()}-...", e.get(k))
    # every sshd listens inside its namespace, none on the host
    host = subprocess.run(["ss", "-Hltn", "sport = :2222"],
                          capture_output=True, text=True, timeout=10).stdout
    t.eq("listeners on :2222 in the host's namespace", "", host.strip())
    for k in ("SB_NS_SRV", "SB_NS_G1", "SB_NS_G2"):
        out = subprocess.run(["ip", "netns", "exec", e[k], "ss", "-Hltn",
                              "sport = :2222"], capture_output=True,
                             text=True, timeout=10).stdout
        t.check("10.210." in out, f"sshd listening in {k}",
                "a 10.210.x.x:2222 listener", out)


def test_two_generators(t):
    e = bed(t)["env"]
    d = lt.tmpdir()
    stats = os.path.join(d, "server.json")
    p, ready = start_server(e, stats)
    t.require(p is not None, f"server in srv did not start: {ready}")
    try:
        out = os.path.join(d, "run.json")
        r, j, took = gen_load(e, [e["SB_G1_ADDR"], e["SB_G2_ADDR"]], out)
    finally:
        s = stop_server(p, stats)
    t.note(f"load --generators took {took:.1f} s")
    t.eq(f"exit status (stderr {r.stderr!r})", 0, r.returncode)
    t.eq("merged error", None, j.get("error"))
    t.eq("merged load.requests.completed", 2 * N,
         dig(j, "load.requests.completed"))
    t.eq("server requests (= merged completed)", 2 * N, (s or {}).get("requests"))
    t.eq("server accepted (= merged established)",
         dig(j, "load.connections.established"), (s or {}).get("accepted"))
    t.eq("generators_missing", [], j.get("generators_missing"))
    gens = j.get("generators") or []
    t.eq("hosts in generators", [e["SB_G1_ADDR"], e["SB_G2_ADDR"]],
         [g.get("host") for g in gens])
    starts = set()
    for g in gens:
        h = g.get("host")
        t.eq(f"{h} status", "ok", g.get("status"))
        off, win = g.get("clock_offset_ms"), g.get("clock_window_ms")
        # one machine: the same clock, read over ssh
        t.check(lt.is_num(off) and abs(off) < 50, f"{h} clock_offset_ms",
                "a number near 0 (one machine's clock)", off)
        t.check(lt.is_num(win) and win > 0, f"{h} clock_window_ms", "> 0", win)
        starts.add(g.get("start_at_ms"))
        want = os.path.join(d, f"run.{h}.json")
        t.eq(f"{h} file", want, g.get("file"))
        try:
            with open(want) as f:
                own = json.load(f)
        except (OSError, ValueError) as ex:
            own = {"_unreadable": str(ex)}
        t.eq(f"{want} load.requests.completed", N,
             dig(own, "load.requests.completed"))
        t.eq(f"{want} config.load.start_at_ms", g.get("start_at_ms"),
             dig(own, "config.load.start_at_ms"))
    t.eq("one start moment for both (no clock to correct)", 1, len(starts))
    t.eq("merged_from", [g.get("file") for g in gens], j.get("merged_from"))


def ns_procs(ns):
    """(pid, argv) of each process in network namespace ns."""
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                       text=True, timeout=10)
    out = []
    for pid in r.stdout.split():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                out.append((int(pid), f.read().split(b"\0")))
        except OSError:
            continue
    return out


def remote_loads(e):
    """The generators' own loads (started over ssh, with --stop-on-eof)
    still running in g1 or g2."""
    return [pid for ns in (e["SB_NS_G1"], e["SB_NS_G2"])
            for pid, argv in ns_procs(ns)
            if b"--stop-on-eof" in argv and b"load" in argv]


def test_generators_stopped(t):
    """Ctrl-C on `load --generators`: the local side stops at once (exit
    130) and so do the hosts' loads (their ssh channels end, and
    --stop-on-eof makes that a SIGTERM there), well before --duration."""
    e = bed(t)["env"]
    d = lt.tmpdir()
    stats = os.path.join(d, "server.json")
    srv, ready = start_server(e, stats)
    t.require(srv is not None, f"server in srv did not start: {ready}")
    try:
        p = subprocess.Popen(
            ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "load",
             "--target", f"{e['SB_SRV_ADDR']}:{PORT}", "--mode", "rr",
             "--duration", "20", "--conns", "2", "--threads", "1",
             "--generators", f"{e['SB_G1_ADDR']},{e['SB_G2_ADDR']}",
             "--ssh-opt", e["SB_SSH_OPTS"], "--remote-bin", sbtest.BIN,
             "--quiet", "--json", os.path.join(d, "stopped.json")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        running, end = [], time.monotonic() + 10
        while len(running) < 2 and time.monotonic() < end:
            running = remote_loads(e)
            time.sleep(0.1)
        t.eq("the hosts' loads running", 2, len(running))
        time.sleep(2)  # past the 1.5 s start margin: they are loading
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=15)
        left, end = remote_loads(e), time.monotonic() + 5
        while left and time.monotonic() < end:
            time.sleep(0.1)
            left = remote_loads(e)
        took = time.monotonic() - t0
    finally:
        stop_server(srv, stats)
    t.eq("exit status", 130, p.returncode)
    t.eq("the hosts' loads left", [], left)
    t.check(took < 6, "stopped long before --duration 20", "< 6 s", f"{took:.1f} s")


def test_host_without_sshd(t):
    e = bed(t)["env"]
    d = lt.tmpdir()
    stats = os.path.join(d, "server.json")
    p, ready = start_server(e, stats)
    t.require(p is not None, f"server in srv did not start: {ready}")
    bad = e["SB_NOSSH_ADDR"]
    try:
        r, j, took = gen_load(e, [e["SB_G1_ADDR"], bad],
                              os.path.join(d, "run.json"))
    finally:
        s = stop_server(p, stats)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    t.eq(f"exit status (a generator failed; stderr {r.stderr!r})", 1,
         r.returncode)
    t.check(len(lines) == 1 and bad in lines[0], "stderr",
            f"one line naming {bad}", lines)
    t.eq("generators_missing", [bad], j.get("generators_missing"))
    t.check(bad in (j.get("error") or ""), "merged error", f"names {bad}",
            j.get("error"))
    g = {x.get("host"): x for x in j.get("generators") or []}
    t.eq(f"{bad} status", "failed", dig(g.get(bad), "status"))
    t.check("refused" in (dig(g.get(bad), "error") or ""), f"{bad} error",
            "ssh's 'Connection refused'", dig(g.get(bad), "error"))
    t.eq("merged completed (the host that ran)", N,
         dig(j, "load.requests.completed"))
    t.eq("server requests", N, (s or {}).get("requests"))


def test_sweep_server_host(t):
    """sweep --server-host: each run's server in srv's namespace over ssh,
    paused, backlog 1 and 8, the load from g1 with one thread (the
    exact-count rule): established = min(backlog, somaxconn) + 1, the
    overflows counted on the server's host."""
    b = bed(t)
    e = b["env"]
    out = os.path.join(b["dir"], "sweep")
    cmd = ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "sweep",
           "--server-host", e["SB_SRV_SSH"], "--ssh-opt", e["SB_SSH_OPTS"],
           "--remote-bin", sbtest.BIN, "--mode", "connect", "--threads", "1",
           "--conns", "20", "--backlog", "1,8", "--pause-accept",
           "--duration", "1500ms", "--connect-timeout", "1200", "--out", out,
           "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=40)
    t.eq("sweep --server-host: exit status", 0, r.returncode)
    sw = json.load(open(os.path.join(out, "sweep.json")))
    t.eq("sweep.json identity: server_host", e["SB_SRV_SSH"],
         sw.get("identity", {}).get("server_host"))
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "runs", "*.json")))]
    t.eq("runs", 2, len(runs))
    for run in runs:
        bl = int(run["sweep"]["values"]["backlog"])
        som = int(dig(run, "server_environment.sysctl")["net.core.somaxconn"])
        est = dig(run, "load.connections.established")
        t.eq(f"backlog {bl}: established = min(backlog, somaxconn {som}) + 1",
             min(bl, som) + 1, est)
        t.eq(f"backlog {bl}: kernel counters from the server's host", "server",
             dig(run, "kernel.host"))
        t.check((dig(run, "kernel.delta.ListenOverflows") or 0) > 0,
                f"backlog {bl}: ListenOverflows counted on the server's host", "> 0",
                dig(run, "kernel.delta.ListenOverflows"))
        t.eq(f"backlog {bl}: the server's accept queue limit", bl,
             dig(run, "accept_queue.limit"))
        t.eq(f"backlog {bl}: run error", None, run.get("error"))
    # a sysctl axis is another host's setting: refused without
    # --remote-sysctl; the connecting side's (this host's) always
    for extra, bad in (([], "--somaxconn"),
                       (["--remote-sysctl", "--port-range", "40000-50000"], "--port-range")):
        r = subprocess.run([sbtest.BIN, "sweep", "--server-host", e["SB_SRV_SSH"],
                            "--somaxconn", "16", "--out", out + "-x", "--dry-run"] + extra,
                           capture_output=True, text=True, timeout=10)
        t.check(r.returncode == 2 and bad in r.stderr and
                len(r.stderr.splitlines()) == 1,
                f"{bad} refused with --server-host {' '.join(extra)}",
                "exit 2, one line", (r.returncode, r.stderr))


def srv_sysctl(e, name="net/core/somaxconn"):
    r = subprocess.run(["ip", "netns", "exec", e["SB_NS_SRV"], "cat",
                        "/proc/sys/" + name], capture_output=True, text=True,
                       timeout=10)
    return r.stdout.strip()


def srv_sockbench(e, pids=False):
    """sockbench processes (serve, probe) in the server's namespace (with
    pids: (pid, command line) pairs)."""
    found = []
    for pid, argv in ns_procs(e["SB_NS_SRV"]):
        if len(argv) > 1 and argv[0].endswith(b"sockbench"):
            line = b" ".join(argv).decode(errors="replace")
            found.append((int(pid), line) if pids else line)
    return found


def test_sweep_remote_sysctl(t):
    """sweep --server-host --remote-sysctl --somaxconn 4,16: each run's
    somaxconn set on the server's host before its server listens (the
    backlog 64 is capped there: established = min(64, somaxconn) + 1) and
    put back after every run."""
    b = bed(t)
    e = b["env"]
    before = srv_sysctl(e)
    out = os.path.join(b["dir"], "sweep-sysctl")
    cmd = ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "sweep",
           "--server-host", e["SB_SRV_SSH"], "--ssh-opt", e["SB_SSH_OPTS"],
           "--remote-bin", sbtest.BIN, "--remote-sysctl", "--somaxconn", "4,16",
           "--backlog", "64", "--mode", "connect", "--threads", "1",
           "--conns", "30", "--pause-accept", "--duration", "1500ms",
           "--connect-timeout", "1200", "--out", out, "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=40)
    t.eq(f"exit status (stderr {r.stderr!r})", 0, r.returncode)
    runs = [json.load(open(p)) for p in
            sorted(glob.glob(os.path.join(out, "runs", "*.json")))]
    t.eq("runs", 2, len(runs))
    for run in runs:
        som = int(run["sweep"]["values"]["somaxconn"])
        rs = run.get("remote_sysctl") or {}
        t.eq(f"somaxconn {som}: remote_sysctl.set", {"net.core.somaxconn": str(som)},
             rs.get("set"))
        t.eq(f"somaxconn {som}: remote_sysctl.old", {"net.core.somaxconn": before},
             rs.get("old"))
        t.eq(f"somaxconn {som}: restore confirmed", True, rs.get("restore_confirmed"))
        t.eq(f"somaxconn {som}: the server's host read it (server_environment)",
             som, int(dig(run, "server_environment.sysctl")["net.core.somaxconn"]))
        t.eq(f"somaxconn {som}: established = min(64, {som}) + 1", som + 1,
             dig(run, "load.connections.established"))
        t.eq(f"somaxconn {som}: accept_queue.limit on the server's host", som,
             dig(run, "accept_queue.limit"))
    t.eq("the server's somaxconn after the sweep", before, srv_sysctl(e))
    t.eq("sockbench left on the server's host", [], srv_sockbench(e))


def test_sweep_generators(t):
    """sweep --server-host SRV --generators G1,G2 --remote-sysctl: each
    run's server on srv (reached by ssh at the address the generators
    connect to), its load on g1 and g2 at once for 1 s, merged: merged
    completed + in flight = the server's requests; each host's run kept in
    hosts/; the overflows and somaxconn are the server's host's."""
    b = bed(t)
    e = b["env"]
    out = os.path.join(b["dir"], "sweep-gens")
    before = srv_sysctl(e)
    cmd = ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "sweep",
           "--server-host", e["SB_SRV_ADDR"], "--generators",
           f"{e['SB_G1_ADDR']},{e['SB_G2_ADDR']}", "--ssh-opt", e["SB_SSH_OPTS"],
           "--remote-bin", sbtest.BIN, "--remote-sysctl", "--somaxconn", "8",
           "--backlog", "16,64", "--mode", "rr", "--duration", "1",
           "--conns", "4", "--threads", "1", "--out", out, "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=50)
    t.eq(f"exit status (stderr {r.stderr!r})", 0, r.returncode)
    paths = sorted(glob.glob(os.path.join(out, "runs", "*.json")))
    t.eq("runs (one file per run: the hosts' own runs are not in runs/)", 2,
         len(paths))
    for p in paths:
        run = json.load(open(p))
        name = os.path.basename(p)
        t.eq(f"{name}: error", None, run.get("error"))
        # a --duration run (a short --requests run on a busy machine can
        # end on one host before it starts on the other: merge refuses
        # runs that did not overlap): every request the server answered
        # was completed or still in flight at a generator's end
        done = (dig(run, "load.requests.completed") or 0) + \
            (dig(run, "load.requests.in_flight_at_end") or 0)
        t.check(done > 1000, f"{name}: merged requests", "> 1000", done)
        t.eq(f"{name}: the server's requests = merged completed + in flight",
             done, dig(run, "server.requests"))
        t.eq(f"{name}: server accepted = merged established",
             dig(run, "load.connections.established"), dig(run, "server.accepted"))
        t.eq(f"{name}: kernel.host", "server", dig(run, "kernel.host"))
        t.eq(f"{name}: somaxconn there", "8",
             str(dig(run, "server_environment.sysctl")["net.core.somaxconn"]))
        t.eq(f"{name}: accept_queue.limit (the server's, sampled during the run)",
             8, dig(run, "accept_queue.limit"))
        t.check(len(dig(run, "accept_queue.samples") or []) > 0,
                f"{name}: accept_queue samples", "some", dig(run, "accept_queue"))
        files = [g.get("file") for g in run.get("generators") or []]
        t.eq(f"{name}: each host's run file", 2, len(files))
        for f in files:
            own = json.load(open(os.path.join(out, f))) if f else {}
            t.check((dig(own, "load.requests.completed") or 0) > 500,
                    f"{name}: {f} completed", "> 500", dig(own, "load.requests.completed"))
        t.eq(f"{name}: merged_from", files, run.get("merged_from"))
    t.eq("the server's somaxconn after the sweep", before, srv_sysctl(e))
    t.eq("sockbench left on the server's host", [], srv_sockbench(e))


def test_remote_sysctl_refused(t):
    """A value the server's kernel refuses: one line, a recorded run, and
    the other value already set there put back."""
    e = bed(t)["env"]
    before = srv_sysctl(e, "net/ipv4/tcp_syncookies")
    d = lt.tmpdir()
    out = os.path.join(d, "refused.json")
    r = subprocess.run(
        ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "load",
         "--server-host", e["SB_SRV_SSH"], "--ssh-opt", e["SB_SSH_OPTS"],
         "--remote-bin", sbtest.BIN,
         "--remote-sysctl", "net.ipv4.tcp_syncookies=" + ("2" if before != "2" else "0"),
         "--remote-sysctl", "net.core.somaxconn=99999999999",
         "--duration", "1", "--quiet", "--json", out],
        capture_output=True, text=True, timeout=20)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    t.eq(f"exit status (stderr {r.stderr!r})", 1, r.returncode)
    t.check(len(lines) == 1 and "net.core.somaxconn" in lines[0] and
            "Invalid argument" in lines[0], "stderr", "one line naming the sysctl",
            lines)
    j = json.load(open(out))
    t.check("net.core.somaxconn" in (j.get("error") or ""), "run error",
            "names the sysctl", j.get("error"))
    t.eq("tcp_syncookies put back on the server's host", before,
         srv_sysctl(e, "net/ipv4/tcp_syncookies"))
    t.eq("sockbench left on the server's host", [], srv_sockbench(e))


def test_generators_server_killed(t):
    """--server-host with --generators: the server killed mid-run is the
    merged run's error and exit 1 (as for one generator), and the
    somaxconn held for the run is put back."""
    e = bed(t)["env"]
    before = srv_sysctl(e)
    d = lt.tmpdir()
    out = os.path.join(d, "killed.json")
    p = subprocess.Popen(
        ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "load",
         "--server-host", e["SB_SRV_ADDR"], "--generators",
         f"{e['SB_G1_ADDR']},{e['SB_G2_ADDR']}", "--ssh-opt", e["SB_SSH_OPTS"],
         "--remote-bin", sbtest.BIN, "--remote-sysctl", "net.core.somaxconn=33",
         "--mode", "rr", "--conns", "2", "--threads", "1", "--duration", "4",
         "--quiet", "--json", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    serve, end = [], time.monotonic() + 10
    while not serve and time.monotonic() < end and p.poll() is None:
        serve = [pid for pid, cmd in srv_sockbench(e, pids=True) if " serve " in cmd]
        time.sleep(0.1)
    time.sleep(2.5)  # the generators are running (1.5 s start margin)
    for pid in serve:
        os.kill(pid, signal.SIGKILL)
    try:
        err = p.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        err = p.communicate()[1]
    t.check(serve, "the server found on srv", "a serve process", serve)
    t.eq(f"exit status (stderr {err!r})", 1, p.returncode)
    j = json.load(open(out)) if os.path.exists(out) else {}
    t.check("server" in (j.get("error") or ""), "merged error", "names the server",
            j.get("error"))
    t.eq("somaxconn put back", before, srv_sysctl(e))
    t.eq("sockbench left on the server's host", [], srv_sockbench(e))


def test_remote_sysctl_killed(t):
    """load --remote-sysctl killed (SIGKILL) mid-run: its end of the
    channels closes with it, sshd closes probe's stdin, and probe puts the
    value back; the server stops on the same EOF."""
    e = bed(t)["env"]
    before = srv_sysctl(e)
    d = lt.tmpdir()
    p = subprocess.Popen(
        ["ip", "netns", "exec", e["SB_NS_G1"], sbtest.BIN, "load",
         "--server-host", e["SB_SRV_SSH"], "--ssh-opt", e["SB_SSH_OPTS"],
         "--remote-bin", sbtest.BIN, "--remote-sysctl", "net.core.somaxconn=7",
         "--mode", "rr", "--conns", "4", "--duration", "8s", "--quiet",
         "--json", os.path.join(d, "killed.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen, end = None, time.monotonic() + 8
    while time.monotonic() < end and p.poll() is None:
        seen = srv_sysctl(e)
        if seen == "7" and any(" serve " in x for x in srv_sockbench(e)):
            break
        time.sleep(0.1)
    t.eq("somaxconn on the server's host during the run", "7", seen)
    time.sleep(0.5)  # mid-run: the load is running
    t.check(p.poll() is None, "load still running when killed", "running",
            p.poll())
    p.kill()  # SIGKILL: no handler of ours runs
    p.wait(5)
    after, end = None, time.monotonic() + 5
    while time.monotonic() < end:
        after = srv_sysctl(e)
        left = srv_sockbench(e)
        if after == before and not left:
            break
        time.sleep(0.1)
    t.eq("somaxconn put back after the local side was killed", before, after)
    t.eq("sockbench left on the server's host", [], srv_sockbench(e))


def test_bed_down(t):
    b = bed(t)
    e = b["env"]
    r = subprocess.run([SCRIPT, "down", b["dir"]], capture_output=True,
                       text=True, timeout=30)
    t.eq(f"scripts/sshbed down: exit (stderr {r.stderr!r})", 0, r.returncode)
    mine = [n for n in netns_names() if n.startswith(f"sbssh-{os.getpid()}-")]
    t.eq("namespaces left", [], mine)
    t.eq("processes left (sshd, the watcher)", [],
         lt.processes_matching(b["dir"]))
    t.check(e.get("SB_NS_SRV") not in netns_names(), "srv namespace", "gone",
            netns_names())


def main():
    sbtest.parse_args(__doc__)
    runner = sbtest.Runner("test_sshbed")
    try:
        runner.run("bed-up", test_bed_up, timeout=30)
        runner.run("two-generators", test_two_generators, timeout=40)
        runner.run("host-without-sshd", test_host_without_sshd, timeout=40)
        runner.run("generators-stopped", test_generators_stopped, timeout=40)
        runner.run("sweep-server-host", test_sweep_server_host, timeout=60)
        runner.run("sweep-remote-sysctl", test_sweep_remote_sysctl, timeout=60)
        runner.run("remote-sysctl-refused", test_remote_sysctl_refused, timeout=30)
        runner.run("remote-sysctl-killed", test_remote_sysctl_killed, timeout=40)
        runner.run("sweep-generators", test_sweep_generators, timeout=60)
        runner.run("generators-server-killed", test_generators_server_killed, timeout=50)
        runner.run("bed-down", test_bed_down, timeout=30)
    finally:
        if BED.get("dir") and os.path.exists(os.path.join(BED["dir"], "env")):
            subprocess.run([SCRIPT, "down", BED["dir"]], capture_output=True,
                           timeout=30)
        lt.cleanup_tmpdirs()
    runner.finish()


if __name__ == "__main__":
    main()
