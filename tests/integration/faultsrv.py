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

HTTP instead of rr (`load --mode http`; each reads a request head, then
replies; SIGTERM ends the server):

  "http:chunked"       a 13-byte body in chunks (one with an extension),
                       with a trailer; the connection stays open
  "http:close-body"    no Content-Length, not chunked: the body ends when
                       the server closes (RFC 9112 section 6.3, item 7)
  "http:continue"      100 Continue, 103 Early Hints, then the 200
  "http:204"           204 No Content, no Content-Length, kept open
  "http:endless-head"  a status line, then one header value that never ends
  "http:endless-body"  Content-Length: 10^12, then bytes for ever
  "http:endless-chunks"  chunked, 64 KiB chunks for ever

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


HELLO = b"Hello, World!"
HTTP_OK = (b"HTTP/1.1 200 OK\r\nServer: faultsrv\r\n"
           b"Content-Length: 13\r\n\r\n" + HELLO)
# mode: (reply, keep the connection open after it)
HTTP_REPLIES = {
    "http:chunked": (b"HTTP/1.1 200 OK\r\nServer: faultsrv\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n"
                     b"5;name=\"a value\"\r\nHello\r\n8\r\n, World!\r\n"
                     b"0\r\nX-Trailer: yes\r\n\r\n", True),
    "http:close-body": (b"HTTP/1.1 200 OK\r\nServer: faultsrv\r\n\r\n" + HELLO,
                        False),
    "http:continue": (b"HTTP/1.1 100 Continue\r\n\r\n"
                      b"HTTP/1.1 103 Early Hints\r\n"
                      b"Link: </style.css>; rel=preload\r\n\r\n" + HTTP_OK,
                      True),
    "http:204": (b"HTTP/1.1 204 No Content\r\nServer: faultsrv\r\n\r\n", True),
}
ENDLESS = {
    "http:endless-head": (b"HTTP/1.1 200 OK\r\nX-Pad: ", b"a" * 65536),
    "http:endless-body": (b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000"
                          b"\r\n\r\n", b"b" * 65536),
    "http:endless-chunks": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                            b"\r\n\r\n",
                            b"10000\r\n" + b"c" * 65536 + b"\r\n"),
}


def read_head(c, buf):
    """The bytes after the next request head in buf + what c brings, or
    None when the client closed first."""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return None
        buf += d
    return buf.split(b"\r\n\r\n", 1)[1]


def http_handler(fault):
    def serve(c):
        with c:
            buf = b""
            try:
                while True:
                    buf = read_head(c, buf)
                    if buf is None:
                        return
                    if fault in ENDLESS:
                        head, block = ENDLESS[fault]
                        c.sendall(head)
                        while True:  # until the client gives up
                            c.sendall(block)
                    reply, keep = HTTP_REPLIES[fault]
                    c.sendall(reply)
                    if not keep:
                        return  # the close ends the body
            except OSError:
                return
    return serve


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
    if fault.startswith("http:"):
        handler = http_handler(fault)
    else:
        handler = (swallow if fault in ("hang", "silent") else
                   serve_one if fault == "close1" else serve_rr)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
