#!/usr/bin/env python3
"""Nothing outlives its run: `kill -9` of `load` or of a sweep leaves no
process, no network namespace, no mount and no temporary directory.

    python3 tests/integration/test_outlive.py --bin build/sockbench [-k NAME]

Needs root (CI runs as root); not root: every test FAILS, never skips. The
script re-executes itself under `unshare -m` (its mounts private, so
nothing it does reaches the host's), makes / shared there and mounts a
tmpfs on /tmp: the mount namespaces sockbench makes are then copies in
our peer groups, so a mount of theirs that propagated would show in our
/proc/self/mountinfo, and every /tmp/sockbench-load-* is ours.

Every process a case starts carries SB_OUTLIVE=<token> in its environment,
which the processes it starts inherit (the daemon too): "ours" is every
process whose /proc/PID/environ holds it.

Tests:
  load_serve_sigkill     `load --serve` SIGKILLed mid-run
  load_daemon_sigkill    `load --server-cmd daemonsrv.py` (double fork +
                         setsid; the daemon listens) SIGKILLed mid-run
  sweep_sigkill          a sweep SIGKILLed mid-run (load and its server in
                         the run's network namespace)
  sweep_daemon_sigkill   the same, the sweep's --server-cmd daemonizing
  sweep_daemon_sigterm   a sweep ended by SIGTERM, its --server-cmd
                         daemonizing: the stop reaches the daemon too
  each then, within 2 s: no process of ours (zombies aside), none of the
  run's network namespaces left (`lsns -t net`, /proc/*/ns/net), our
  mountinfo as before (also while the run ran), no /tmp/sockbench-load-*.
  own_namespace          a normal `load --serve` run: the server is PID 2
                         of a PID namespace of its own under
                         sockbench-init (PID 1), sees a /proc of its own,
                         no /tmp/sockbench-load-* appears, and its stats
                         still arrive (server.requests = completed)
  no_pidns_warns         where no PID namespace can be made (a user
                         namespace whose user.max_pid_namespaces is 0 -
                         its own limit, not the host's): the run works and
                         its JSON's warnings say so
"""

import glob
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

MNTNS_ENV = "SB_OUTLIVE_IN_MNTNS"
MARK = "SB_OUTLIVE"
HERE = os.path.dirname(os.path.abspath(__file__))
DAEMONSRV = os.path.join(HERE, "daemonsrv.py")
GONE_WITHIN = 2.0   # seconds from the SIGKILL until nothing is left
TMPDIRS = []


def mktemp(tag):
    return sbtest.make_tmpdir(f"sboutlive-{tag}-", TMPDIRS)


def cleanup():
    import shutil
    for d in TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


# -------------------------------------------------------------- our world

def environ_has(pid, token):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"{MARK}={token}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def ours(token):
    """[(pid, state, argv)] of the live processes marked with token."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        if environ_has(pid, token):
            _, state = sbtest.proc_ppid_state(pid)
            if state and state != "Z":
                out.append((pid, state, " ".join(sbtest.argv_of(pid))[:100]))
    return out


def netns_of(pid):
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def lsns_net():
    """Inodes of every network namespace lsns finds."""
    r = subprocess.run(["lsns", "-t", "net", "-n", "-o", "NS"],
                       capture_output=True, text=True, timeout=10)
    return {int(x) for x in r.stdout.split() if x.isdigit()}


def all_netns():
    """Inodes of the network namespaces of every process."""
    out = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            ino = netns_of(int(name))
            if ino:
                out.add(ino)
    return out


def mounts():
    try:
        with open("/proc/self/mountinfo") as f:
            return set(f.read().splitlines())
    except OSError as e:
        # a /proc of another PID namespace mounted over ours (propagated
        # from a namespace that did not make / a slave) has no "self"
        return {f"/proc/self/mountinfo unreadable ({e.strerror}): /proc "
                f"mounted over?"}


def load_dirs():
    return sorted(glob.glob("/tmp/sockbench-load-*"))


class World:
    """What the host looked like before a case; checked after it."""

    def __init__(self):
        self.token = f"{os.getpid()}-{time.monotonic_ns()}"
        self.env = dict(os.environ, **{MARK: self.token})
        self.mounts = mounts()
        self.lsns = lsns_net()
        self.host_net = netns_of(os.getpid())
        self.dirs = set(load_dirs())
        self.run_nets = set()    # network namespaces our processes had
        self.seen = []           # what ran, for the messages

    def look(self, t, what):
        """While the run runs: note its namespaces; no mount of its may
        have reached us, no temporary directory may be there."""
        procs = ours(self.token)
        self.seen = procs
        for pid, _, _ in procs:
            ino = netns_of(pid)
            if ino and ino != self.host_net:
                self.run_nets.add(ino)
        t.eq(f"{what}: mounts added to ours while the run ran",
             [], sorted(mounts() - self.mounts))
        return procs

    def check_gone(self, t, what, t_kill):
        """Within GONE_WITHIN s of t_kill: nothing of ours left."""
        while True:
            left = ours(self.token)
            if not left or time.monotonic() - t_kill > GONE_WITHIN:
                break
            time.sleep(0.02)
        took = time.monotonic() - t_kill
        t.note(f"{what}: {len(self.seen)} processes of ours ran; "
               f"{'all gone' if not left else f'{len(left)} left'} "
               f"{took:.2f} s after the signal")
        t.eq(f"{what}: processes of ours {GONE_WITHIN:.0f} s after it",
             [], left)
        if self.run_nets:
            # A namespace's inode number is reused as soon as it is freed
            # (the kernel's proc_inum IDA): one held now only by processes
            # that are not ours (another test's run, in parallel) is a new
            # namespace with the old number, not ours left behind.
            mine = {pid for pid, _, _ in ours(self.token)}
            holders = {}
            for name in os.listdir("/proc"):
                if name.isdigit():
                    holders.setdefault(netns_of(int(name)), set()).add(int(name))
            reused = {ino for ino in self.run_nets
                      if holders.get(ino) and not holders[ino] & mine}
            if reused:
                t.note(f"{what}: namespace numbers of the run now reused by "
                       f"others' processes: {sorted(reused)}")
            t.eq(f"{what}: the run's network namespaces still in lsns",
                 [], sorted((self.run_nets - reused) & lsns_net()))
            t.eq(f"{what}: the run's network namespaces still held by a "
                 f"process", [], sorted((self.run_nets - reused) & all_netns()))
        new = lsns_net() - self.lsns
        if new:
            t.note(f"network namespaces new since the case began (others' "
                   f"too): {sorted(new)}")
        t.eq(f"{what}: mounts added to ours", [],
             sorted(mounts() - self.mounts))
        new_dirs = sorted(set(load_dirs()) - self.dirs)
        t.eq(f"{what}: /tmp/sockbench-load-* left", [], new_dirs)
        for d in new_dirs:   # the next case starts clean
            subprocess.run(["rm", "-rf", d], timeout=10)
        for pid, _, _ in left:   # leave nothing for the next case
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def start(cmd, w):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=w.env,
                            start_new_session=True)


def wait_for(t, w, proc, pred, what, timeout=10.0):
    """Until pred(procs of ours) holds; then 0.3 s more, mid-run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")
            t.fail(f"{what}: ended (exit {proc.returncode}) before the "
                   f"test saw it run; stderr: {err[-800:]!r}")
        if pred(ours(w.token)):
            time.sleep(0.3)
            return
        time.sleep(0.02)
    kill_all(proc, w)
    t.fail(f"{what}: not running as expected within {timeout:.0f} s; ours: "
           f"{ours(w.token)}")


def kill_all(proc, w):
    for pid, _, _ in ours(w.token):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proc.kill()
    proc.wait()


def serving(procs):
    return any(" serve " in f" {a} " for _, _, a in procs)


def daemonized(procs):
    """The foreground and the daemon (setsid: its own session)."""
    return sum(DAEMONSRV in a for _, _, a in procs) >= 2


def sigkill_case(t, w, cmd, pred, what):
    proc = start(cmd, w)
    wait_for(t, w, proc, pred, what)
    w.look(t, what)
    t.note(f"{what}: running: {[(p, a[:60]) for p, _, a in w.seen]}")
    t_kill = time.monotonic()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    w.check_gone(t, what, t_kill)
    return proc


def daemon_cmd():
    return f"{sys.executable} {DAEMONSRV} {{port}}"


# ------------------------------------------------------------------- tests

def test_load_serve_sigkill(t):
    w = World()
    sigkill_case(t, w, [sbtest.BIN, "load", "--serve", "--model epoll",
                        "--mode", "rr", "--conns", "2", "--threads", "1",
                        "--duration", "30s", "--quiet"],
                 serving, "load --serve")


def test_load_daemon_sigkill(t):
    w = World()
    sigkill_case(t, w, [sbtest.BIN, "load", "--server-cmd", daemon_cmd(),
                        "--mode", "connect", "--conns", "2", "--threads",
                        "1", "--duration", "30s", "--quiet"],
                 daemonized, "load --server-cmd (daemonizing)")


def sweep_cmd(extra):
    out = os.path.join(mktemp("sweep"), "out")
    return [sbtest.BIN, "sweep", "--conns", "2", "--threads", "1",
            "--duration", "30s", "--backlog", "8,16", "--quiet",
            "--out", out] + extra


def test_sweep_sigkill(t):
    w = World()
    sigkill_case(t, w, sweep_cmd(["--models", "epoll", "--proto", "rr"]),
                 serving, "sweep")
    t.check(w.run_nets, "the sweep's run: its own network namespace",
            "one seen", w.run_nets)


def test_sweep_daemon_sigkill(t):
    w = World()
    sigkill_case(t, w, sweep_cmd(["--server-cmd", daemon_cmd(), "--mode",
                                  "connect"]),
                 daemonized, "sweep --server-cmd (daemonizing)")
    t.check(w.run_nets, "the sweep's run: its own network namespace",
            "one seen", w.run_nets)


def test_sweep_daemon_sigterm(t):
    w = World()
    what = "sweep --server-cmd (daemonizing), SIGTERM"
    proc = start(sweep_cmd(["--server-cmd", daemon_cmd(), "--mode",
                            "connect"]), w)
    wait_for(t, w, proc, daemonized, what)
    w.look(t, what)
    t_term = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        kill_all(proc, w)
        t.fail(f"{what}: the sweep still ran 10 s after SIGTERM")
    t.note(f"{what}: the sweep exited {proc.returncode} "
           f"{time.monotonic() - t_term:.2f} s after SIGTERM")
    t.check(proc.returncode == 143, f"{what}: exit status",
            "143 (128 + SIGTERM)", proc.returncode)
    w.check_gone(t, what, time.monotonic())


def nspid(pid):
    """The NSpid fields of a process: its pid in each namespace, outer
    first."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        pass
    return []


def proc_mount_ids(pid):
    """Mount ids of the proc filesystems mounted on /proc, as pid sees."""
    try:
        with open(f"/proc/{pid}/mountinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    return {ln.split()[0] for ln in lines
            if ln.split()[4] == "/proc" and " - proc " in ln}


def test_own_namespace(t):
    w = World()
    js = os.path.join(mktemp("own"), "run.json")
    proc = start([sbtest.BIN, "load", "--serve", "--model fork --proto rr",
                  "--mode", "rr", "--conns", "2", "--threads", "1",
                  "--duration", "1500ms", "--quiet", "--json", js], w)
    wait_for(t, w, proc, serving, "load --serve")
    procs = w.look(t, "load --serve")
    dirs = load_dirs()
    srv = [p for p, _, a in procs if a.split()[1:2] == ["serve"]]
    t.require(srv, f"no `sockbench serve` among ours: {procs}")
    # the fork model's children are serve too: the one whose parent is not
    ppid = {p: sbtest.proc_ppid_state(p)[0] for p in srv}
    top = [p for p in srv if ppid[p] not in srv]
    t.eq("servers whose parent is not a server", 1, len(top))
    pid = top[0]
    parent = ppid[pid]
    try:
        with open(f"/proc/{parent}/comm") as f:
            comm = f.read().strip()
    except OSError:
        comm = None
    t.eq("the server's parent (comm)", "sockbench-init", comm)
    ns = nspid(pid)
    t.check(len(ns) == 2 and ns[1] == 2, "the server's NSpid",
            f"[{pid}, 2]: PID 2 of a namespace of its own", ns)
    t.eq("its parent's pid inside (NSpid)", 1, (nspid(parent) or [0])[-1])
    mine = proc_mount_ids(os.getpid())
    theirs = proc_mount_ids(pid)
    t.check(theirs - mine, "the server's /proc", "a proc mount of its own "
            f"(ours: {sorted(mine)})", sorted(theirs))
    t.eq("/tmp/sockbench-load-* while the run runs", [],
         sorted(set(dirs) - w.dirs))
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        kill_all(proc, w)
        t.fail("load --serve did not end within 20 s")
    t.eq(f"load exit status (stderr {err[-500:]!r})", 0, proc.returncode)
    run = sbtest.load_json(t, js, "the run JSON")
    t.eq("error", None, run.get("error"))
    t.eq("warnings", [], run.get("warnings"))
    done = sbtest.dig(run, "load", "requests", "completed")
    t.check(isinstance(done, int) and done > 0, "load.requests.completed",
            "> 0", done)
    # requests still in flight at the cut may or may not have reached it
    late = sbtest.dig(run, "load", "requests", "in_flight_at_end") or 0
    got = sbtest.dig(run, "server", "requests")
    t.check(isinstance(got, int) and done <= got <= done + late,
            "server.requests (its stats, through --stats-fd)",
            f"completed {done} .. + in flight {late}", got)
    w.check_gone(t, "after the run", time.monotonic())


def test_no_pidns_warns(t):
    w = World()
    host = open("/proc/sys/user/max_pid_namespaces").read().strip()
    js = os.path.join(mktemp("nopidns"), "run.json")
    script = ("echo 0 > /proc/sys/user/max_pid_namespaces || exit 99; "
              'exec "$@"')
    cmd = ["unshare", "-U", "-r", "sh", "-c", script, "sh", sbtest.BIN,
           "load", "--serve", "--model epoll --proto rr", "--mode", "rr",
           "--requests", "500", "--conns", "2", "--threads", "1", "--quiet",
           "--json", js]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                       env=w.env)
    t.eq("the host's user.max_pid_namespaces, untouched", host,
         open("/proc/sys/user/max_pid_namespaces").read().strip())
    t.require(r.returncode != 99, "cannot lower max_pid_namespaces in a "
              f"user namespace of ours: {r.stderr!r}")
    t.eq(f"exit status (stderr {r.stderr[-500:]!r})", 0, r.returncode)
    run = sbtest.load_json(t, js, "the run JSON")
    t.eq("error", None, run.get("error"))
    warn = [x for x in run.get("warnings") or [] if "PID namespace" in x]
    t.check(len(warn) == 1 and "No space left on device" in warn[0],
            "warnings", "one: no PID namespace (No space left on device)",
            run.get("warnings"))
    t.eq("server.requests", 500, sbtest.dig(run, "server", "requests"))
    w.check_gone(t, "after the run", time.monotonic())


# -------------------------------------------------------------------- main

def setup_mount_namespace():
    """In our own mount namespace (private: nothing here reaches the
    host): / shared among our copies, a tmpfs on /tmp."""
    for cmd in (["mount", "--make-rshared", "/"],
                ["mount", "-t", "tmpfs", "-o", "size=64m", "sboutlive",
                 "/tmp"]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            print(f"FAIL {' '.join(cmd)}: {r.stderr.strip()}")
            print("0 passed, 1 failed")
            sys.exit(1)


def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    sbtest.require_root("test_outlive.py", "PID, mount and network "
                        "namespaces; a private mount namespace for the test")
    sbtest.in_private_mount_namespace(__file__, MNTNS_ENV)
    setup_mount_namespace()
    runner = sbtest.Runner("nothing outlives its run")

    def cases(runner):
        runner.run("load_serve_sigkill", test_load_serve_sigkill, timeout=30)
        runner.run("load_daemon_sigkill", test_load_daemon_sigkill,
                   timeout=30)
        runner.run("sweep_sigkill", test_sweep_sigkill, timeout=30)
        runner.run("sweep_daemon_sigkill", test_sweep_daemon_sigkill,
                   timeout=30)
        runner.run("sweep_daemon_sigterm", test_sweep_daemon_sigterm,
                   timeout=30)
        runner.run("own_namespace", test_own_namespace, timeout=30)
        runner.run("no_pidns_warns", test_no_pidns_warns, timeout=40)
    sbtest.run_timed(runner, cases, cleanup)


if __name__ == "__main__":
    main()
