"""Shared helpers for the sockbench integration tests (python3 stdlib only).

What lives here:
  - argument parsing common to every test file (--bin, --models, --protos,
    -k, --seed) and a tiny test runner that prints expected vs actual and a
    final line "N passed, M failed";
  - Server: start `sockbench serve`, read its READY line with a timeout, stop
    it with a signal and read the stats JSON; always killed in a finally;
  - client helpers: connect, rr request framing, a send+receive loop that
    never blocks past a deadline, an orderly close that waits for the
    server's close.

Nothing here can hang: every socket has a timeout, every wait has a
deadline, and a watchdog kills every server and exits if a test overruns.
"""

import argparse
import atexit
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

MODELS = ["blocking", "fork", "thread", "prefork", "poll", "select", "epoll",
          "libevent", "uring"]
PROTOS = ["echo", "rr", "sink"]

# Every key the stats JSON must carry (SPEC section 2 + the lead's contract).
STATS_KEYS = {
    "accepted": int, "closed": int, "rejected_max_conns": int,
    "requests": int, "bytes_in": int, "bytes_out": int, "recv_calls": int,
    "send_calls": int, "short_sends": int, "bytes_dropped": int,
    "protocol_errors": int, "errors": dict, "peak_connections": int,
    "cpu_user_s": (int, float), "cpu_sys_s": (int, float),
    "max_rss_kib": int, "backlog_requested": int, "backlog_effective": int,
    "sndbuf": int, "rcvbuf": int, "model": str, "proto": str, "send": str,
    "recv_size": int,
}

READY_RE = re.compile(
    r"^READY model=(?P<model>\S+) proto=(?P<proto>\S+) addr=(?P<addr>\S+) "
    r"port=(?P<port>\d+) backlog=(?P<backlog>-?\d+) pid=(?P<pid>\d+)$")

BIN = None          # path of the sockbench binary, set by parse_args()
ARGS = None         # parsed arguments
SOCK_TIMEOUT = 20.0  # default timeout of every client socket

socket.setdefaulttimeout(SOCK_TIMEOUT)  # safety net for any socket we forget

_LIVE = set()       # Popen objects of servers still running
_LIVE_LOCK = threading.Lock()


# ---------------------------------------------------------------- failures

class Skip(Exception):
    """Raised by a test to mark itself skipped (counted separately)."""


class TestFailure(AssertionError):
    """A hard failure: stop this test now."""


class T:
    """Per-test check collector. Soft checks record and continue, so one run
    reports every mismatch; fail() stops the test."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def _record(self, msg):
        self.failures.append(msg)
        print(f"    FAIL: {msg}", flush=True)

    def eq(self, what, expected, actual):
        if expected != actual:
            self._record(f"{what}: expected {expected!r}, actual {actual!r}")
            return False
        return True

    def check(self, cond, what, expected, actual):
        if not cond:
            self._record(f"{what}: expected {expected}, actual {actual!r}")
            return False
        return True

    def fail(self, msg):
        self._record(msg)
        raise TestFailure(msg)

    def require(self, cond, msg):
        if not cond:
            self.fail(msg)

    def note(self, msg):
        print(f"    note: {msg}", flush=True)


# ------------------------------------------------------------------ runner

def default_bin():
    env = os.environ.get("SOCKBENCH_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build",
                                         "sockbench"))


def _csv(allowed):
    def parse(text):
        items = [x for x in text.split(",") if x]
        bad = [x for x in items if x not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(
                f"unknown {bad}; allowed: {','.join(allowed)}")
        return items
    return parse


def parse_args(description, extra=None, argv=None):
    """Common options. `extra(parser)` may add file-specific ones."""
    global BIN, ARGS
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bin", default=default_bin(),
                   help="sockbench binary (default: $SOCKBENCH_BIN or "
                        "build/sockbench)")
    p.add_argument("--models", type=_csv(MODELS), default=list(MODELS),
                   help="comma list of models to test")
    p.add_argument("--protos", type=_csv(PROTOS), default=list(PROTOS),
                   help="comma list of protocols to test")
    p.add_argument("-k", dest="pattern", default=None,
                   help="run only tests whose name contains this")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (printed at start)")
    if extra:
        extra(p)
    ARGS = p.parse_args(argv)
    BIN = os.path.abspath(ARGS.bin)
    if ARGS.seed is None:
        ARGS.seed = int.from_bytes(os.urandom(4), "big")
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        print(f"sockbench binary not found or not executable: {BIN}")
        print("0 passed, 1 failed")
        sys.exit(1)
    return ARGS


def in_private_mount_namespace(script, env_name):
    """Re-execute `script` (with this process's arguments) under `unshare -m
    --propagation private` unless already there; return only inside it.
    env_name carries the host's mount namespace to the copy, which checks
    that it really left it (else a failed result line and exit 1)."""
    if not os.environ.get(env_name):
        sys.stdout.flush()
        env = dict(os.environ, **{env_name: os.readlink("/proc/self/ns/mnt")})
        cmd = ["unshare", "-m", "--propagation", "private", sys.executable,
               os.path.abspath(script)] + sys.argv[1:]
        try:
            os.execvpe("unshare", cmd, env)
        except OSError as e:
            print(f"FAIL cannot run `unshare -m`: {e}")
            print("0 passed, 1 failed")
            sys.exit(1)
    if os.readlink("/proc/self/ns/mnt") == os.environ[env_name]:
        print("FAIL still in the host's mount namespace after `unshare -m`")
        print("0 passed, 1 failed")
        sys.exit(1)


def readable_copy(files):
    """{relative path: source} copied into a new directory that every user
    can read (mode 755, under /tmp), for tests that drop privileges: the
    checkout may sit under a home of mode 700 (/root/project), where user
    nobody can run nothing.  Returns the directory (the caller removes it)."""
    d = tempfile.mkdtemp(prefix="sbreadable-")
    os.chmod(d, 0o755)
    for rel, src in files.items():
        dst = os.path.join(d, rel)
        os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    for root, dirs, names in os.walk(d):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
        for x in names:
            m = os.stat(os.path.join(root, x)).st_mode
            os.chmod(os.path.join(root, x), 0o755 if m & 0o111 else 0o644)
    return d


def kill_all_servers():
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _killpg(proc)


def _killpg(proc):
    # Each server is started in its own session: its process group holds
    # it and its fork/prefork children, and nothing else.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


# --------------------------------------------------------------- processes
# For the tests that run sockbench (or a helper) as a plain command rather
# than through Server: start it in its own session, wait with a deadline,
# kill its whole group on a timeout.

def track(proc):
    """Let kill_all_servers() (end of every test, watchdog) kill this
    process group too."""
    with _LIVE_LOCK:
        _LIVE.add(proc)


def untrack(proc):
    with _LIVE_LOCK:
        _LIVE.discard(proc)


def killpg(proc, live=None):
    """SIGKILL proc's process group, reap proc, stop tracking it (in
    _LIVE and in the caller's own set `live`, if given)."""
    _killpg(proc)
    untrack(proc)
    if live is not None:
        live.discard(proc)


def make_tmpdir(prefix, registry, mode=None):
    """A new directory under /tmp, appended to `registry` (the caller
    removes every one at the end); chmod'ed to `mode` if given."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    if mode is not None:
        os.chmod(d, mode)
    registry.append(d)
    return d


class Result:
    """What a finished command did.  show() keeps the last out_tail bytes
    of stdout and err_tail of stderr (a subclass may change them)."""
    out_tail = 1000
    err_tail = 1500
    show_elapsed = True

    def __init__(self, cmd, rc, out, err, elapsed, timed_out):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err
        self.elapsed, self.timed_out = elapsed, timed_out

    def show(self):
        took = f" after {self.elapsed:.1f}s" if self.show_elapsed else ""
        return (f"`{' '.join(self.cmd)}` exit={self.rc}{took} "
                f"stdout={self.out[-self.out_tail:]!r} "
                f"stderr={self.err[-self.err_tail:]!r}")

    def err_lines(self):
        return [ln for ln in self.err.splitlines() if ln.strip()]


def start_proc(cmd, env=None, cwd=None, live=None):
    """Popen cmd in a session of its own, stdin /dev/null, stdout and
    stderr piped; tracked (the watchdog kills it if a test overruns) and
    added to the caller's set `live` if given."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env=env, cwd=cwd)
    proc.t0 = time.monotonic()
    proc.cmd = cmd
    if live is not None:
        live.add(proc)
    track(proc)
    return proc


def finish_proc(proc, timeout, term_wait=5, result=Result, live=None):
    """Wait for a start_proc()ed process, at most `timeout` s since its start.
    On timeout: SIGTERM first (a sweep then stops its run, a process group
    of its own which a SIGKILL of the sweep's group would not reach), then
    after term_wait s SIGKILL the group, and every descendant seen at the
    timeout.  term_wait=None: SIGKILL the group at once."""
    timed_out = False
    left = max(0.1, timeout - (time.monotonic() - proc.t0))
    try:
        out, err = proc.communicate(timeout=left)
    except subprocess.TimeoutExpired:
        timed_out = True
        if term_wait is None:
            killpg(proc, live)
            out, err = proc.communicate(timeout=5)
        else:
            kids = descendants(proc.pid)
            proc.send_signal(signal.SIGTERM)
            try:
                out, err = proc.communicate(timeout=term_wait)
            except subprocess.TimeoutExpired:
                killpg(proc, live)
                out, err = proc.communicate(timeout=5)
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    if live is not None:
        live.discard(proc)
    untrack(proc)
    return result(proc.cmd, proc.returncode, out.decode(errors="replace"),
                  err.decode(errors="replace"), time.monotonic() - proc.t0,
                  timed_out)


def run_proc(cmd, timeout, env=None, cwd=None, **kw):
    """start_proc() then finish_proc(); keyword arguments go to
    finish_proc()."""
    return finish_proc(start_proc(cmd, env=env, cwd=cwd, live=kw.get("live")),
                       timeout, **kw)


FAULTSRV = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "faultsrv.py")


def faultsrv_cmd(d, faults):
    """A --server-cmd running a copy of faultsrv.py in directory d (its
    path marks the server's processes) with the faults file d/faults.json
    ({backlog: fault}, see faultsrv.py; {} serves every cell):
    (command, script path, faults file)."""
    srv = os.path.join(d, "faultsrv.py")
    shutil.copy(FAULTSRV, srv)
    ffile = os.path.join(d, "faults.json")
    with open(ffile, "w") as f:
        json.dump(faults, f)
    return f"{sys.executable} {srv} {{port}} {{backlog}} {ffile}", srv, ffile


def proc_ppid_state(pid):
    """(ppid, state) of a process from /proc, or (None, None)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), fields[0]
    except (OSError, IndexError, ValueError):
        return None, None


def argv_of(pid):
    """A process's argv as text ([] once it has gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace")
                    for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return []


def cmdline(pid):
    """A process's argv joined by spaces ("" once it has gone)."""
    return " ".join(argv_of(pid))


def processes_with(marker, zombies=False):
    """pids (not this process) with an argv word that contains marker;
    zombies (exited, not yet reaped) only when asked for."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        if any(marker in a for a in argv_of(int(name))):
            _, state = proc_ppid_state(int(name))
            if state and (zombies or state != "Z"):
                out.append(int(name))
    return out


def check_no_leftovers(t, marker, what, zombies=False):
    """Processes marked by marker must be gone within 2 s: any left is
    recorded as a failure (pid and command line), then SIGKILLed."""
    deadline = time.monotonic() + 2.0
    while True:
        left = processes_with(marker, zombies)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    t.eq(what, [], [(p, cmdline(p)[:120]) for p in left])
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def descendants(root):
    """[pid] of every process below root (children first found first)."""
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            ppid, _ = proc_ppid_state(int(name))
            if ppid is not None:
                kids.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


class Runner:
    def __init__(self, title):
        self.title = title
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failed_names = []
        print(f"# {title}  bin={BIN}  seed={ARGS.seed}", flush=True)

    def run(self, name, fn, *args, timeout=60.0):
        if ARGS.pattern and ARGS.pattern not in name:
            return
        t = T(name)
        print(f"RUN  {name}", flush=True)
        start = time.monotonic()
        timer = threading.Timer(timeout, self._overrun, (name, timeout))
        timer.daemon = True
        timer.start()
        status = "PASS"
        try:
            fn(t, *args)
        except Skip as e:
            status = "SKIP"
            print(f"    skipped: {e}", flush=True)
        except TestFailure:
            pass
        except Exception as e:  # noqa: BLE001 - any error fails the test
            t.failures.append(f"{type(e).__name__}: {e}")
            print(f"    ERROR: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stdout)
        finally:
            timer.cancel()
            kill_all_servers()
        if status != "SKIP" and t.failures:
            status = "FAIL"
        took = time.monotonic() - start
        print(f"{status} {name} ({took:.1f}s)", flush=True)
        if status == "PASS":
            self.passed += 1
        elif status == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1
            self.failed_names.append(name)

    def _overrun(self, name, timeout):
        print(f"FAIL {name}: test still running after {timeout:.0f}s "
              f"(watchdog): killing every server and exiting", flush=True)
        kill_all_servers()
        self.failed += 1
        self.failed_names.append(name)
        self.finish(_exit=os._exit)

    def finish(self, extra_passed=0, extra_failed=0, _exit=sys.exit):
        passed = self.passed + extra_passed
        failed = self.failed + extra_failed
        if self.failed_names:
            print("failed: " + ", ".join(self.failed_names))
        if self.skipped:
            print(f"{self.skipped} skipped")
        if passed + failed == 0:
            print("no test selected")
            failed = 1
        print(f"{passed} passed, {failed} failed", flush=True)
        _exit(1 if failed else 0)


# ------------------------------------------------------------------ server

class StartError(Exception):
    def __init__(self, cmd, rc, stdout, stderr):
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr
        super().__init__(
            f"server did not become READY: `{' '.join(cmd)}` "
            f"exit={rc} stdout={stdout!r} stderr={stderr!r}")


class StopError(Exception):
    pass


def _drain(fd, sink):
    """Read fd until EOF into the list sink (runs in a thread)."""
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            sink.append(data)
    except OSError:
        pass


def read_line(fd, timeout):
    """Read one line from fd within timeout. Returns (line_bytes, rest,
    eof). line is None on timeout or EOF before a newline."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, buf, False
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        data = os.read(fd, 4096)
        if not data:
            return None, buf, True
        buf += data
    line, rest = buf.split(b"\n", 1)
    return line, rest, False


# Each Server's directory (its --stats file): removed by __exit__, and at
# the latest when the test process ends (a server used without `with`
# left one in /tmp per run).
_SERVER_TMPDIRS = []


@atexit.register
def _remove_server_tmpdirs():
    for d in _SERVER_TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


class Server:
    """One `sockbench serve` process. Use as a context manager:

        with Server(["--model", "epoll", "--proto", "rr"]) as srv:
            s = srv.connect()
            ...
            stats = srv.stop()
    """

    def __init__(self, args, ready_timeout=5.0, stats=True, env=None,
                 preexec_fn=None):
        self.args = list(args)
        if "--port" not in self.args and not any(
                a.startswith("unix:") for a in self.args):
            self.args += ["--port", "0"]
        self.ready_timeout = ready_timeout
        self.env = env
        self.preexec_fn = preexec_fn
        self.stats_path = None
        self.tmpdir = None
        if stats:
            self.tmpdir = tempfile.mkdtemp(prefix="sbtest-")
            _SERVER_TMPDIRS.append(self.tmpdir)
            self.stats_path = os.path.join(self.tmpdir, "stats.json")
            self.args += ["--stats", self.stats_path]
        self.cmd = [BIN, "serve"] + self.args
        self.proc = None
        self.ready = None          # dict of READY fields
        self.ready_line = None
        self.extra_stdout = []
        self.stderr_chunks = []
        self.rc = None
        self._threads = []

    # -- lifecycle
    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        if self.tmpdir:
            for name in os.listdir(self.tmpdir):
                try:
                    os.unlink(os.path.join(self.tmpdir, name))
                except OSError:
                    pass
            try:
                os.rmdir(self.tmpdir)
            except OSError:
                pass
        return False

    def start(self):
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, env=self.env,
            preexec_fn=self.preexec_fn)
        with _LIVE_LOCK:
            _LIVE.add(self.proc)
        t = threading.Thread(target=_drain,
                             args=(self.proc.stderr.fileno(),
                                   self.stderr_chunks), daemon=True)
        t.start()
        self._threads.append(t)
        line, rest, eof = read_line(self.proc.stdout.fileno(),
                                    self.ready_timeout)
        if line is None:
            if not eof:
                self.kill()
            else:
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.kill()
            t.join(timeout=2)
            raise StartError(self.cmd, self.proc.poll(),
                             rest.decode(errors="replace"), self.stderr())
        if rest:
            self.extra_stdout.append(rest)
        t2 = threading.Thread(target=_drain,
                              args=(self.proc.stdout.fileno(),
                                    self.extra_stdout), daemon=True)
        t2.start()
        self._threads.append(t2)
        self.ready_line = line.decode(errors="replace")
        m = READY_RE.match(self.ready_line)
        if not m:
            self.kill()
            raise StartError(self.cmd, None, self.ready_line,
                             self.stderr() + "  [READY line does not match "
                             "the contract format]")
        self.ready = m.groupdict()
        self.ready["port"] = int(self.ready["port"])
        self.ready["pid"] = int(self.ready["pid"])
        self.ready["backlog"] = int(self.ready["backlog"])
        return self

    def kill(self):
        if self.proc is None:
            return
        _killpg(self.proc)
        with _LIVE_LOCK:
            _LIVE.discard(self.proc)
        for t in self._threads:
            t.join(timeout=2)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stderr(self):
        return b"".join(self.stderr_chunks).decode(errors="replace")

    def stdout_after_ready(self):
        return b"".join(self.extra_stdout).decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Signal the server, wait for its exit, return the stats dict.
        Raises StopError (with the details) if it does not exit in time,
        exits non-zero, or writes no valid stats."""
        if self.proc.poll() is not None:
            raise StopError(f"server had already exited with status "
                            f"{self.proc.returncode} before the stop signal;"
                            f" stderr={self.stderr()!r}")
        t0 = time.monotonic()
        os.kill(self.proc.pid, sig)
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise StopError(f"server did not exit within {timeout}s after "
                            f"{signal.Signals(sig).name}; stderr="
                            f"{self.stderr()[-2000:]!r}")
        self.exit_time = time.monotonic() - t0
        leftovers = self.wait_group_empty(2.0)
        for t in self._threads:
            t.join(timeout=2)
        with _LIVE_LOCK:
            _LIVE.discard(self.proc)
        if leftovers:
            _killpg(self.proc)
            raise StopError(f"processes of the server's group still alive "
                            f"2s after the server exited: {leftovers}")
        if self.rc != 0:
            raise StopError(f"exit status after {signal.Signals(sig).name}: "
                            f"expected 0, actual {self.rc}; stderr="
                            f"{self.stderr()[-2000:]!r}")
        return self.read_stats()

    def read_stats(self):
        if self.stats_path is None:
            text = self.stderr()
            where = "stderr"
        else:
            where = self.stats_path
            try:
                with open(self.stats_path) as f:
                    text = f.read()
            except OSError as e:
                raise StopError(f"stats file {where} not written: {e}; "
                                f"stderr={self.stderr()[-2000:]!r}")
        try:
            stats = json.loads(text)
        except ValueError as e:
            raise StopError(f"stats in {where} are not valid JSON ({e}): "
                            f"{text[:2000]!r}")
        if not isinstance(stats, dict):
            raise StopError(f"stats in {where} are not a JSON object: "
                            f"{text[:500]!r}")
        return stats

    def wait_group_empty(self, timeout):
        """Wait until no process of the server's process group is left;
        return the pids still there at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            pids = group_members(self.proc.pid)
            if not pids or time.monotonic() > deadline:
                return pids
            time.sleep(0.05)

    # -- addressing
    @property
    def port(self):
        return self.ready["port"]

    def family_addr(self):
        addr = self.ready["addr"]
        if addr.startswith("unix:"):
            return socket.AF_UNIX, addr[len("unix:"):]
        if ":" in addr:
            return socket.AF_INET6, (addr, self.port)
        return socket.AF_INET, (addr, self.port)

    def connect(self, timeout=SOCK_TIMEOUT, rcvbuf=None):
        fam, addr = self.family_addr()
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            s.connect(addr)
        except BaseException:
            s.close()
            raise
        return s


def group_members(pgid, live_only=False):
    """[pid] of the processes of group pgid; live_only: not zombies."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # fields after the ")" of comm: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and not (live_only and fields[0] == "Z"):
            pids.append(int(name))
    return pids


def start_server(t, args, model=None):
    """Start a server inside a test; a failure to start fails the test,
    except uring refused by the kernel with SOCKBENCH_NO_URING=1 set."""
    srv = Server(args)
    try:
        srv.start()
    except StartError as e:
        srv.__exit__(None, None, None)
        if model == "uring" and os.environ.get("SOCKBENCH_NO_URING") == "1":
            raise Skip(f"uring did not start and SOCKBENCH_NO_URING=1: "
                       f"{e.stderr.strip()}")
        t.fail(str(e))
    return srv


def stop_server(t, srv, sig=signal.SIGTERM, timeout=5.0):
    try:
        return srv.stop(sig, timeout)
    except StopError as e:
        t.fail(str(e))


# ------------------------------------------------------------- protocols

_PAT = b""


def pattern(n):
    """The rr reply of length n: byte i is i % 251."""
    global _PAT
    if len(_PAT) < n:
        base = bytes(range(251))
        _PAT = base * (n // 251 + 1)
    return _PAT[:n]


def rr_request(req_len, resp_len, payload=None):
    if payload is None:
        payload = b"\x5a" * req_len
    return struct.pack(">II", req_len, resp_len) + payload


class PeerClosed(Exception):
    def __init__(self, msg, data):
        super().__init__(msg)
        self.data = data


def transfer(sock, out, in_len, timeout=SOCK_TIMEOUT):
    """Send all of `out` while receiving exactly `in_len` bytes, without
    ever blocking past `timeout` seconds in total. Returns the bytes
    received. Raises PeerClosed on EOF, TimeoutError on timeout, OSError
    (e.g. ConnectionResetError) as the socket does."""
    old = sock.gettimeout()
    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    view = memoryview(out)
    sent = 0
    chunks = []
    got = 0
    p = select.poll()
    fd = sock.fileno()
    try:
        while sent < len(out) or got < in_len:
            mask = 0
            if sent < len(out):
                mask |= select.POLLOUT
            if got < in_len:
                mask |= select.POLLIN
            p.register(fd, mask)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"timed out after {timeout}s: sent {sent}/{len(out)} "
                    f"bytes, received {got}/{in_len} bytes")
            events = p.poll(left * 1000)
            for _, ev in events:
                if ev & (select.POLLIN | select.POLLHUP | select.POLLERR) \
                        and got < in_len:
                    try:
                        data = sock.recv(min(in_len - got, 1 << 20))
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        raise PeerClosed(
                            f"connection closed by peer: sent {sent}/"
                            f"{len(out)} bytes, received {got}/{in_len}",
                            b"".join(chunks))
                    if data:
                        chunks.append(data)
                        got += len(data)
                if ev & select.POLLOUT and sent < len(out):
                    try:
                        sent += sock.send(view[sent:sent + (1 << 20)])
                    except BlockingIOError:
                        pass
                if ev & select.POLLERR and not (ev & select.POLLIN):
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
        return b"".join(chunks)
    finally:
        sock.settimeout(old)


def finish(sock, timeout=SOCK_TIMEOUT):
    """Orderly close: shut our side, wait for the server to close its side
    (recv returns b''), close. Returns any unexpected bytes received.
    Raises TimeoutError if the server keeps the connection open."""
    extra = []
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"server did not close the connection within {timeout}s "
                    f"after our shutdown(SHUT_WR)")
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            extra.append(data)
    finally:
        sock.close()
    return b"".join(extra)


def reset_close(sock):
    """Close with SO_LINGER {1, 0}: the kernel sends RST."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def send_tolerant(s, data, timeout):
    """Send what the server takes until it closes on us (EPIPE/RST are the
    expected end here: a server that has answered and closed may reset us
    halfway).  Returns the number of bytes sent."""
    s.setblocking(False)
    sent = 0
    deadline = time.monotonic() + timeout
    try:
        while sent < len(data) and time.monotonic() < deadline:
            _, w, _ = select.select([], [s], [], 0.1)
            if not w:
                continue
            try:
                sent += s.send(data[sent:sent + 65536])
            except BlockingIOError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                break
    finally:
        s.setblocking(True)
    return sent


def closed_now(s):
    """True if the server closed s (EOF or reset is pending)."""
    p = select.poll()   # not select(): client fds go past 1024 here
    p.register(s.fileno(), select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except BlockingIOError:
        return False


def wait_eof(sock, timeout):
    """Wait for the server to close: returns ('eof'|'reset'|'data'|
    'timeout', seconds waited)."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout", time.monotonic() - t0
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return "reset", time.monotonic() - t0
        if not data:
            return "eof", time.monotonic() - t0
        return "data", time.monotonic() - t0


# ----------------------------------------------------------- kernel view

def listen_queue(port, path="/proc/net/tcp"):
    """Accept-queue length of the LISTEN socket on port, read from
    /proc/net/tcp{,6} (a listener's rx_queue is its queue), or None."""
    for p in (path, path + "6") if path.endswith("tcp") else (path,):
        try:
            with open(p) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, st, queues = fields[1], fields[3], fields[4]
            if st == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return int(queues.split(":")[1], 16)
    return None


def wait_accept_queue_empty(port, timeout):
    deadline = time.monotonic() + timeout
    while True:
        q = listen_queue(port)
        if q == 0 or time.monotonic() > deadline:
            return q
        time.sleep(0.02)


def expected_sockbuf(opt, value):
    """What getsockopt returns after setsockopt(opt, value) on this kernel."""
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, opt, value)
        return s.getsockopt(socket.SOL_SOCKET, opt)
    finally:
        s.close()


def somaxconn():
    with open("/proc/sys/net/core/somaxconn") as f:
        return int(f.read())


def check_stats_shape(t, stats, model=None, proto=None):
    """Every contract key present with the right JSON type."""
    for key, typ in STATS_KEYS.items():
        if key not in stats:
            t._record(f"stats key {key!r}: expected present, actual missing "
                      f"(keys: {sorted(stats)})")
            continue
        v = stats[key]
        if isinstance(v, bool) or not isinstance(v, typ):
            t._record(f"stats key {key!r}: expected type {typ}, actual "
                      f"{v!r}")
    if isinstance(stats.get("errors"), dict):
        for k, v in stats["errors"].items():
            t.check(re.match(r"^E[A-Z0-9]+$", k) and isinstance(v, int),
                    "stats errors entry", "errno name -> int", (k, v))
    if model is not None:
        t.eq("stats model", model, stats.get("model"))
    if proto is not None:
        t.eq("stats proto", proto, stats.get("proto"))
    if model == "prefork":
        w = stats.get("workers")
        if t.check(isinstance(w, list) and len(w) > 0, "stats workers",
                   "non-empty list", w):
            for item in w:
                t.check(isinstance(item, dict) and all(
                    isinstance(item.get(k), int)
                    for k in ("pid", "accepts", "empty_wakeups")),
                    "stats workers item", "{pid, accepts, empty_wakeups} "
                    "ints", item)
    if model == "select":
        t.check(isinstance(stats.get("rejected_fd_setsize"), int),
                "stats rejected_fd_setsize", "int", stats.get(
                    "rejected_fd_setsize"))


def nproc():
    return len(os.sched_getaffinity(0))


# ---------------------------------------------------------- test files

def dig(obj, *keys):
    """obj[k1][k2]...; None where a level is missing or not a dict."""
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def load_json(t, path, what="a readable JSON file"):
    """The parsed JSON file at path; a hard failure if it cannot be read
    or parsed ("{path}: expected {what}, actual {error}")."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        t.fail(f"{path}: expected {what}, actual {e}")


def run_cmd(cmd, timeout, cwd=None):
    """Run cmd (run_proc: its own session, stdin /dev/null, tracked; its
    group SIGKILLed on timeout): (rc, stdout, stderr, seconds). rc is
    'timeout' if it was still running after `timeout` s."""
    r = run_proc(cmd, timeout, cwd=cwd, term_wait=None)
    return ("timeout" if r.timed_out else r.rc), r.out, r.err, r.elapsed


def require_root(script, why):
    """Unless root: say so, print a failed result line and exit 1."""
    if os.geteuid() != 0:
        print(f"{script} needs root ({why})")
        print("0 passed, 1 failed")
        sys.exit(1)


def run_timed(runner, cases, cleanup):
    """cases(runner), then cleanup() whatever happened; then "# took Ns"
    and the result line (runner.finish())."""
    t0 = time.monotonic()
    try:
        cases(runner)
    finally:
        cleanup()
    print(f"# took {time.monotonic() - t0:.1f}s", flush=True)
    runner.finish()


# --------------------------------------------------- private namespace

FINAL_RE = re.compile(r"^(\d+) passed, (\d+) failed$")


def netns_ino():
    return os.stat("/proc/self/ns/net").st_ino


def add_netns_args(p):
    p.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--host-netns-ino", type=int, default=0,
                   help=argparse.SUPPRESS)


def netns_run(script, total_timeout=None, header="", final_prefix=""):
    """Re-execute `script` (with this process's arguments) inside
    `unshare -n` and print its output, its result line behind
    final_prefix; killed after total_timeout s if given. Returns (passed,
    failed, whole): whole is False when the run ended without a result
    line or exited non-zero with no failed test (counted as one more
    failure, already printed), and its result line cannot be trusted."""
    cmd = ["unshare", "-n", sys.executable, os.path.abspath(script),
           "--in-netns", "--host-netns-ino", str(netns_ino())] + sys.argv[1:]
    print(f"# {header}running in a private network namespace: "
          f"{' '.join(cmd)}", flush=True)
    passed = failed = 0
    got_final = False
    rc = None
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    except OSError as e:
        print(f"FAIL cannot run unshare: {e}")
        print("0 passed, 1 failed")
        sys.exit(1)
    killer = None
    try:
        if total_timeout is not None:
            killer = threading.Timer(total_timeout, proc.kill)
            killer.daemon = True
            killer.start()
        for line in proc.stdout:
            line = line.rstrip("\n")
            m = FINAL_RE.match(line)
            if m:
                passed, failed = int(m.group(1)), int(m.group(2))
                got_final = True
                line = final_prefix + line
            print(line, flush=True)
        rc = proc.wait(timeout=30)
    finally:
        if killer:
            killer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not got_final:
        print(f"FAIL namespace run: no result line (exit status {rc}); "
              f"needs root and `unshare -n`")
        return passed, failed + 1, False
    if rc != 0 and failed == 0:
        print(f"FAIL namespace run exited {rc} with no failed test")
        return passed, 1, False
    return passed, failed, True


def netns_outer(script, total_timeout):
    """Re-execute `script` inside `unshare -n`; print its output; exit with
    its result. Only the namespace's sysctls and counters are ever read."""
    passed, failed, whole = netns_run(script, total_timeout)
    if not whole:
        print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


def netns_inner_setup(runner, host_ino):
    """Inside the namespace: check it is private, bring lo up."""
    if not host_ino or netns_ino() == host_ino:
        print("FAIL not in a private network namespace")
        runner.failed += 1
        runner.finish()
    r = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True,
                       text=True, timeout=5)
    if r.returncode != 0:
        print(f"FAIL ip link set lo up: {r.stderr.strip()}")
        runner.failed += 1
        runner.finish()


# ------------------------------------------------------- reading a socket

def recv_exact(s, n, timeout):
    """Exactly n bytes, or what came before EOF/reset/timeout: returns
    (data, how) with how in 'ok', 'eof', 'reset', 'timeout'."""
    buf = b""
    deadline = time.monotonic() + timeout
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return buf, "timeout"
        s.settimeout(left)
        try:
            d = s.recv(min(n - len(buf), 1 << 20))
        except socket.timeout:
            return buf, "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return buf, "reset"
        if not d:
            return buf, "eof"
        buf += d
    return buf, "ok"


def read_to_end(s, timeout):
    """Everything until the server closes: (data, 'eof'|'reset'|'timeout')."""
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), "timeout"
        s.settimeout(left)
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            return b"".join(chunks), "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return b"".join(chunks), "reset"
        if not d:
            return b"".join(chunks), "eof"
        chunks.append(d)
