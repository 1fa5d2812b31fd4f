#!/usr/bin/env python3
"""test_scale.py - 10,000 concurrent connections from one generator.

The suite's version of scripts/scale (which holds 100,000): inside a
private network namespace, one `sockbench load --mode connect` opens 10,000
connections spread over 127.0.0.1-127.0.0.8 to one `sockbench serve --model
epoll` and holds them.  Asserted: the client established 10,000, the server
accepted 10,000 and held them all at once (peak_connections), the
namespace's kernel counted 2 x 10,000 + 1 TCP sockets at the peak, and
nobody counted an error.  Needs root (`unshare -n`); under 30 s.
"""

import os
import resource
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadtest as lt  # noqa: E402
import sbtest  # noqa: E402

CONNS = 10000
# Descriptors beyond the connections: stdio, epoll sets, listen and signal
# fds, JSON files, sock_diag; `load` warns below --conns + 64.
FD_SPARE = 200


def raise_nofile(want):
    """Each socket is a descriptor: a process holding 10,000 connections
    needs RLIMIT_NOFILE above 10,000 (a common soft default is 1024).
    Raise the hard limit where allowed (CAP_SYS_RESOURCE, up to
    fs.nr_open); the children inherit it, and sockbench raises its soft
    limit to the hard one itself.  Returns the limit obtained."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < want:
        try:
            with open("/proc/sys/fs/nr_open") as f:
                nr_open = int(f.read())
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (min(want, nr_open), min(want, nr_open)))
        except (OSError, ValueError):
            pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def netns_sysctls():
    """Only this namespace's values: the host's are never written."""
    for name, value in (
            # 10,000 connections to one server port need 10,000 distinct
            # (source address, source port) pairs; the range and the 8
            # source addresses leave ample room (the 100k script's setup).
            ("net/ipv4/ip_local_port_range", "1024 65535"),
            # listen() is clamped to somaxconn (4096 in a new namespace):
            # loopback handshakes complete faster than one thread accepts.
            ("net/core/somaxconn", "65535"),
            ("net/ipv4/tcp_max_syn_backlog", "65535")):
        with open(f"/proc/sys/{name}", "w") as f:
            f.write(value)


def tcp_inuse():
    """TCP sockets of this namespace (/proc/net/sockstat 'TCP: inuse')."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                w = line.split()
                return int(w[w.index("inuse") + 1])
    return -1


class InuseWatch:
    """The largest TCP socket count of the namespace, sampled every 20 ms
    while the load runs: 2 per held connection (both ends) + 1 listener."""

    def __init__(self):
        self.peak = 0
        self.first_full = None
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.wait(0.02):
            n = tcp_inuse()
            self.peak = max(self.peak, n)
            if n >= 2 * CONNS + 1 and self.first_full is None:
                self.first_full = time.monotonic() - self.t0

    def stop(self):
        self._stop.set()
        self._t.join(timeout=2)


def test_hold_10k(t):
    limit = raise_nofile(CONNS + FD_SPARE)
    t.require(limit >= CONNS + FD_SPARE,
              f"RLIMIT_NOFILE: expected >= {CONNS + FD_SPARE} (each "
              f"connection is a descriptor, in the server and the "
              f"generator), actual {limit}; raising the hard limit needs "
              f"CAP_SYS_RESOURCE")
    netns_sysctls()
    with sbtest.Server(["--model", "epoll", "--proto", "echo",
                        "--backlog", "65535",
                        "--max-conns", str(CONNS + 1000)]) as srv:
        watch = InuseWatch()
        try:
            r = lt.run_load(
                ["--target", f"127.0.0.1:{srv.ready['port']}",
                 "--mode", "connect", "--conns", str(CONNS),
                 "--threads", "2", "--duration", "4s",
                 "--source", "127.0.0.1-127.0.0.8",
                 "--connect-timeout", "10s", "--interval", "100ms"],
                timeout=20)
        finally:
            watch.stop()
        stats = srv.stop()
    j = lt.require_run(t, r)
    conns = j["load"]["connections"]
    t.eq("client: connections attempted", CONNS, conns["attempted"])
    t.eq("client: connections established", CONNS, conns["established"])
    t.eq("client: connections failed", 0, conns["failed"])
    t.eq("client: errors", {}, j["load"]["errors"])
    t.eq("client: warnings (RLIMIT_NOFILE, local ports)", [], j["warnings"])
    t.eq("server: accepted", CONNS, stats["accepted"])
    t.eq("server: peak_connections (held at once)", CONNS,
         stats["peak_connections"])
    t.eq("server: closed after the stop", CONNS, stats["closed"])
    t.eq("server: rejected_max_conns", 0, stats["rejected_max_conns"])
    t.eq("server: errors", {}, stats["errors"])
    t.eq("kernel: peak TCP sockets in the namespace (2 per connection + "
         "the listener)", 2 * CONNS + 1, watch.peak)
    d = j["kernel"]["delta"]
    t.eq("kernel: ActiveOpens", CONNS, d.get("ActiveOpens"))
    t.eq("kernel: PassiveOpens", CONNS, d.get("PassiveOpens"))
    t.eq("kernel: ListenOverflows", 0, d.get("ListenOverflows"))
    t.note(f"all {CONNS} held on both sides after "
           f"{watch.first_full if watch.first_full is not None else -1:.2f}"
           f" s; connect p99 "
           f"{conns['latency_us']['p99'] / 1000:.1f} ms; RLIMIT_NOFILE "
           f"{limit}")


def cases(runner, args):
    runner.run("hold-10k-connections", test_hold_10k, timeout=28)


def main():
    lt.netns_main(__doc__, __file__, cases, total_timeout=60)


if __name__ == "__main__":
    main()
