"""Helpers for test_hostile.py (python3 stdlib only; builds on sbtest.py
and loadtest.py, which it does not change).

  - the build: which sanitizer runtime a binary carries (sanitizer_of);
  - HServer: a sbtest.Server that counts the connections a test made and
    says how many the server holds now, from /proc (socket fds of all its
    processes other than the listen socket: fork children, prefork
    workers and threads alike);
  - Mem: the server's VmRSS / RssAnon / VmHWM / VmSize (and Pss) summed
    over its processes and per process;
  - client helpers that never block past a deadline: exact reads, read to
    EOF, send-then-shutdown(SHUT_WR)-then-read, send until reset;
  - run_parallel(): inside the private namespace, run one worker process
    per model, a few at a time, print each one's output whole when it
    ends, sum the results and print the measured figures as a matrix.
"""

import ctypes
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadtest as lt  # noqa: E402
import sbtest  # noqa: E402
from sbtest import wait_eof  # noqa: E402

FD_SETSIZE = 1024
# /proc/PID/status figures are the kernel's per-CPU RSS counters, exact
# to within a batch (32 pages) per CPU: comparisons of two readings allow
# that much.
RSS_SLACK_KIB = 32 * 4 * max(2, os.cpu_count() or 2)
FIG_PREFIX = "FIG "  # worker -> scheduler: one measured figure per line


# ------------------------------------------------------------ environment

def sanitizer_of(path):
    """'ASan'/'TSan'/'MSan' when the binary carries that runtime (its
    symbols are in the executable: -fsanitize links it statically or
    references __asan_init), else None."""
    marks = {b"__asan_init": "ASan", b"__tsan_init": "TSan",
             b"__msan_init": "MSan"}
    found = None
    with open(path, "rb") as f:
        tail = b""
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            for mark, name in marks.items():
                if mark in data:
                    found = found or name
            tail = data[-16:]
    return found


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def pdeathsig_kill():
    """preexec_fn: SIGKILL this child when its parent dies (a worker or
    server is never left behind by a killed run)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def fig(model, key, value):
    print(f"{FIG_PREFIX}{model} {key}={value}", flush=True)


# --------------------------------------------------------- server, /proc

class HServer(sbtest.Server):
    """A server that counts the connections this test made to it."""

    def __init__(self, args):
        super().__init__(args, preexec_fn=pdeathsig_kill)
        self.made = 0
        self.listen_inodes = set()

    def start(self):
        super().start()
        # The listen socket(s), made before READY and before any fork:
        # prefork workers and fork children share these inodes.
        self.listen_inodes = socket_inodes(self.ready["pid"])
        return self

    def connect(self, timeout=5.0, rcvbuf=None):
        s = super().connect(timeout=timeout, rcvbuf=rcvbuf)
        self.made += 1
        return s

    def held_by(self, pid):
        """Connections process pid holds now."""
        return sum(1 for ino in socket_inodes(pid, unique=False)
                   if ino not in self.listen_inodes)

    def held(self):
        """Connections the server holds now: socket fds of its processes
        (fork: one per child) other than the listen socket(s)."""
        return sum(self.held_by(pid)
                   for pid in sbtest.group_members(self.ready["pid"]))


def start(t, model, proto, *extra):
    srv = HServer(["--model", model, "--proto", proto] + list(extra))
    try:
        srv.start()
    except sbtest.StartError as e:
        srv.__exit__(None, None, None)
        if model == "uring" and os.environ.get("SOCKBENCH_NO_URING") == "1":
            raise sbtest.Skip(f"uring did not start and SOCKBENCH_NO_URING=1:"
                              f" {e.stderr.strip()}")
        t.fail(str(e))
    return srv


def socket_inodes(pid, unique=True):
    """Inodes of the socket fds of pid (a set, or a list with one entry
    per fd)."""
    out = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set() if unique else out
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            out.append(int(link[8:-1]))
    return set(out) if unique else out


def low_fds(pid):
    """fds below FD_SETSIZE the process has open."""
    return sum(1 for fd in os.listdir(f"/proc/{pid}/fd")
               if int(fd) < FD_SETSIZE)


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "VmHWM", "VmSize"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def proc_pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Mem:
    """The server's memory now: sums over its processes, and per pid."""

    def __init__(self, srv, pss=False):
        self.pid = srv.ready["pid"]
        self.per = {}
        for pid in sbtest.group_members(self.pid):
            st = proc_status(pid)
            if st:
                if pss:
                    st["Pss"] = proc_pss(pid)
                self.per[pid] = st
        self.n = len(self.per)

    def total(self, key):
        return sum(v.get(key, 0) for v in self.per.values())

    def main(self, key):
        return self.per.get(self.pid, {}).get(key, 0)

    def children(self, key):
        return [v.get(key, 0) for p, v in self.per.items() if p != self.pid]


def wait_held(srv, n, timeout):
    deadline = time.monotonic() + timeout
    while True:
        h = srv.held()
        if h == n or time.monotonic() > deadline:
            return h
        time.sleep(0.02)


def stop(t, srv, timeout=10.0):
    return sbtest.stop_server(t, srv, signal.SIGINT, timeout)


def require_alive(t, srv, after):
    t.require(srv.alive(), f"server exited after {after}: status "
              f"{srv.proc.poll()}, stderr={srv.stderr()[-1500:]!r}")



# ------------------------------------------------------- client helpers

recv_exact = sbtest.recv_exact
read_to_end = sbtest.read_to_end


def send_shut_read(s, out, timeout):
    """Send all of out while reading, shutdown(SHUT_WR) once it has all
    gone, then read until the server closes.  Returns (data, how)."""
    s.setblocking(False)
    deadline = time.monotonic() + timeout
    sent, chunks, shut = 0, [], False
    view = memoryview(out)
    try:
        while True:
            if sent == len(out) and not shut:
                s.shutdown(socket.SHUT_WR)
                shut = True
            left = deadline - time.monotonic()
            if left <= 0:
                return b"".join(chunks), "timeout"
            r, w, _ = select.select([s], [] if shut else [s], [], left)
            if r:
                try:
                    d = s.recv(1 << 20)
                except BlockingIOError:
                    d = None
                except (ConnectionResetError, BrokenPipeError):
                    return b"".join(chunks), "reset"
                if d == b"":
                    return b"".join(chunks), "eof"
                if d:
                    chunks.append(d)
            if w and not shut:
                try:
                    sent += s.send(view[sent:sent + 65536])
                except BlockingIOError:
                    pass
    finally:
        s.setblocking(True)


send_tolerant = sbtest.send_tolerant
closed_now = sbtest.closed_now


def expect_closed(t, s, what, timeout=3.0):
    how, secs = wait_eof(s, timeout)
    t.check(how in ("eof", "reset"), what,
            f"closed by the server within {timeout:.0f} s (EOF or reset)",
            f"{how} after {secs:.2f}s")
    return how


# Normal requests: (out, reply) per protocol, and what the server counts
# for one: requests, bytes_in, bytes_out.

# ------------------------------------------------------ parallel workers

class Job:
    def __init__(self, model, argv):
        self.model = model
        self.lines = []
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, preexec_fn=pdeathsig_kill)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def result(self):
        passed = failed = None
        for line in self.lines:
            m = lt.FINAL_RE.match(line)
            if m:
                passed, failed = int(m.group(1)), int(m.group(2))
        return passed, failed


def netns_setup():
    if not sbtest.ARGS.host_netns_ino or \
            lt.netns_ino() == sbtest.ARGS.host_netns_ino:
        return "not in a private network namespace"
    r = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True,
                       text=True, timeout=5)
    if r.returncode != 0:
        return f"ip link set lo up: {r.stderr.strip()}"
    # This namespace's values only: the host's are never written.
    for name, value in (("net/ipv4/ip_local_port_range", "1024 65535"),
                        ("net/core/somaxconn", "65535"),
                        ("net/ipv4/tcp_max_syn_backlog", "65535")):
        with open(f"/proc/sys/{name}", "w") as f:
            f.write(value)
    return None


def run_parallel(script, args, models, order, preface, cols):
    """Inside the private namespace: run `script --worker MODEL` for each
    of `models` (in `order`), args.jobs at a time; print each
    worker's output whole when it ends, then the figures (FIG lines) as a
    matrix with `cols` [(key, heading)], then the summed result line.
    Exits."""
    lt.become_subreaper()
    err = netns_setup()
    if err:
        print(f"FAIL {err}")
        print("0 passed, 1 failed", flush=True)
        sys.exit(1)
    for line in preface:
        print(f"# {line}", flush=True)
    todo = [m for m in order if m in models]
    if not todo:
        print("no test selected")
        print("0 passed, 1 failed", flush=True)
        sys.exit(1)
    running, done = [], []
    passed = failed = 0
    deadline = time.monotonic() + args.budget
    t_start = time.monotonic()
    try:
        while todo or running:
            while todo and len(running) < args.jobs:
                m = todo.pop(0)
                argv = [sys.executable, os.path.abspath(script),
                        "--worker", m, "--bin", sbtest.BIN,
                        "--seed", str(args.seed)]
                if args.pattern:
                    argv += ["-k", args.pattern]
                running.append(Job(m, argv))
                print(f"# [{m}] started", flush=True)
            time.sleep(0.1)
            for j in list(running):
                if j.proc.poll() is None:
                    if time.monotonic() < deadline:
                        continue
                    j.lines.append(f"FAIL {j.model}: still running after the "
                                   f"{args.budget:.0f} s budget: killed")
                    j.proc.kill()
                    j.proc.wait()
                j.reader.join(timeout=5)
                running.remove(j)
                done.append(j)
                j.took = time.monotonic() - j.t0
                print(f"# ---- [{j.model}] {j.took:.1f} s ----", flush=True)
                for line in j.lines:
                    if not line.startswith(FIG_PREFIX):
                        print(f"[{j.model}] {line}", flush=True)
                p, f = j.result()
                if p is None:
                    print(f"FAIL [{j.model}] worker exited "
                          f"{j.proc.returncode} without a result line",
                          flush=True)
                    failed += 1
                else:
                    passed += p
                    failed += f
                    if j.proc.returncode != 0 and f == 0:
                        print(f"FAIL [{j.model}] worker exited "
                              f"{j.proc.returncode} with no failed test")
                        failed += 1
    finally:
        for j in running:
            if j.proc.poll() is None:
                j.proc.kill()
                j.proc.wait()
        left = lt.reap_orphans()
        if left:
            print(f"FAIL processes left behind (killed): {left}")
            failed += 1
    print_matrix(done, order, cols)
    print(f"# wall time {time.monotonic() - t_start:.1f} s", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


def print_matrix(done, order, cols):
    rows = []
    for j in sorted(done, key=lambda j: order.index(j.model)):
        figs = {}
        for line in j.lines:
            if line.startswith(FIG_PREFIX):
                _, _, kv = line.split(" ", 2)
                k, _, v = kv.partition("=")
                figs[k] = v
        rows.append([j.model] + [figs.get(k, "-") for k, _ in cols] +
                    [f"{j.took:.0f}"])
    head = ["model"] + [h for _, h in cols] + ["secs"]
    widths = [max(len(str(r[i])) for r in rows + [head])
              for i in range(len(head))]
    print("# matrix:")
    for r in [head] + rows:
        print("#  " + "  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
