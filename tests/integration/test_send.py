#!/usr/bin/env python3
"""`--send send` versus `--send sendall` with an 8 MiB rr reply, a 4096-byte
SO_SNDBUF on the server and a client that reads slowly.

    python3 tests/integration/test_send.py --bin build/sockbench \
        [--models epoll,poll,blocking,thread] [-k NAME]

Default models: epoll, poll, blocking, thread; --models names any others.
Non-blocking models (epoll, poll, select, prefork, libevent, uring): `send` makes one send(), which returns a
short count as soon as the send buffer is full; the rest is dropped and
counted, the client gets a short reply. `sendall` delivers all of it.
Blocking models (blocking, fork, thread): even `send` delivers everything, because
a blocking send() on TCP returns only when every byte is queued.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
from sbtest import finish, pattern, rr_request, transfer  # noqa: E402

REPLY = 8 * 1024 * 1024
SNDBUF = 4096
# Run by default; any model can be named with --models (blocking, fork and
# thread use blocking sockets, the others non-blocking ones).
DEFAULT_MODELS = ["epoll", "poll", "blocking", "thread"]
BLOCKING_SOCKETS = {"blocking", "fork", "thread"}


def slow_read(sock, want, slow_for=0.5, deadline_s=15.0, quiet=1.0):
    """Read up to `want` bytes: recv(4096) then sleep 1 ms for the first
    `slow_for` seconds (a slow reader), then as fast as possible. Stops at
    `want` bytes, EOF, `quiet` seconds without data, or the deadline.
    Returns (data, why)."""
    chunks = []
    got = 0
    t0 = time.monotonic()
    deadline = t0 + deadline_s
    while got < want:
        now = time.monotonic()
        if now >= deadline:
            return b"".join(chunks), "deadline"
        slow = now - t0 < slow_for
        sock.settimeout(min(quiet, deadline - now))
        try:
            data = sock.recv(min(want - got, 4096 if slow else 1 << 20))
        except socket.timeout:
            return b"".join(chunks), f"no data for {quiet}s"
        if not data:
            return b"".join(chunks), "eof"
        chunks.append(data)
        got += len(data)
        if slow:
            time.sleep(0.001)
    return b"".join(chunks), "complete"


def start(t, model, send):
    return sbtest.start_server(t, ["--model", model, "--proto", "rr",
                                   "--send", send, "--sndbuf", str(SNDBUF)],
                               model)


def check_sndbuf(t, stats):
    want = sbtest.expected_sockbuf(socket.SO_SNDBUF, SNDBUF)
    t.eq(f"stats sndbuf (getsockopt after SO_SNDBUF {SNDBUF}; the kernel "
         f"doubles it)", want, stats.get("sndbuf"))


def test_send_short(t, model):
    srv = start(t, model, "send")
    with srv:
        s = srv.connect(timeout=10)
        s.sendall(rr_request(0, REPLY))
        data, why = slow_read(s, REPLY)
        t.note(f"client received {len(data)} of {REPLY} bytes ({why})")
        t.check(len(data) < REPLY, "bytes received with --send send",
                f"< {REPLY} (a short reply)", len(data))
        t.eq("received bytes are the start of the reply", True,
             data == pattern(len(data)))
        # The connection stays open: the next reply arrives whole.
        try:
            nxt = transfer(s, rr_request(0, 1000), 1000, 5)
            t.eq("second reply on the same connection (len, equal)",
                 (1000, True), (len(nxt), nxt == pattern(1000)))
        except Exception as e:  # noqa: BLE001
            t._record(f"second request on the same connection: expected a "
                      f"1000-byte reply, actual {e!r}")
        try:
            finish(s, 5)
        except Exception as e:  # noqa: BLE001
            t._record(f"orderly close: {e!r}")
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats short_sends", 1, stats.get("short_sends"))
        t.check((stats.get("bytes_dropped") or 0) > 0, "stats bytes_dropped",
                "> 0", stats.get("bytes_dropped"))
        t.eq("stats bytes_out + bytes_dropped", REPLY + 1000,
             (stats.get("bytes_out") or 0) + (stats.get("bytes_dropped") or 0))
        t.eq("stats bytes_out (= bytes the client received)",
             len(data) + 1000, stats.get("bytes_out"))
        t.eq("stats send_calls (one send() per reply)", 2,
             stats.get("send_calls"))
        t.eq("stats requests", 2, stats.get("requests"))
        check_sndbuf(t, stats)


def full_reply(t, model, send):
    srv = start(t, model, send)
    with srv:
        s = srv.connect(timeout=10)
        s.sendall(rr_request(0, REPLY))
        t0 = time.monotonic()
        data, why = slow_read(s, REPLY)
        t.note(f"client received {len(data)} of {REPLY} bytes in "
               f"{time.monotonic() - t0:.2f}s ({why})")
        t.eq("bytes received", REPLY, len(data))
        t.eq("reply verified byte by byte", True, data == pattern(len(data)))
        try:
            finish(s, 5)
        except Exception as e:  # noqa: BLE001
            t._record(f"orderly close: {e!r}")
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats short_sends", 0, stats.get("short_sends"))
        t.eq("stats bytes_dropped", 0, stats.get("bytes_dropped"))
        t.eq("stats bytes_out", REPLY, stats.get("bytes_out"))
        t.eq("stats requests", 1, stats.get("requests"))
        if send == "send":
            t.eq("stats send_calls (one send() per reply)", 1,
                 stats.get("send_calls"))
        check_sndbuf(t, stats)


def test_sendall(t, model):
    full_reply(t, model, "sendall")


def test_blocking_send(t, model):
    print("    # A blocking send() on TCP returns only when every byte is "
          "queued (unless a signal or SO_SNDTIMEO interrupts it; see "
          "KERNEL-NOTES 'Send and receive'), so with --send send the "
          f"{model} model still delivers all 8 MiB: not luck.", flush=True)
    full_reply(t, model, "send")


def main():
    args = sbtest.parse_args(__doc__)
    explicit = any(a == "--models" or a.startswith("--models=")
                   for a in sys.argv[1:])
    models = args.models if explicit else DEFAULT_MODELS
    runner = sbtest.Runner("test_send")
    for model in models:
        if model in BLOCKING_SOCKETS:
            runner.run(f"{model}/send-blocking-complete", test_blocking_send,
                       model, timeout=30)
        else:
            runner.run(f"{model}/send-short", test_send_short, model,
                       timeout=30)
            runner.run(f"{model}/sendall", test_sendall, model, timeout=30)
    runner.finish()


if __name__ == "__main__":
    main()
