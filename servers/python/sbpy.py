"""sbpy.py - what the four Python models share, so that each model file is
only its waiting loop: the options `sockbench serve` passes (parsed in C
first), the listen socket, the READY line, the echo/rr/sink protocols and
the stats JSON written on SIGTERM/SIGINT (the same keys as the C models,
null where one does not apply).  Standard library only."""

import argparse
import errno
import json
import os
import resource
import signal
import socket
import struct
import sys
import threading


def parse_args():
    p = argparse.ArgumentParser()
    for name in ("model", "bind", "proto", "send", "stats"):
        p.add_argument("--" + name, default="")
    p.add_argument("--on-accept", default="serve",
                   choices=("serve", "close", "reset"))
    p.add_argument("--no-reuseaddr", action="store_true")
    for name in ("port", "backlog", "recv-size", "max-msg", "stats-fd"):
        p.add_argument("--" + name, type=int, default=-1)
    p.add_argument("--pause-accept", action="store_true")
    p.add_argument("--stop-on-eof", action="store_true")
    return p.parse_args()


def stop_on_eof():
    """--stop-on-eof: stdin's end (load --server-host closed the ssh
    channel) is a SIGTERM, as serve's C models take it."""
    def watch():
        while os.read(0, 4096):
            pass
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, daemon=True).start()


def somaxconn():
    # listen(-1) in Python becomes listen(0), and socket.SOMAXCONN is a
    # compile-time constant: the namespace's real limit is in /proc.
    with open("/proc/sys/net/core/somaxconn") as f:
        return int(f.read())


def listen(a):
    """bind and listen as `serve` would: IPv4, IPv6 or unix:/path."""
    if a.bind.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        addr = a.bind[5:]
        if os.path.exists(addr):
            os.unlink(addr)  # a stale file from a run that died
    else:
        fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
        sock = socket.socket(fam, socket.SOCK_STREAM)
        # Python's socket does not set SO_REUSEADDR unless asked (its
        # socketserver does, allow_reuse_address); the C models set it,
        # so these do too unless --no-reuseaddr: without it bind() fails
        # with EADDRINUSE while a connection on the port is in TIME_WAIT.
        if not a.no_reuseaddr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        addr = (a.bind, a.port)
    try:
        sock.bind(addr)
    except OSError as e:  # one line naming the address and the errno
        name = errno.errorcode.get(e.errno, "?")
        where = a.bind if a.bind.startswith("unix:") else (
            f"[{a.bind}]:{a.port}" if ":" in a.bind else f"{a.bind}:{a.port}")
        hint = (" - with --no-reuseaddr even a connection in TIME_WAIT on "
                "the port is enough to refuse bind()"
                if a.no_reuseaddr and e.errno == errno.EADDRINUSE else "")
        print(f"sockbench serve: bind {where}: {e.strerror} ({name}){hint}",
              file=sys.stderr)
        sys.exit(1)
    sock.listen(a.backlog if a.backlog >= 0 else somaxconn())
    return sock


def ready(a, sock):
    """The READY line load waits for; backlog= is what was asked (-1: max)."""
    port = 0 if sock.family == socket.AF_UNIX else sock.getsockname()[1]
    print(f"READY model={a.model} proto={a.proto} addr={a.bind} port={port} "
          f"backlog={a.backlog} pid={os.getpid()}", flush=True)


def effective_backlog(a, sock):
    if sock.family == socket.AF_UNIX:  # no TCP_INFO: the kernel's clamp
        asked = a.backlog if a.backlog >= 0 else somaxconn()
        return min(asked, somaxconn())
    # on a LISTEN socket tcpi_sacked holds the effective backlog
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("I", info, 28)[0]


class Stop(Exception):
    """Raised by the SIGTERM/SIGINT handler: unwinds any blocking call."""


def raise_stop(signum, frame):
    raise Stop()


def pause_accept(a):
    """--pause-accept: listen, but accept nothing until SIGUSR1."""
    if not a.pause_accept:
        return
    resumed = []
    signal.signal(signal.SIGUSR1, lambda s, f: resumed.append(s))
    while not resumed:
        signal.pause()


PATTERN = bytes(range(251))
_replies = {}


def reply(n):
    """rr's reply: byte i is i % 251 (built once per size)."""
    r = _replies.get(n)
    if r is None:
        r = _replies[n] = (PATTERN * (n // 251 + 1))[:n]
    return r


class ProtocolError(Exception):
    pass


def end_on_accept(a, conn, stats, close):
    """--on-accept close|reset: end the connection accept() just returned,
    before a byte is read; counted as accepted and closed (and as
    closed_on_accept or reset_on_accept).  close() is how this model
    closes it.  True when it was ended."""
    if a.on_accept == "serve":
        return False
    if a.on_accept == "reset":
        # SO_LINGER {on, 0}: close() aborts the connection - the kernel
        # sends RST instead of FIN (tcp_disconnect), the client's next
        # recv() raises ConnectionResetError
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    # counted before close(): a client that saw the EOF or RST and then
    # stops us (Stop raised anywhere) finds it counted
    key = "reset_on_accept" if a.on_accept == "reset" else "closed_on_accept"
    stats.add(accepted=1, closed=1, **{key: 1})
    close()  # close: FIN, the client's recv() returns b""
    return True


class Conn:
    """One connection's protocol state: feed() the bytes read, get back
    what to send (echo: them; rr: a reply per complete request; sink: none)."""

    def __init__(self, a, stats):
        self.a, self.st, self.buf = a, stats, bytearray()

    def feed(self, data):
        self.st.add(bytes_in=len(data), recv_calls=1)
        if self.a.proto == "echo":
            self.st.add(requests=1)
            return data
        if self.a.proto == "sink":
            self.st.add(requests=1)
            return b""
        self.buf += data  # rr: 8-byte header (req_len, resp_len), request
        out = []
        while len(self.buf) >= 8:
            req, resp = struct.unpack_from("!II", self.buf)
            if req > self.a.max_msg or resp > self.a.max_msg:
                self.st.add(protocol_errors=1)
                raise ProtocolError()
            if len(self.buf) < 8 + req:
                break
            del self.buf[:8 + req]
            self.st.add(requests=1)
            out.append(reply(resp))
        return b"".join(out)


ZERO = ("accepted closed requests bytes_in bytes_out recv_calls send_calls "
        "short_sends bytes_dropped protocol_errors closed_on_accept "
        "reset_on_accept peer_fin peer_reset").split()
NULLS = ("rejected_max_conns rejected_fd_setsize idle_closed sndbuf_requested "
         "rcvbuf_requested").split()


class Stats:
    """The counters, behind one lock (py-threading shares them)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.n = dict.fromkeys(ZERO, 0)
        self.errors, self.open, self.peak = {}, 0, 0

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                self.n[k] += v

    def opened(self):
        with self.lock:
            self.n["accepted"] += 1
            self.open += 1
            self.peak = max(self.peak, self.open)

    def closed(self):
        with self.lock:
            self.n["closed"] += 1
            self.open -= 1

    def error(self, exc):
        """Count an OSError by errno name (ECONNRESET), else by its class
        (BlockingIOError: sendall on a non-blocking socket)."""
        name = type(exc).__name__
        if isinstance(exc, OSError) and not isinstance(exc, BlockingIOError):
            name = errno.errorcode.get(exc.errno, name)
        with self.lock:
            self.errors[name] = self.errors.get(name, 0) + 1
            # the client reset the connection (ECONNRESET), or a send came
            # after its RST (EPIPE): how it ended, as the C models count it
            if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
                self.n["peer_reset"] += 1

    def write(self, a, sock):
        o = dict(self.n, **dict.fromkeys(NULLS))
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open("/proc/self/status") as f:
            hwm = [int(line.split()[1]) for line in f if line.startswith("VmHWM")]
        probe = socket.socket(sock.family, socket.SOCK_STREAM)
        o.update(model=a.model, proto=a.proto, send=a.send,
                 recv_size=a.recv_size if a.model != "py-asyncio" else None,
                 errors=self.errors, peak_connections=self.peak,
                 cpu_user_s=me.ru_utime + kids.ru_utime,
                 cpu_sys_s=me.ru_stime + kids.ru_stime,
                 max_rss_kib=max(hwm + [kids.ru_maxrss]),
                 backlog_requested=a.backlog,
                 reuseaddr=bool(sock.getsockopt(socket.SOL_SOCKET,
                                                socket.SO_REUSEADDR)),
                 backlog_effective=a.backlog_effective,
                 sndbuf=probe.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
                 rcvbuf=probe.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                 workers=[{"pid": os.getpid(), "accepts": self.n["accepted"],
                           "empty_wakeups": None}])
        probe.close()
        text = json.dumps(o, indent=1, sort_keys=True)
        if a.stats:
            with open(a.stats + ".tmp", "w") as f:
                f.write(text)
            os.replace(a.stats + ".tmp", a.stats)
        if a.stats_fd >= 0:
            os.write(a.stats_fd, text.encode())
        if not a.stats and a.stats_fd < 0:
            print(text, file=sys.stderr)


def run(model, own_pause=False):
    """main() of every model: options, listen, READY, loop until a stop
    signal, stats.  model(a, sock, stats) is the waiting loop; own_pause:
    it waits for --pause-accept's SIGUSR1 itself."""
    a = parse_args()
    stats = Stats()
    sock = listen(a)
    a.backlog_effective = effective_backlog(a, sock)
    signal.signal(signal.SIGTERM, raise_stop)
    signal.signal(signal.SIGINT, raise_stop)
    try:
        # inside the try: a stop may come the moment READY is out (the
        # reader acts on it before print() has returned here)
        ready(a, sock)
        if a.stop_on_eof:
            stop_on_eof()
        if not own_pause:
            pause_accept(a)
        model(a, sock, stats)
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stats.write(a, sock)
    if sock.family == socket.AF_UNIX:
        try:
            os.unlink(a.bind[5:])
        except FileNotFoundError:
            pass
    sock.close()
