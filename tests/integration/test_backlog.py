#!/usr/bin/env python3
"""listen() backlog, net.core.somaxconn and --pause-accept, measured from
the client side, from `ss -lnt` and from the server's stats.

    python3 tests/integration/test_backlog.py --bin build/sockbench [-k NAME]

Needs root: the script re-executes itself under `unshare -n` (a private
network namespace, `lo` brought up) so that writing somaxconn never touches
the host's. The outer process checks that the host's value is unchanged.

Kernel facts relied on (docs KERNEL-NOTES): the accept queue holds
backlog + 1 connections (sk_acceptq_is_full uses >); a SYN that meets a full
queue is dropped and retried by the client after 1 s; the backlog is clamped
to the namespace's somaxconn; `ss -lnt` shows Recv-Q = queue length,
Send-Q = effective backlog. Connects come from ONE thread, so the count is
exact (two CPUs completing handshakes at once can overshoot by one).
"""

import errno
import os
import select
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
from sbtest import finish, transfer  # noqa: E402

SOMAXCONN = "/proc/sys/net/core/somaxconn"
SETTLE = 0.3          # seconds between the connects and the count


# ------------------------------------------------------------ outer side

def outer(args):
    """Re-execute inside `unshare -n`, then check the host's somaxconn."""
    before = sbtest.somaxconn()
    passed, failed, _ = sbtest.netns_run(
        __file__, header=f"host net.core.somaxconn = {before}; ",
        final_prefix="# in the namespace: ")
    after = sbtest.somaxconn()
    print("RUN  host-somaxconn-unchanged")
    if after == before:
        print("PASS host-somaxconn-unchanged")
        passed += 1
    else:
        print(f"    FAIL: host net.core.somaxconn: expected {before} "
              f"(value before the run), actual {after}")
        print("FAIL host-somaxconn-unchanged")
        failed += 1
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


# ------------------------------------------------------------ inner side

HOST_INO = 0


def set_somaxconn(t, value):
    # Never write the host's value: only inside the private namespace.
    t.require(HOST_INO and sbtest.netns_ino() != HOST_INO,
              "refusing to write somaxconn: not in a private network "
              "namespace")
    with open(SOMAXCONN, "w") as f:
        f.write(f"{value}\n")
    t.eq("namespace somaxconn after writing it", value, sbtest.somaxconn())


def connect_nonblocking(srv, n):
    fam, addr = srv.family_addr()
    socks = []
    for _ in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(addr)
        if err not in (0, errno.EINPROGRESS):
            s.close()
            raise OSError(err, f"connect: {os.strerror(err)}")
        socks.append(s)
    return socks


def established(socks):
    """Indexes of sockets whose connect completed (writable, SO_ERROR 0)."""
    p = select.poll()
    for s in socks:
        p.register(s.fileno(), select.POLLOUT)
    writable = {fd for fd, ev in p.poll(0) if ev & select.POLLOUT}
    done = []
    for i, s in enumerate(socks):
        if s.fileno() in writable and \
                s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            done.append(i)
    return done


def ss_listen(port):
    """(Recv-Q, Send-Q) of the LISTEN socket on port, from `ss -lnt`."""
    out = subprocess.run(["ss", "-lnt"], capture_output=True, text=True,
                         timeout=5).stdout
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 4 and f[0] == "LISTEN" and \
                f[3].rsplit(":", 1)[-1] == str(port):
            return int(f[1]), int(f[2])
    return None


def close_all(socks):
    for s in socks:
        s.close()


def paused_case(t, backlog_arg, somax, n_conns, want_backlog_eff,
                ready_backlog):
    """A paused server: exactly effective+1 of n_conns connects complete."""
    set_somaxconn(t, somax)
    srv = sbtest.start_server(t, ["--model", "epoll", "--proto", "echo",
                                  "--pause-accept", "--backlog",
                                  str(backlog_arg)])
    socks = []
    with srv:
        t.eq("READY backlog", ready_backlog, srv.ready["backlog"])
        try:
            socks = connect_nonblocking(srv, n_conns)
            time.sleep(SETTLE)
            done = established(socks)
            t.eq(f"connections completed {SETTLE * 1000:.0f} ms after "
                 f"{n_conns} non-blocking connects (effective backlog "
                 f"{want_backlog_eff} + 1)", want_backlog_eff + 1, len(done))
            t.eq("`ss -lnt` (Recv-Q, Send-Q) of the listener",
                 (want_backlog_eff + 1, want_backlog_eff),
                 ss_listen(srv.port))
        finally:
            close_all(socks)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats backlog_effective", want_backlog_eff,
             stats.get("backlog_effective"))
        t.eq("stats backlog_requested", ready_backlog,
             stats.get("backlog_requested"))
        t.eq("stats accepted (paused: never accepts)", 0,
             stats.get("accepted"))


def test_backlog(t, backlog):
    paused_case(t, backlog, 4096, 30 if backlog == 8 else 10, backlog,
                backlog)


def test_somaxconn_clamp(t):
    paused_case(t, 100, 4, 30, 4, 100)


def test_backlog_max(t, somax):
    """--backlog max passes -1: the kernel uses the namespace's somaxconn."""
    paused_case(t, "max", somax, somax + 5, somax, -1)


def test_backlog_max_large(t, somax):
    # With a large somaxconn only the effective value is checked.
    set_somaxconn(t, somax)
    srv = sbtest.start_server(t, ["--model", "epoll", "--pause-accept",
                                  "--backlog", "max"])
    with srv:
        t.eq("READY backlog", -1, srv.ready["backlog"])
        t.eq("`ss -lnt` Send-Q", somax, (ss_listen(srv.port) or (0, 0))[1])
        stats = sbtest.stop_server(t, srv)
        t.eq("stats backlog_effective", somax, stats.get("backlog_effective"))
        t.eq("stats backlog_requested", -1, stats.get("backlog_requested"))


def test_sigusr1_resumes(t):
    """Paused server with backlog 8 and 12 clients: 9 complete, the rest
    wait for a SYN retry. Data sent is not echoed while paused. After
    SIGUSR1 every client connects and completes an echo exchange."""
    set_somaxconn(t, 4096)
    n = 12
    srv = sbtest.start_server(t, ["--model", "epoll", "--proto", "echo",
                                  "--pause-accept", "--backlog", "8"])
    socks = []
    with srv:
        try:
            socks = connect_nonblocking(srv, n)
            time.sleep(SETTLE)
            done = established(socks)
            t.eq("connections completed while paused", 9, len(done))
            t.require(done, "no connection completed: cannot go on")
            probe = socks[done[0]]
            probe.send(b"early")
            r, _, _ = select.select([probe], [], [], 0.3)
            t.eq("echo bytes readable 300 ms after sending to a paused "
                 "server", False, bool(r))
            srv.send_signal(signal.SIGUSR1)
            sent_at = time.monotonic()
            # SYNs dropped while the queue was full are retried after 1 s
            # (then 2, 3 s with tcp_syn_linear_timeouts): 5 s is plenty.
            deadline = sent_at + 5
            while time.monotonic() < deadline:
                if len(established(socks)) == n:
                    break
                time.sleep(0.05)
            t.eq("connections completed within 5 s of SIGUSR1", n,
                 len(established(socks)))
            ok = 0
            for i, s in enumerate(socks):
                s.settimeout(5)
                try:
                    msg = f"hello {i}".encode()
                    want = (b"early" if s is probe else b"") + msg
                    got = transfer(s, msg, len(want), 5)
                    if t.eq(f"echo on connection {i} after SIGUSR1", want,
                            got):
                        ok += 1
                    finish(s, 5)
                except Exception as e:  # noqa: BLE001
                    t._record(f"echo on connection {i} after SIGUSR1: "
                              f"expected a reply, actual {e!r}")
            t.eq("connections that completed an echo exchange", n, ok)
        finally:
            close_all(socks)
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats accepted", n, stats.get("accepted"))
        t.eq("stats closed", n, stats.get("closed"))


def inner(args):
    global HOST_INO
    HOST_INO = args.host_netns_ino
    runner = sbtest.Runner("test_backlog (private network namespace)")
    sbtest.netns_inner_setup(runner, HOST_INO)
    for b in (0, 1, 8):
        runner.run(f"backlog-{b}", test_backlog, b, timeout=20)
    runner.run("somaxconn-4-clamps-backlog-100", test_somaxconn_clamp,
               timeout=20)
    runner.run("backlog-max-somaxconn-16", test_backlog_max, 16, timeout=20)
    runner.run("backlog-max-somaxconn-4096", test_backlog_max_large, 4096,
               timeout=20)
    runner.run("sigusr1-resumes-accept", test_sigusr1_resumes, timeout=30)
    runner.finish()


def main():
    args = sbtest.parse_args(__doc__, extra=sbtest.add_netns_args)
    if args.in_netns:
        inner(args)
    else:
        outer(args)


if __name__ == "__main__":
    main()
