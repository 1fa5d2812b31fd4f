#!/usr/bin/env python3
"""The http protocol (SPEC section 3) and `load --mode http` (section 4),
with real sockets, wrk and nginx.

    python3 tests/integration/test_http.py --bin build/sockbench [-k NAME] [--models a,b]

  wrk/*        wrk for 2 s against every model (-t1 -c1 for blocking, which
               serves one kept-alive connection at a time; -t2 -c20 for the
               others), two models at a time: wrk saw requests, no socket
               error, no non-2xx/3xx; the server's own count (SIGINT, stats
               JSON) is wrk's plus at most one in flight per connection.
  raw/*        exact reply bytes (--http-body 13, 30, 1000000), pipelining
               (the replies' Connection headers prove the order; 150 GETs
               in one send), a request one byte at a time, HTTP/1.0 with and
               without keep-alive, 1.1 + Connection: close (a pipelined GET
               after it is not answered), heads of 3000 and exactly 8192
               bytes, --recv-size 16; epoll, thread (blocking sockets) and
               uring.
  bad/*        bare LF, a 64 KiB head, an 8193-byte head, garbage, "hello"
               with no newline, a POST with a body, ...: the exact 400/431
               reply then a close, and the server still serves;
               protocol_errors = the number of bad requests.
  nginx/*      `load --mode http` against nginx started here: status counts
               and the access log agree request for request; 404s;
               keepalive_requests 100 (Connection: close -> reconnect);
               --http-body 13 passes, 12 is an integrity error per request.
  server-cmd/* a Python server whose replies come in pieces (and one that
               closes every 3rd connection with Connection: close).
  serve/*      `load --mode http --serve ...`: completed == server requests;
               --http-body on both sides; --duration: completed + in flight
               == server requests.

wrk and nginx are required: without them the tests FAIL (scripts/setup
installs them).  Every process is bounded by a timeout and killed on every
exit path.
"""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load, require_run  # noqa: E402

WRK_SECONDS = 2
HELLO = b"Hello, World!"
IO_TIMEOUT = 10.0


# --------------------------------------------------------------- replies

def body(n):
    return (HELLO * (n // len(HELLO) + 1))[:n]


def reply(status, n, conn=None, payload=None):
    """The bytes sockbench sends (proto_http.c make_reply), written out."""
    payload = body(n) if payload is None else payload
    head = (f"HTTP/1.1 {status}\r\nServer: sockbench\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(payload)}\r\n")
    if conn:
        head += f"Connection: {conn}\r\n"
    return head.encode() + b"\r\n" + payload


def ok(n=13):
    return reply("200 OK", n)


def ok_keep(n=13):
    return reply("200 OK", n, "keep-alive")


def ok_close(n=13):
    return reply("200 OK", n, "close")


REPLY_400 = reply("400 Bad Request", 0, "close", b"Bad Request\n")
REPLY_431 = reply("431 Request Header Fields Too Large", 0, "close",
                  b"Header Too Large\n")

GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def show(b, n=160):
    return repr(b[:n]) + ("..." if len(b) > n else "")


# ------------------------------------------------------------- sockets

def recv_exact(s, n, timeout=IO_TIMEOUT):
    return sbtest.recv_exact(s, n, timeout)


def read_to_end(s, timeout=IO_TIMEOUT):
    return sbtest.read_to_end(s, timeout)


def nothing_pending(s, wait=0.1):
    """True when no byte arrives within `wait` seconds (the socket stays
    open and silent)."""
    r, _, _ = select.select([s], [], [], wait)
    if not r:
        return True
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) is None
    except BlockingIOError:
        return True
    except OSError:
        return False


def send_tolerant(s, data, timeout=IO_TIMEOUT):
    return sbtest.send_tolerant(s, data, timeout)


def head_of(size, extra=b""):
    """A GET head of exactly size bytes (one long X-Pad header)."""
    pre = b"GET / HTTP/1.1\r\nHost: a\r\n" + extra + b"X-Pad: "
    pad = size - len(pre) - 4
    assert pad >= 0
    return pre + b"p" * pad + b"\r\n\r\n"


def exchange(t, srv, req, want, what, then="open"):
    """New connection, one request, exactly `want` back, then the socket
    is still open ('open': returned) or the server closed it ('eof')."""
    s = srv.connect(timeout=IO_TIMEOUT)
    try:
        s.sendall(req)
        data, how = recv_exact(s, len(want))
        t.eq(f"{what}: reply", show(want), show(data))
        t.eq(f"{what}: reply complete", "ok", how)
        if then == "eof":
            rest, how = read_to_end(s, 5)
            t.eq(f"{what}: after the reply (expected the server's close)",
                 (b"", "eof"), (rest[:64], how))
            s.close()
            return None
        return s
    except BaseException:
        s.close()
        raise


def finish_clean(t, s, what):
    """Our orderly close: no unexpected byte, the server closes too."""
    try:
        extra = sbtest.finish(s, 5)
    except TimeoutError as e:
        t._record(f"{what}: {e}")
        return
    t.eq(f"{what}: bytes after the last reply", b"", extra[:64])


# ------------------------------------------------------------ tools

def require_tool(t, name):
    path = shutil.which(name)
    if not path:
        t.fail(f"{name} is not installed (scripts/setup installs it): this "
               f"test needs it and fails without it")
    return path


track = sbtest.track      # kill_all_servers() (end of every test, watchdog)
untrack = sbtest.untrack  # kills it too; lt.reap_orphans() leaves it alone
killpg = sbtest.killpg


# ------------------------------------------------------------------ wrk

WRK_DONE_RE = re.compile(r"^\s*(\d+) requests in ([\d.]+)(\w+), ", re.M)
WRK_SOCK_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), "
                         r"write (\d+), timeout (\d+)")
WRK_NON2XX_RE = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk_args(model):
    return (1, 1) if model == "blocking" else (2, 20)


def test_wrk(t, models):
    """wrk against two models at once (each has its own server)."""
    wrk = require_tool(t, "wrk")
    runs = []
    try:
        for m in models:
            srv = sbtest.start_server(t, ["--model", m, "--proto", "http"],
                                      m)
            runs.append({"model": m, "srv": srv})
        tmp = lt.tmpdir()
        for r in runs:
            threads, conns = wrk_args(r["model"])
            r["conns"] = conns
            r["out"] = os.path.join(tmp, f"wrk-{r['model']}.out")
            cmd = [wrk, f"-t{threads}", f"-c{conns}", f"-d{WRK_SECONDS}s",
                   "--timeout", "5s",
                   f"http://127.0.0.1:{r['srv'].port}/"]
            r["cmd"] = " ".join(cmd)
            with open(r["out"], "wb") as f:
                r["proc"] = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=f,
                    stderr=subprocess.STDOUT, start_new_session=True)
            track(r["proc"])
        deadline = time.monotonic() + WRK_SECONDS + 15
        for r in runs:
            try:
                r["rc"] = r["proc"].wait(
                    timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                r["rc"] = None
            killpg(r["proc"])
            with open(r["out"], "rb") as f:
                r["text"] = f.read().decode(errors="replace")
        for r in runs:
            m, text = r["model"], r["text"]
            if r["rc"] != 0:
                t._record(f"{m}: `{r['cmd']}` exit {r['rc']} (None: still "
                          f"running after {WRK_SECONDS + 15}s, killed); "
                          f"output {text[-1500:]!r}")
                continue
            mdone = WRK_DONE_RE.search(text)
            if not mdone:
                t._record(f"{m}: no 'N requests in' line in wrk's output "
                          f"{text[-1500:]!r}")
                continue
            r["wrk_requests"] = int(mdone.group(1))
            t.check(r["wrk_requests"] > 0, f"{m}: wrk requests", "> 0",
                    r["wrk_requests"])
            ms = WRK_SOCK_RE.search(text)
            if ms:
                t.eq(f"{m}: wrk socket errors (connect, read, write, "
                     f"timeout)", (0, 0, 0, 0),
                     tuple(int(x) for x in ms.groups()))
            elif "Socket errors" in text:
                t._record(f"{m}: unparsed 'Socket errors' line in "
                          f"{text[-1500:]!r}")
            mn = WRK_NON2XX_RE.search(text)
            t.eq(f"{m}: wrk 'Non-2xx or 3xx responses'", None,
                 mn.group(1) if mn else None)
        for r in runs:
            m, srv = r["model"], r["srv"]
            t.require(srv.alive(), f"{m}: server died under wrk: exit "
                      f"{srv.proc.poll()} stderr={srv.stderr()[-1500:]!r}")
            st = sbtest.stop_server(t, srv, signal.SIGINT)
            sbtest.check_stats_shape(t, st, m, "http")
            t.eq(f"{m}: server protocol_errors", 0, st.get("protocol_errors"))
            # wrk.resolve() (wrk.lua) first connects once to the address
            # to check it, then opens its -c connections, and reconnects
            # only after an error or a Connection: close.
            t.eq(f"{m}: server accepted (wrk's probe + its -c connections)",
                 r["conns"] + 1, st.get("accepted"))
            n = r.get("wrk_requests")
            if n is not None:
                # wrk counts a reply it has read; the server counts a
                # request it has answered: at the end of the 2 s at most
                # one per connection is answered but not read.
                req = st.get("requests")
                t.check(isinstance(req, int) and n <= req <= n + r["conns"],
                        f"{m}: server requests", f"wrk's {n} .. {n} + "
                        f"{r['conns']} (one in flight per connection)", req)
                t.check((st.get("bytes_out") or 0) >= n * len(ok()),
                        f"{m}: server bytes_out", f">= {n} x {len(ok())}",
                        st.get("bytes_out"))
            t.note(f"{m}: wrk {n} requests in {WRK_SECONDS}s, server "
                   f"{st.get('requests')}")
    finally:
        for r in runs:
            if "proc" in r:
                killpg(r["proc"])
            r["srv"].__exit__(None, None, None)


# ------------------------------------------------------ raw sockets

def test_raw(t, model):
    srv = sbtest.start_server(t, ["--model", model, "--proto", "http"],
                              model)
    srv30 = None
    with srv:
        nreq = nconn = 0

        # The exact reply, twice on one kept connection.
        s = exchange(t, srv, GET, ok(), "GET 1.1")
        s.sendall(b"GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
        data, how = recv_exact(s, len(ok()))
        t.eq("second GET on the same connection", show(ok()), show(data))
        t.check(nothing_pending(s), "after the second reply", "silence",
                "more bytes")
        finish_clean(t, s, "GET 1.1 x2")
        nreq, nconn = nreq + 2, nconn + 1

        # Three pipelined GETs in one send, each asking for another reply:
        # the Connection headers show the order; the last one closes.
        pipe = (b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                b"GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                b"GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        exchange(t, srv, pipe, ok() + ok_keep() + ok_close(),
                 "3 pipelined GETs (1.1, 1.0 keep-alive, 1.1 close)",
                 then="eof")
        nreq, nconn = nreq + 3, nconn + 1

        # Three identical ones, and 150 (about 5 KiB: more than one
        # --recv-size 1024 buffer), each in one send.
        s = exchange(t, srv, GET * 3, ok() * 3, "3 identical pipelined GETs")
        s.sendall(GET * 150)
        data, how = recv_exact(s, 150 * len(ok()))
        t.eq("150 pipelined GETs: replies (bytes, all equal)",
             (150 * len(ok()), True), (len(data), data == ok() * 150))
        finish_clean(t, s, "pipelined GETs")
        nreq, nconn = nreq + 153, nconn + 1

        # One byte at a time: no reply before the last byte, one after.
        s = srv.connect(timeout=IO_TIMEOUT)
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(len(GET) - 1):
                s.send(GET[i:i + 1])
                time.sleep(0.003)
            t.check(nothing_pending(s, 0.2), "reply before the last byte "
                    "of the head", "none", "bytes")
            s.send(GET[-1:])
            data, how = recv_exact(s, len(ok()))
            t.eq("request sent one byte at a time: reply", show(ok()),
                 show(data))
            t.check(nothing_pending(s, 0.2), "after that one reply",
                    "silence", "more bytes")
        finally:
            finish_clean(t, s, "byte at a time")
        nreq, nconn = nreq + 1, nconn + 1

        # HTTP/1.0: closed after the reply unless it asks for keep-alive.
        exchange(t, srv, b"GET / HTTP/1.0\r\n\r\n", ok_close(), "HTTP/1.0",
                 then="eof")
        s = exchange(t, srv, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
                     b"\r\n", ok_keep(), "HTTP/1.0 keep-alive")
        s.sendall(b"GET /b HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        data, how = recv_exact(s, len(ok_keep()))
        t.eq("HTTP/1.0 keep-alive: second request on the same connection",
             show(ok_keep()), show(data))
        finish_clean(t, s, "HTTP/1.0 keep-alive")
        exchange(t, srv, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close"
                 b"\r\n\r\n", ok_close(), "HTTP/1.1 Connection: close",
                 then="eof")
        nreq, nconn = nreq + 4, nconn + 3

        # A head longer than --recv-size (1024): the buffer grows to the
        # 8 KiB bound; a head of exactly 8192 bytes is served.
        for size in (3000, 8192):
            req = head_of(size)
            s = exchange(t, srv, req, ok(), f"a {size}-byte head")
            s.sendall(GET)
            data, how = recv_exact(s, len(ok()))
            t.eq(f"GET after a {size}-byte head on the same connection",
                 show(ok()), show(data))
            finish_clean(t, s, f"{size}-byte head")
            nreq, nconn = nreq + 2, nconn + 1
        # A small GET, then an 8192-byte one, in one send.
        exchange(t, srv, GET + head_of(8192, b"Connection: close\r\n"),
                 ok() + ok_close(), "GET + 8192-byte head pipelined",
                 then="eof")
        nreq, nconn = nreq + 2, nconn + 1

        # Connection: close, then a pipelined GET the server must not
        # answer: one reply, then the close (a reset: bytes left unread).
        s = srv.connect(timeout=IO_TIMEOUT)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + GET)
            data, how = read_to_end(s, 5)
            t.eq("close + pipelined GET: one reply, then the close",
                 (show(ok_close()), True), (show(data), how in ("eof",
                                                                "reset")))
        finally:
            s.close()
        nreq, nconn = nreq + 1, nconn + 1

        # --http-body 30: "Hello, World!" repeated and cut.
        srv30 = sbtest.start_server(t, ["--model", model, "--proto", "http",
                                        "--http-body", "30"], model)
        want30 = (b"HTTP/1.1 200 OK\r\nServer: sockbench\r\nContent-Type: "
                  b"text/plain\r\nContent-Length: 30\r\n\r\n"
                  b"Hello, World!Hello, World!Hell")
        t.eq("our expected 30-byte reply", want30, ok(30))
        s = exchange(t, srv30, GET, want30, "--http-body 30")
        finish_clean(t, s, "--http-body 30")
        st30 = sbtest.stop_server(t, srv30)
        t.eq("--http-body 30: server requests", 1, st30.get("requests"))
        t.eq("--http-body 30: server bytes_out", len(want30),
             st30.get("bytes_out"))

        # A 1 MB body (not a multiple of 13): many sends per reply; two
        # pipelined replies come back whole and in order.
        check_variant(t, model, ["--http-body", "1000000"], ok(1000000),
                      "--http-body 1000000")
        # --recv-size 16: every head is longer than the buffer.
        check_variant(t, model, ["--recv-size", "16"], ok(),
                      "--recv-size 16")

        time.sleep(0.2)  # the last close's counters (see test_models)
        st = sbtest.stop_server(t, srv)
        sbtest.check_stats_shape(t, st, model, "http")
        t.eq("server requests", nreq, st.get("requests"))
        t.eq("server accepted", nconn, st.get("accepted"))
        t.eq("server protocol_errors", 0, st.get("protocol_errors"))
        t.eq("server errors", {}, st.get("errors"))
    if srv30:
        srv30.__exit__(None, None, None)


def check_variant(t, model, args, want, what):
    """A server with extra options: one GET, then 3 pipelined, exact."""
    srv = sbtest.start_server(t, ["--model", model, "--proto", "http"] + args,
                              model)
    with srv:
        s = exchange(t, srv, GET, want, what)
        s.sendall(GET * 3)
        data, how = recv_exact(s, 3 * len(want), 20)
        t.eq(f"{what}: 3 pipelined replies (bytes, all equal)",
             (3 * len(want), True), (len(data), data == want * 3))
        finish_clean(t, s, what)
        time.sleep(0.2)
        st = sbtest.stop_server(t, srv)
        t.eq(f"{what}: server requests", 4, st.get("requests"))
        t.eq(f"{what}: server bytes_out", 4 * len(want), st.get("bytes_out"))
        t.eq(f"{what}: server protocol_errors", 0, st.get("protocol_errors"))


# --------------------------------------------------- malformed requests

BAD_REQUESTS = [
    # (name, bytes, what must come back)
    ("bare LF line ends", b"GET / HTTP/1.1\nHost: a\n\n", "400"),
    ("garbage", b"hello, server\r\n\r\n", "400"),
    ("'hello' without a newline (judged on its first bytes)", b"hello",
     "400"),
    ("POST with a body", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5"
     b"\r\n\r\nhello", "400"),
    ("GET with a body", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5"
     b"\r\n\r\nhello", "400"),
    ("chunked GET", b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", "400"),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "400"),
    ("NUL in a header", b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", "400"),
    ("64 KiB header", b"GET / HTTP/1.1\r\nX: " + b"a" * 65536 + b"\r\n\r\n",
     "431"),
    ("9000-byte head, sent whole", b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 +
     b"\r\n\r\n", "431"),
    ("8193-byte head (one byte over the bound)", None, "431"),
]


def test_bad(t, model):
    srv = sbtest.start_server(t, ["--model", model, "--proto", "http"],
                              model)
    with srv:
        good = 0
        for name, req, kind in BAD_REQUESTS:
            if req is None:
                req = head_of(8193)
            want = REPLY_400 if kind == "400" else REPLY_431
            s = srv.connect(timeout=IO_TIMEOUT)
            try:
                t0 = time.monotonic()
                sent = send_tolerant(s, req)
                data, how = read_to_end(s, 5)
                took = time.monotonic() - t0
            finally:
                s.close()
            small = len(req) < 1024
            if small:
                # Read whole by the server: the reply, then an orderly
                # close (nothing unread to turn it into a reset).
                t.eq(f"{name}: sent", len(req), sent)
                t.eq(f"{name}: reply then close", (show(want), "eof"),
                     (show(data), how))
            else:
                # The server stops reading at 8 KiB, answers, closes with
                # bytes unread: the kernel resets.  The reply is sent
                # before the close, so it is read before the reset.
                t.check(how in ("eof", "reset"), f"{name}: connection",
                        "closed by the server", how)
                t.eq(f"{name}: reply before the close", show(want),
                     show(data))
                t.note(f"{name}: {sent} of {len(req)} bytes sent, the reply, "
                       f"then {how}")
            t.check(took < 3, f"{name}: time to the answer and close",
                    "< 3 s (no waiting for more bytes)", f"{took:.2f}s")
            # The server still serves.
            s = exchange(t, srv, GET, ok(), f"GET after {name}")
            finish_clean(t, s, f"GET after {name}")
            good += 1
        # A good GET and a bad one in one send: 200, then 400 and close.
        exchange(t, srv, GET + b"BREW /pot HTTP/1.1\r\n\r\n", ok() + REPLY_400,
                 "GET + a bad request pipelined", then="eof")
        time.sleep(0.2)
        st = sbtest.stop_server(t, srv)
        t.eq("server protocol_errors (one per bad request)",
             len(BAD_REQUESTS) + 1, st.get("protocol_errors"))
        t.eq("server requests (the good GETs only)", good + 1,
             st.get("requests"))
        t.eq("server accepted", len(BAD_REQUESTS) + good + 1,
             st.get("accepted"))


# ---------------------------------------------------------------- nginx

NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
user root;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "Hello, World!"; }}
        location /missing {{ return 404; }}
        location /ka100 {{ keepalive_requests 100; return 200 "Hello, World!"; }}
    }}
}}
"""

# $remote_addr - $remote_user [$time_local] "$request" $status
# $body_bytes_sent "$http_referer" "$http_user_agent"  (nginx's "combined")
COMBINED_RE = re.compile(r'^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) '
                         r'(\d+) "([^"]*)" "([^"]*)"$')


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class Nginx:
    def __init__(self, t):
        self.t = t
        self.bin = require_tool(t, "nginx")
        self.tmp = tempfile.mkdtemp(prefix="sbhttp-nginx-")
        self.port = free_port()
        self.conf = os.path.join(self.tmp, "nginx.conf")
        self.log = os.path.join(self.tmp, "access.log")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(tmp=self.tmp, port=self.port))
        self.proc = None
        self.seen = 0  # access log lines already looked at

    def start(self):
        out = open(os.path.join(self.tmp, "nginx.out"), "wb")
        cmd = [self.bin, "-c", self.conf, "-p", self.tmp + "/",
               "-e", os.path.join(self.tmp, "error.log")]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        track(self.proc)
        # Listening, seen in /proc/net/tcp: no connection is made (nothing
        # in the access log that this test did not ask for).
        deadline = time.monotonic() + 10
        while sbtest.listen_queue(self.port) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.t.fail(f"nginx did not listen on 127.0.0.1:{self.port} "
                            f"within 10 s (`{' '.join(cmd)}` exit "
                            f"{self.proc.poll()}): {self.output()}")
            time.sleep(0.02)

    def output(self):
        text = ""
        for name in ("nginx.out", "error.log"):
            try:
                with open(os.path.join(self.tmp, name), "rb") as f:
                    text += f"{name}: {f.read()[-1500:]!r} "
            except OSError:
                pass
        return text

    def new_log_lines(self, want, timeout=5.0):
        """The access log lines written since the last call; waits (up to
        timeout) for `want` of them, then a moment more for extra ones."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self._lines()
            if len(lines) - self.seen >= want or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        lines = self._lines()
        new = lines[self.seen:]
        self.seen = len(lines)
        return new

    def _lines(self):
        try:
            with open(self.log, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        # a line still being written has no newline yet
        return data.decode(errors="replace").split("\n")[:-1]

    def stop(self):
        """SIGQUIT (graceful), then SIGKILL to the group if it lingers."""
        if self.proc is None:
            return None
        rc = None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGQUIT)
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        killpg(self.proc)  # workers too, whatever happened
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def check_log(t, lines, n, status, request, what):
    statuses, requests, bad = {}, {}, []
    for line in lines:
        m = COMBINED_RE.match(line)
        if not m:
            bad.append(line)
            continue
        statuses[m.group(5)] = statuses.get(m.group(5), 0) + 1
        requests[m.group(4)] = requests.get(m.group(4), 0) + 1
    t.eq(f"{what}: access log lines", n, len(lines))
    t.eq(f"{what}: access log lines not in the combined format", [],
         bad[:3])
    t.eq(f"{what}: access log statuses", {status: n}, statuses)
    t.eq(f"{what}: access log requests", {request: n}, requests)


def nginx_load(t, ng, extra, what, timeout=60, rc=0):
    r = run_load(["--mode", "http", "--target", f"127.0.0.1:{ng.port}",
                  "--threads", "2"] + extra, timeout)
    j = require_run(t, r, rc=rc, what=what)
    lt.check_run_shape(t, j, started_server=False)
    return j


def test_nginx(t):
    ng = Nginx(t)
    try:
        ng.start()
        # 3000 GETs of / on 10 connections.
        j = nginx_load(t, ng, ["--requests", "3000", "--conns", "10"],
                       "load against nginx, 3000 GETs")
        t.eq("load.http", {"status": {"200": 3000}, "not_2xx_3xx": 0},
             dig(j, "load.http"))
        t.eq("load.requests.completed", 3000,
             dig(j, "load.requests.completed"))
        t.eq("load.requests.failed", 0, dig(j, "load.requests.failed"))
        t.eq("load.errors", {}, dig(j, "load.errors"))
        t.eq("load.connections.established", 10,
             dig(j, "load.connections.established"))
        t.eq("config.load.http_path", "/", dig(j, "config.load.http_path"))
        t.eq("config.load.http_body", None, dig(j, "config.load.http_body"))
        check_log(t, ng.new_log_lines(3000), 3000, "200", "GET / HTTP/1.1",
                  "3000 GETs")

        # 500 GETs of /missing: nginx's 404 page, framed and counted.
        j = nginx_load(t, ng, ["--requests", "500", "--conns", "10",
                               "--http-path", "/missing"],
                       "load against nginx, 500 GETs of /missing")
        t.eq("/missing: load.http", {"status": {"404": 500},
                                     "not_2xx_3xx": 500},
             dig(j, "load.http"))
        t.eq("/missing: load.requests.completed", 500,
             dig(j, "load.requests.completed"))
        t.eq("/missing: load.errors", {}, dig(j, "load.errors"))
        t.eq("/missing: config.load.http_path", "/missing",
             dig(j, "config.load.http_path"))
        check_log(t, ng.new_log_lines(500), 500, "404",
                  "GET /missing HTTP/1.1", "/missing")

        # keepalive_requests 100: every 100th reply says Connection: close
        # and nginx closes; load must open a new connection and go on.
        j = nginx_load(t, ng, ["--requests", "1000", "--conns", "4",
                               "--http-path", "/ka100"],
                       "load against nginx, keepalive_requests 100")
        t.eq("keepalive_requests 100: load.http",
             {"status": {"200": 1000}, "not_2xx_3xx": 0},
             dig(j, "load.http"))
        t.eq("keepalive_requests 100: load.errors", {}, dig(j, "load.errors"))
        est = dig(j, "load.connections.established")
        t.note(f"keepalive_requests 100: {est} connections for 1000 requests")
        t.check(isinstance(est, int) and 10 <= est <= 13,
                "keepalive_requests 100: connections established",
                "10..13 (1000 requests, 100 per connection, the last 4 cut "
                "short)", est)
        check_log(t, ng.new_log_lines(1000), 1000, "200",
                  "GET /ka100 HTTP/1.1", "keepalive_requests 100")

        # --http-body: nginx's 13-byte body passes; 12 fails every reply.
        j = nginx_load(t, ng, ["--requests", "200", "--conns", "4",
                               "--http-body", "13"],
                       "load against nginx, --http-body 13")
        t.eq("--http-body 13: load.http",
             {"status": {"200": 200}, "not_2xx_3xx": 0}, dig(j, "load.http"))
        t.eq("--http-body 13: load.errors", {}, dig(j, "load.errors"))
        t.eq("--http-body 13: config.load.http_body", 13,
             dig(j, "config.load.http_body"))
        ng.new_log_lines(200)
        j = nginx_load(t, ng, ["--requests", "100", "--conns", "4",
                               "--http-body", "12"],
                       "load against nginx, --http-body 12", rc=1)
        t.eq("--http-body 12: load.errors (every reply has 13 bytes)",
             {"integrity_error": 100}, dig(j, "load.errors"))
        t.eq("--http-body 12: load.requests.completed", 0,
             dig(j, "load.requests.completed"))
        t.eq("--http-body 12: load.requests.failed", 100,
             dig(j, "load.requests.failed"))
        t.eq("--http-body 12: load.http.status", {},
             dig(j, "load.http.status"))
        check_log(t, ng.new_log_lines(100), 100, "200", "GET / HTTP/1.1",
                  "--http-body 12")
        t.require(ng.proc.poll() is None,
                  f"nginx exited during the runs: {ng.output()}")
        rc = ng.stop()
        t.eq("nginx exit status after SIGQUIT", 0, rc)
    finally:
        ng.cleanup()


# ---------------------------------------------------- load --serve

def test_serve(t, model):
    r = run_load(["--mode", "http", "--serve", f"--model {model} --proto "
                  "http", "--requests", "2000", "--conns", "10"], 60)
    j = require_run(t, r)
    lt.check_run_shape(t, j, started_server=True)
    load, srv = j["load"], j.get("server") or {}
    t.eq("load.requests.completed", 2000, dig(load, "requests.completed"))
    t.eq("server.requests", 2000, srv.get("requests"))
    t.eq("load.requests.failed", 0, dig(load, "requests.failed"))
    t.eq("load.errors", {}, load.get("errors"))
    t.eq("load.http", {"status": {"200": 2000}, "not_2xx_3xx": 0},
         load.get("http"))
    t.eq("server.protocol_errors", 0, srv.get("protocol_errors"))
    t.eq("server.proto", "http", srv.get("proto"))
    t.eq("server.bytes_out == load.bytes_in", load.get("bytes_in"),
         srv.get("bytes_out"))
    t.eq("server.bytes_in == load.bytes_out", load.get("bytes_out"),
         srv.get("bytes_in"))
    t.eq("load.bytes_in (2000 x the 13-byte reply)", 2000 * len(ok()),
         load.get("bytes_in"))
    t.eq("server.accepted", 10, srv.get("accepted"))


def test_serve_body(t):
    """--http-body on both sides: 30 == 30 passes, 13 != 30 fails."""
    r = run_load(["--mode", "http", "--serve", "--model epoll --proto http "
                  "--http-body 30", "--requests", "500", "--conns", "5",
                  "--http-body", "30"], 60)
    j = require_run(t, r, what="--http-body 30 against --http-body 30")
    t.eq("30/30: load.http", {"status": {"200": 500}, "not_2xx_3xx": 0},
         dig(j, "load.http"))
    t.eq("30/30: load.errors", {}, dig(j, "load.errors"))
    t.eq("30/30: load.bytes_in", 500 * len(ok(30)), dig(j, "load.bytes_in"))
    r = run_load(["--mode", "http", "--serve", "--model epoll --proto http "
                  "--http-body 30", "--requests", "50", "--conns", "5",
                  "--http-body", "13"], 60)
    # not one request completed: exit 1 (SPEC 10), error null
    j = require_run(t, r, rc=1, what="--http-body 13 against --http-body 30")
    t.eq("13/30: load.errors", {"integrity_error": 50}, dig(j, "load.errors"))
    t.eq("13/30: load.requests.completed", 0,
         dig(j, "load.requests.completed"))
    t.eq("13/30: server.requests (every request was answered)", 50,
         dig(j, "server.requests"))


def test_serve_duration(t):
    """--duration: completed + in flight at the end == server requests."""
    r = run_load(["--mode", "http", "--serve", "--model epoll --proto http",
                  "--duration", "1s", "--conns", "10"], 60)
    j = require_run(t, r)
    req, srv = dig(j, "load.requests", {}), j.get("server") or {}
    done, infl = req.get("completed"), req.get("in_flight_at_end")
    t.check(isinstance(done, int) and done > 0, "load.requests.completed",
            "> 0", done)
    if isinstance(done, int) and isinstance(infl, int):
        t.eq("completed + in_flight_at_end (== server.requests)",
             srv.get("requests"), done + infl)
        t.eq("load.http.status (every completed reply is a 200)",
             {"200": done}, dig(j, "load.http.status"))
    t.eq("load.errors", {}, dig(j, "load.errors"))
    t.eq("server.protocol_errors", 0, srv.get("protocol_errors"))


# A server whose replies come in pieces (1 ms apart, TCP_NODELAY): the
# status line, headers and body each cut across recv() calls.  REPLY_MODE
# "close" answers every 3rd request with Connection: close and closes.
DRIBBLE_SERVER = r'''
import socket, sys, threading, time
HEAD = (b"HTTP/1.1 200 OK\r\nServer: dribble\r\n"
        b"Date: Wed, 25 Nov 2026 10:51:20 GMT\r\ncontent-length: 13\r\n")
BODY = b"Hello, World!"
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf, n = b"", 0
    with c:
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(4096)
                if not d:
                    return
                buf += d
            buf = buf.split(b"\r\n\r\n", 1)[1]
            n += 1
            close = sys.argv[2] == "close" and n % 3 == 0
            reply = HEAD + (b"Connection: close\r\n" if close else b"") + \
                b"\r\n" + BODY
            h = len(reply) - len(BODY)
            for a, b in ((0, 3), (3, 11), (11, 40), (40, h - 1), (h - 1, h + 4),
                         (h + 4, len(reply))):
                c.sendall(reply[a:b])
                time.sleep(0.001)
            if close:
                return
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(128)
print("READY", flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'''


def test_dribble(t, mode):
    d = lt.tmpdir()
    path = os.path.join(d, "dribble.py")
    with open(path, "w") as f:
        f.write(DRIBBLE_SERVER)
    r = run_load(["--mode", "http", "--server-cmd",
                  f"{sys.executable} {path} {{port}} {mode}",
                  "--requests", "150", "--conns", "3", "--threads", "1",
                  "--http-body", "13"], 60)
    t.eq("server command processes still running after `load` exited", [],
         lt.processes_matching(path))
    j = require_run(t, r, what=f"load against a dribbling server ({mode})")
    t.eq("load.http", {"status": {"200": 150}, "not_2xx_3xx": 0},
         dig(j, "load.http"))
    t.eq("load.requests.completed", 150, dig(j, "load.requests.completed"))
    t.eq("load.errors", {}, dig(j, "load.errors"))
    est = dig(j, "load.connections.established")
    if mode == "close":
        # 3 requests per connection, except on the last (up to 3)
        # connections, cut short when the 150 are done.
        t.check(isinstance(est, int) and 50 <= est <= 52,
                "connections (the server closes after every 3rd reply)",
                "50..52", est)
    else:
        t.eq("connections", 3, est)


# ----------------------------------------------------------------- main

def cases(runner, models):
    for i in range(0, len(models), 2):
        pair = models[i:i + 2]
        runner.run("wrk/" + "+".join(pair), test_wrk, pair,
                   timeout=WRK_SECONDS + 40)
    for m in ("epoll", "thread", "uring"):
        if m in models:
            runner.run(f"raw/{m}", test_raw, m, timeout=40)
            runner.run(f"bad/{m}", test_bad, m, timeout=60)
    runner.run("nginx/load", test_nginx, timeout=150)
    for m in ("epoll", "blocking"):
        if m in models:
            runner.run(f"serve/{m}-requests-2000", test_serve, m,
                       timeout=70)
    runner.run("server-cmd/dribble", test_dribble, "keep", timeout=70)
    runner.run("server-cmd/dribble-close", test_dribble, "close",
               timeout=70)
    if "epoll" in models:
        runner.run("serve/http-body", test_serve_body, timeout=70)
        runner.run("serve/duration", test_serve_duration, timeout=70)


def main():
    args = sbtest.parse_args(__doc__)
    models = list(args.models)
    lt.run_tests("test_http", lambda runner: cases(runner, models))


if __name__ == "__main__":
    main()
