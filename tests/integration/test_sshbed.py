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
N = 4000      # requests per generator
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
    # a sysctl axis is another host's setting: refused
    r = subprocess.run([sbtest.BIN, "sweep", "--server-host", e["SB_SRV_SSH"],
                        "--somaxconn", "16", "--out", out + "-x", "--dry-run"],
                       capture_output=True, text=True, timeout=10)
    t.check(r.returncode == 2 and "--somaxconn" in r.stderr and
            len(r.stderr.splitlines()) == 1, "a sysctl axis refused with --server-host",
            "exit 2, one line", (r.returncode, r.stderr))


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
        runner.run("sweep-server-host", test_sweep_server_host, timeout=60)
        runner.run("bed-down", test_bed_down, timeout=30)
    finally:
        if BED.get("dir") and os.path.exists(os.path.join(BED["dir"], "env")):
            subprocess.run([SCRIPT, "down", BED["dir"]], capture_output=True,
                           timeout=30)
        lt.cleanup_tmpdirs()
    runner.finish()


if __name__ == "__main__":
    main()
