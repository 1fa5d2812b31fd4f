#!/usr/bin/env python3
"""A small rr server for --server-cmd tests that can misbehave on purpose.

    faultsrv.py PORT [BACKLOG [FAULTFILE]]

Listens on 127.0.0.1:PORT with listen(BACKLOG), prints READY, serves the rr
protocol (8-byte header: req_len, resp_len big-endian; reply byte i is
i % 251) on a thread per connection. FAULTFILE (JSON, optional) maps a
backlog value to what this server does in that cell; a missing file or key
means "ok", so deleting the file removes the fault:

  "ok"          serve; SIGTERM ends it (exit 0)
  "quiet"       as "ok", but print no READY line: `load` must find the
                LISTEN socket on the port (sock_diag) to know it is ready
  "killself:D"  serve, then SIGKILL itself D seconds after READY
  "hang"        accept and read but never reply; ignore SIGTERM and SIGINT
                (only SIGKILL ends it)
  "silent"      accept and read but never reply; SIGTERM ends it
  "exit:N"      exit at once with status N (never listens, no READY)
  "close1"      serve one request per connection, then close it: a
                client that reconnects after each reply (its slot stays one
                slot: test_fairness.py)

With SB_ARGV_OUT set in the environment it first writes its argv (JSON list,
argv[1:]) to that file and takes the port from the argument `--port=N`:
the tests of `--server-cmd` word splitting read it back.
"""

import json
import os
import signal
import socket
import struct
import sys
import threading

PAT = bytes(range(251))


def recvn(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            return None
        b += d
    return b


def serve_rr(c):
    with c:
        while True:
            h = recvn(c, 8)
            if h is None:
                return
            ql, rl = struct.unpack(">II", h)
            if ql and recvn(c, ql) is None:
                return
            c.sendall((PAT * (rl // 251 + 1))[:rl])


def serve_one(c):
    """One rr request, its reply, then close."""
    with c:
        h = recvn(c, 8)
        if h is None:
            return
        ql, rl = struct.unpack(">II", h)
        if ql and recvn(c, ql) is None:
            return
        c.sendall((PAT * (rl // 251 + 1))[:rl])


def swallow(c):
    with c:
        while c.recv(65536):
            pass


def main():
    args = sys.argv[1:]
    backlog = 128
    fault = "ok"
    out = os.environ.get("SB_ARGV_OUT")
    if out:
        with open(out + ".part", "w") as f:
            json.dump(args, f)
        os.rename(out + ".part", out)
        port = int(next(a for a in args if a.startswith("--port="))[7:])
    else:
        port = int(args[0])
        if len(args) > 1:
            backlog = int(args[1])
        if len(args) > 2:
            try:
                with open(args[2]) as f:
                    fault = json.load(f).get(str(backlog), "ok")
            except FileNotFoundError:
                pass
    if fault.startswith("exit:"):
        sys.exit(int(fault.split(":", 1)[1]))
    if fault == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    if fault != "quiet":
        print("READY", flush=True)
    if fault.startswith("killself:"):
        delay = float(fault.split(":", 1)[1])
        t = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL))
        t.daemon = True
        t.start()
    handler = (swallow if fault in ("hang", "silent") else
               serve_one if fault == "close1" else serve_rr)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
