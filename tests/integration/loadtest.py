"""Helpers for the `sockbench load` / `sockbench merge` integration tests
(python3 stdlib only; builds on sbtest.py, which it does not change).

  - run_load(): run `sockbench load ... --json FILE` with a timeout, kill it
    and everything it started if it overruns, and return rc, output, the
    parsed JSON and how long it took;
  - a child subreaper, so that a server left behind by a crashed or killed
    `load` is re-parented to us, found and killed (and reported);
  - netns_main(): re-execute the test file inside `unshare -n` (a private,
    quiet network namespace: exact kernel counters, no other traffic) with
    `lo` up, and pass its result line through (sbtest's netns helpers);
    run_tests(): the rest of a main() (subreaper, cleanup, result line);
  - check_run_shape(): every key of SPEC section 6 with its JSON type;
  - the histogram arithmetic of SPEC section 5 in Python (bucket edges of
    the 'log-linear ns sub_bits=7' scheme, percentiles from buckets).
"""

import ctypes
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

FINAL_RE = sbtest.FINAL_RE
PR_SET_CHILD_SUBREAPER = 36

# SPEC section 5: the kernel counters every run reports.
KERNEL_COUNTERS = [
    "ListenOverflows", "ListenDrops", "TCPReqQFullDrop",
    "TCPReqQFullDoCookies", "SyncookiesSent", "TCPTimeouts", "TCPSynRetrans",
    "RetransSegs", "ActiveOpens", "PassiveOpens", "AttemptFails",
    "EstabResets"]  # no TCPAbortOnOverflow: 6.18 has none (SPEC section 5)

# SPEC section 5: the sysctls every run records ("when present" for the
# linear timeouts); value type: int for one number, str otherwise.
SYSCTLS = {
    "net.core.somaxconn": int, "net.ipv4.tcp_max_syn_backlog": int,
    "net.ipv4.tcp_syncookies": int, "net.ipv4.tcp_abort_on_overflow": int,
    "net.ipv4.tcp_syn_retries": int, "net.ipv4.tcp_syn_linear_timeouts": int,
    "net.ipv4.ip_local_port_range": str, "net.ipv4.tcp_tw_reuse": int,
    "net.core.rmem_max": int, "net.core.wmem_max": int,
}

LATENCY_KEYS = ["min", "p50", "p90", "p99", "p999", "max", "mean"]
INTERVAL_KEYS = {"t_s", "requests", "connects", "bytes", "p50_us", "p99_us",
                 "errors", "established", "served", "starved",
                 "syn_retry_waiting", "listen_overflows", "accept_queue",
                 "server_accepted"}

SERVE_CONFIG_KEYS = [
    "model", "proto", "bind", "port", "backlog", "recv_size", "send",
    "sndbuf", "rcvbuf", "workers", "accept_mode", "accept_delay_ms",
    "pause_accept", "work_us", "max_msg", "max_conns", "idle_timeout_ms"]
LOAD_CONFIG_KEYS = [
    "mode", "target", "serve", "server_cmd", "conns", "threads", "duration",
    "requests", "warmup", "rate", "connect_rate", "req_size", "resp_size",
    "send_size", "connect_timeout", "timeout", "source", "interval"]


# ------------------------------------------------------------ small types

def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def dig(obj, path, default=None):
    """obj['a']['b'] for path 'a.b'; default when any step is missing."""
    for k in path.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return default
        obj = obj[k]
    return obj


def close_enough(a, b, rel=1e-8, abs_=1e-6):
    return is_num(a) and is_num(b) and abs(a - b) <= max(abs_, rel * abs(b))


# ------------------------------------------------------ orphans / reaping

def become_subreaper():
    """Orphans of our children (a server whose `load` died) become ours."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _proc_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1]), int(fields[2])  # state, ppid, pgrp


cmdline = sbtest.cmdline


def children_of(ppid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st and st[1] == ppid:
                out.append((int(name), st[0], st[2]))
    return out


def our_children():
    return children_of(os.getpid())


def reap_orphans(exclude=()):
    """Kill and reap every child of ours that is not a process we started on
    purpose (exclude: pids of live servers). Returns [(pid, cmdline)] of the
    live ones found (zombies are reaped silently)."""
    with sbtest._LIVE_LOCK:
        live = {p.pid for p in sbtest._LIVE}
    live |= set(exclude)
    found = []
    for pid, state, pgrp in our_children():
        if pid in live:
            continue
        if state != "Z":
            found.append((pid, cmdline(pid)))
            try:
                if pgrp != os.getpgrp():
                    os.killpg(pgrp, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    # reap (a short wait: SIGKILL is not instant)
    deadline = time.monotonic() + 2
    for pid, _ in found:
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.02)
    for pid, state, _ in our_children():
        if state == "Z" and pid not in live:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
    return found


def processes_matching(text):
    """pids (not ours, not zombies) with an argv word containing text."""
    return sbtest.processes_with(text)


# ------------------------------------------------------------- run `load`

class LoadResult:
    def __init__(self):
        self.cmd = []
        self.rc = None
        self.stdout = ""
        self.stderr = ""
        self.elapsed = 0.0
        self.timed_out = False
        self.json = None
        self.json_error = None
        self.json_path = None
        self.leftovers = []     # processes `load` left behind
        self.timeout = None

    def describe(self):
        rc = self.rc
        if rc is not None and rc < 0:
            try:
                rc = f"{rc} ({signal.Signals(-rc).name})"
            except ValueError:
                pass
        s = (f"`{' '.join(self.cmd)}` exit={rc} after {self.elapsed:.1f}s"
             + (f" (KILLED: still running at the {self.timeout:g}s limit)"
               if self.timed_out else ""))
        if self.stderr.strip():
            s += f"; stderr={self.stderr.strip()[-1000:]!r}"
        if self.stdout.strip():
            s += f"; stdout tail={self.stdout.strip()[-600:]!r}"
        if self.json_error:
            s += f"; json: {self.json_error}"
        return s


def tmpdir():
    d = tempfile.mkdtemp(prefix="sbload-")
    _TMPDIRS.append(d)
    return d


_TMPDIRS = []


def cleanup_tmpdirs():
    for d in _TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


def run_load(args, timeout, json_path="auto", sub="load"):
    """Run `sockbench load ARGS [--json FILE]`; never longer than timeout.
    json_path: "auto" (a temp file), None (no --json) or a path."""
    r = LoadResult()
    if json_path == "auto":
        json_path = os.path.join(tmpdir(), "run.json")
    r.json_path = json_path
    r.timeout = timeout
    r.cmd = [sbtest.BIN, sub] + list(args)
    if json_path:
        r.cmd += ["--json", json_path]
    # Output goes to files, not pipes: a server that `load` started (and
    # that outlives it after a crash) must not keep us waiting for EOF.
    d = tmpdir()
    t0 = time.monotonic()
    with open(os.path.join(d, "stdout"), "w+b") as fo, \
            open(os.path.join(d, "stderr"), "w+b") as fe:
        proc = subprocess.Popen(r.cmd, stdin=subprocess.DEVNULL, stdout=fo,
                                stderr=fe, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            r.timed_out = True
            # its children first (a started server has its own group)
            for pid, _, pgrp in children_of(proc.pid):
                try:
                    os.killpg(pgrp, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        r.elapsed = time.monotonic() - t0
        r.rc = proc.returncode
        fo.seek(0)
        fe.seek(0)
        r.stdout = fo.read().decode(errors="replace")
        r.stderr = fe.read().decode(errors="replace")
    r.leftovers = reap_orphans()
    if json_path:
        try:
            with open(json_path) as f:
                r.json = json.load(f)
        except OSError as e:
            r.json_error = f"not written ({e.strerror})"
        except ValueError as e:
            r.json_error = f"not valid JSON ({e})"
    return r


def require_run(t, r, rc=0, what="sockbench load"):
    """The run ended by itself with exit status rc and wrote its JSON."""
    if r.timed_out or r.rc != rc or r.json is None:
        t.fail(f"{what}: expected exit {rc} and a JSON file, actual "
               f"{r.describe()}")
    t.eq(f"{what}: processes left running after `load` exited", [],
         r.leftovers)
    if rc == 0:
        t.eq(f"{what}: JSON error", None, r.json.get("error"))
    return r.json


_CACHE = {}


def cached_run(t, key, args, timeout):
    """Run once per file, share the JSON between tests (-k still works: a
    test that needs a run makes it)."""
    if key not in _CACHE:
        _CACHE[key] = run_load(args, timeout)
    return _CACHE[key]


# ---------------------------------------------------------- JSON shape

def _type_check(t, where, v, types, nullable=False):
    if v is None and nullable:
        return True
    ok = {
        "int": is_int(v), "num": is_num(v), "str": isinstance(v, str),
        "bool": isinstance(v, bool), "dict": isinstance(v, dict),
        "list": isinstance(v, list),
    }[types]
    return t.check(ok, f"JSON {where}", f"{types}" +
                   (" or null" if nullable else ""), v)


def check_hist(t, where, h, total=None):
    if not _type_check(t, where, h, "dict"):
        return
    _type_check(t, f"{where}.scheme", h.get("scheme"), "str")
    b = h.get("buckets")
    if not _type_check(t, f"{where}.buckets", b, "list"):
        return
    bad = [x for x in b if not (isinstance(x, list) and len(x) == 2 and
                                is_int(x[0]) and is_int(x[1]) and x[1] > 0)]
    t.check(not bad, f"JSON {where}.buckets items", "[upper_ns, count>0] "
            "integer pairs", bad[:3])
    uppers = [x[0] for x in b if isinstance(x, list) and x]
    t.check(uppers == sorted(set(uppers)), f"JSON {where}.buckets",
            "strictly ascending upper_ns", uppers[:20])
    s = sum(x[1] for x in b if isinstance(x, list) and len(x) == 2
            and is_int(x[1]))
    if total is not None:
        t.eq(f"{where}: sum of bucket counts (= the count it describes)",
             total, s)


def check_latency(t, where, lat, total=None):
    if not _type_check(t, where, lat, "dict"):
        return
    empty = total == 0
    for k in LATENCY_KEYS:
        if k not in lat:
            t._record(f"JSON {where}.{k}: expected present, actual missing")
            continue
        _type_check(t, f"{where}.{k}", lat[k], "num", nullable=empty)
    vals = [lat.get(k) for k in ["min", "p50", "p90", "p99", "p999", "max"]]
    if all(is_num(v) for v in vals):
        t.check(vals == sorted(vals), f"JSON {where} ordering",
                "min <= p50 <= p90 <= p99 <= p999 <= max", vals)
    if "histogram" not in lat:
        t._record(f"JSON {where}.histogram: expected present, actual missing")
    else:
        check_hist(t, f"{where}.histogram", lat["histogram"], total)


def check_run_shape(t, j, started_server=None, failed=False):
    """Every key of SPEC section 6, with its type. started_server: True when
    sockbench started a `serve` (then `server` is an object)."""
    top = ["schema", "tool", "started_at", "duration_s", "environment",
           "config", "load", "server", "kernel", "accept_queue", "explain",
           "warnings", "generator_bound", "error"]
    missing = [k for k in top if k not in j]
    t.eq("JSON top-level keys missing", [], missing)
    t.eq("JSON schema", "sockbench.run/2", j.get("schema"))
    t.eq("JSON tool.name", "sockbench", dig(j, "tool.name"))
    _type_check(t, "tool.version", dig(j, "tool.version"), "str")
    sa = j.get("started_at")
    t.check(isinstance(sa, str) and re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", sa or ""),
        "JSON started_at", "an ISO 8601 UTC time ending in Z", sa)
    _type_check(t, "duration_s", j.get("duration_s"), "num")
    env = j.get("environment")
    if _type_check(t, "environment", env, "dict"):
        t.eq("JSON environment.kernel", os.uname().release, env.get("kernel"))
        t.check(is_int(env.get("cpus")) and env["cpus"] >= 1,
                "JSON environment.cpus", "an integer >= 1", env.get("cpus"))
        t.check(env.get("netns") in ("private", "host"),
                "JSON environment.netns", "'private' or 'host'",
                env.get("netns"))
        sc = env.get("sysctl")
        if _type_check(t, "environment.sysctl", sc, "dict"):
            for name, typ in SYSCTLS.items():
                present = os.path.exists(
                    "/proc/sys/" + name.replace(".", "/"))
                if name not in sc:
                    if present:
                        t._record(f"JSON environment.sysctl[{name!r}]: "
                                  f"expected present, actual missing")
                    continue
                t.check(isinstance(sc[name], typ) and
                        not isinstance(sc[name], bool),
                        f"JSON environment.sysctl[{name!r}]",
                        typ.__name__, sc[name])
    cfg = j.get("config")
    if _type_check(t, "config", cfg, "dict"):
        _type_check(t, "config.server", cfg.get("server"), "dict",
                    nullable=not started_server)
        if started_server:
            miss = [k for k in SERVE_CONFIG_KEYS
                    if k not in (cfg.get("server") or {})]
            t.eq("JSON config.server keys missing", [], miss)
        if _type_check(t, "config.load", cfg.get("load"), "dict"):
            miss = [k for k in LOAD_CONFIG_KEYS if k not in cfg["load"]]
            t.eq("JSON config.load keys missing", [], miss)
    load = j.get("load")
    if not _type_check(t, "load", load, "dict"):
        return
    conns = load.get("connections")
    if _type_check(t, "load.connections", conns, "dict"):
        for k in ("attempted", "established", "failed"):
            _type_check(t, f"load.connections.{k}", conns.get(k), "int")
        # per client slot: rr, echo, http, crr (null in connect, stream)
        slots = dig(j, "config.load.mode") in ("rr", "echo", "http", "crr")
        for k in ("served", "starved"):
            if k not in conns:
                t._record(f"JSON load.connections.{k}: expected present, "
                          "actual missing")
            elif slots or conns[k] is not None:
                _type_check(t, f"load.connections.{k}", conns[k], "int")
        if "fairness" not in load:
            t._record("JSON load.fairness: expected present, actual missing")
        elif load["fairness"] is not None:  # null: no slots, or no run
            t.check(slots, "JSON load.fairness", "null in connect and stream "
                    "modes", load["fairness"])
            fair = load["fairness"]
            if _type_check(t, "load.fairness", fair, "dict"):
                _type_check(t, "load.fairness.jain", fair.get("jain"), "num",
                            nullable=True)
                _type_check(t, "load.fairness.slots", fair.get("slots"),
                            "int")
                per = fair.get("requests_per_conn")
                if _type_check(t, "load.fairness.requests_per_conn", per,
                               "dict"):
                    for k in ("min", "p50", "max"):  # p50 null once merged
                        _type_check(t, f"load.fairness.requests_per_conn.{k}",
                                    per.get(k), "int", nullable=k == "p50")
        est = conns.get("established")
        if all(is_int(conns.get(k)) for k in ("attempted", "established",
                                               "failed")):
            t.check(conns["established"] + conns["failed"] <=
                    conns["attempted"], "JSON load.connections",
                    "established + failed <= attempted",
                    {k: conns[k] for k in ("attempted", "established",
                                           "failed")})
        check_latency(t, "load.connections.latency_us",
                      conns.get("latency_us"),
                      est if is_int(est) else None)
    req = load.get("requests")
    if _type_check(t, "load.requests", req, "dict"):
        for k in ("completed", "failed", "in_flight_at_end"):
            _type_check(t, f"load.requests.{k}", req.get(k), "int")
        done = req.get("completed")
        lat = req.get("latency_us") or {}
        # completed, plus the censored requests (timed out or still
        # waiting at the end) and, in a closed loop, the requests their
        # clients could not send meanwhile (SPEC section 10; results.md)
        for k in ("censored", "omitted"):
            _type_check(t, f"load.requests.latency_us.{k}", lat.get(k), "int")
        felt = done + lat["censored"] + lat["omitted"] if all(
            is_int(x) for x in (done, lat.get("censored"), lat.get("omitted"))) \
            else None
        check_latency(t, "load.requests.latency_us", req.get("latency_us"),
                      felt)
        check_latency(t, "load.requests.latency_completed_us",
                      req.get("latency_completed_us"),
                      done if is_int(done) else None)
        if "latency_uncorrected_us" not in req:
            t._record("JSON load.requests.latency_uncorrected_us: expected "
                      "present (null in closed loop), actual missing")
        elif req["latency_uncorrected_us"] is not None:
            check_latency(t, "load.requests.latency_uncorrected_us",
                          req["latency_uncorrected_us"],
                          done if is_int(done) else None)
    tp = load.get("throughput")
    if _type_check(t, "load.throughput", tp, "dict"):
        for k in ("requests_per_s", "bytes_per_s", "connections_per_s"):
            _type_check(t, f"load.throughput.{k}", tp.get(k), "num")
    errs = load.get("errors")
    if _type_check(t, "load.errors", errs, "dict"):
        bad = {k: v for k, v in errs.items() if not (is_int(v) and v > 0)}
        t.eq("JSON load.errors entries that are not counts > 0", {}, bad)
    ivs = load.get("intervals")
    if _type_check(t, "load.intervals", ivs, "list"):
        for i, iv in enumerate(ivs):
            if not isinstance(iv, dict) or set(iv) != INTERVAL_KEYS:
                t._record(f"JSON load.intervals[{i}]: expected an object "
                          f"with keys {sorted(INTERVAL_KEYS)}, actual {iv!r}")
                break
            ok = (is_num(iv["t_s"]) and all(is_int(iv[k]) for k in (
                "requests", "connects", "bytes", "errors")) and
                (iv["p99_us"] is None or is_num(iv["p99_us"])) and
                (iv["p50_us"] is None or is_num(iv["p50_us"])) and
                all(is_int(iv[k]) for k in ("established",
                                            "syn_retry_waiting")) and
                all(iv[k] is None or is_int(iv[k]) for k in (
                    "served", "starved", "listen_overflows",
                    "server_accepted")) and
                (iv["accept_queue"] is None or
                 set(iv["accept_queue"]) == {"len", "limit"}))
            if not t.check(ok, f"JSON load.intervals[{i}] types",
                           "t_s number, counts integers, p99_us number or "
                           "null", iv):
                break
        ts = [iv.get("t_s") for iv in ivs if isinstance(iv, dict)]
        t.check(all(is_num(x) for x in ts) and ts == sorted(set(ts)),
                "JSON load.intervals t_s", "strictly increasing", ts)
    srv = j.get("server")
    if started_server is not None:
        if _type_check(t, "server", srv, "dict", nullable=not started_server):
            if started_server and srv is not None:
                sbtest.check_stats_shape(t, srv)
    kern = j.get("kernel")
    if _type_check(t, "kernel", kern, "dict"):
        d = kern.get("delta")
        if _type_check(t, "kernel.delta", d, "dict", nullable=failed):
            if d is not None:
                bad = {k: v for k, v in d.items() if not is_int(v)}
                t.eq("JSON kernel.delta values that are not integers", {},
                     bad)
    aq = j.get("accept_queue")
    if _type_check(t, "accept_queue", aq, "dict", nullable=True) and aq:
        for k in ("max_seen", "limit"):
            _type_check(t, f"accept_queue.{k}", aq.get(k), "int")
        s = aq.get("samples")
        if _type_check(t, "accept_queue.samples", s, "list"):
            bad = [x for x in s if not (isinstance(x, list) and len(x) == 2
                                        and is_int(x[0]) and is_int(x[1]))]
            t.check(not bad, "JSON accept_queue.samples items",
                    "[t_ms, len] integer pairs", bad[:3])
            if s and not bad and is_int(aq.get("max_seen")):
                t.check(max(x[1] for x in s) <= aq["max_seen"],
                        "JSON accept_queue.max_seen",
                        ">= every sampled length",
                        (aq["max_seen"], max(x[1] for x in s)))
    for k in ("explain", "warnings"):
        v = j.get(k)
        if _type_check(t, k, v, "list"):
            t.check(all(isinstance(x, str) for x in v), f"JSON {k} items",
                    "strings", v)
    _type_check(t, "generator_bound", j.get("generator_bound"), "bool")
    if failed:
        t.check(isinstance(j.get("error"), str) and j["error"],
                "JSON error", "a non-empty string", j.get("error"))
    else:
        t.eq("JSON error", None, j.get("error"))


def kernel_counter_names():
    """Counter names this kernel has in /proc/net/netstat and /proc/net/snmp
    (of the current namespace)."""
    names = set()
    for path in ("/proc/net/netstat", "/proc/net/snmp"):
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for head in lines[0::2]:
            names.update(head.split()[1:])
    return names


def check_kernel_counters(t, j):
    """SPEC section 5: at least these counters, where the kernel has them."""
    d = dig(j, "kernel.delta")
    if not isinstance(d, dict):
        t._record(f"JSON kernel.delta: expected an object, actual {d!r}")
        return
    have = kernel_counter_names()
    miss = [k for k in KERNEL_COUNTERS if k in have and not is_int(d.get(k))]
    t.eq("JSON kernel.delta: SPEC counters (that this kernel has) missing",
         [], miss)
    absent = [k for k in KERNEL_COUNTERS if k not in have]
    if absent:
        print(f"    note: this kernel has no counter {absent} in "
              f"/proc/net/netstat or /proc/net/snmp: not required",
              flush=True)


# ------------------------------------------------------- histogram maths

SUB_BITS = 7


def bucket_bounds(upper):
    """(lower, upper) of the 'log-linear ns sub_bits=7' bucket whose
    inclusive upper edge is `upper`."""
    if upper < (2 << SUB_BITS):          # 0..255: one bucket per ns
        return upper, upper
    shift = upper.bit_length() - (SUB_BITS + 1)
    lower = (upper >> shift) << shift
    if lower + (1 << shift) - 1 != upper:
        raise ValueError(f"{upper} is not a bucket upper edge")
    return lower, upper


def percentile_ns(buckets, count, min_ns, max_ns, p):
    """SPEC section 5 percentile: the smallest bucket where the cumulative
    count reaches ceil(p/100 * count); its midpoint (rounded down),
    clamped to [min, max]."""
    rank = math.ceil(Fraction(str(p)) / 100 * count)
    rank = max(1, min(count, rank))
    seen = 0
    for upper, n in buckets:
        seen += n
        if seen >= rank:
            lo, hi = bucket_bounds(upper)
            mid = lo + (hi - lo) // 2
            return min(max(mid, min_ns), max_ns)
    return max_ns


def expected_latency_us(hist):
    """What latency_us should say for histogram `hist` (a dict with
    buckets, count, min_ns, max_ns, sum_ns)."""
    b = hist["buckets"]
    count = sum(n for _, n in b)
    mn, mx = hist.get("min_ns"), hist.get("max_ns")
    out = {"min": mn / 1e3, "max": mx / 1e3}
    for key, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9)):
        out[key] = percentile_ns(b, count, mn, mx, p) / 1e3
    if hist.get("sum_ns") is not None and count:
        out["mean"] = hist["sum_ns"] / count / 1e3
    return out


def count_below(buckets, limit_ns):
    """Samples in buckets wholly below limit_ns."""
    return sum(n for u, n in buckets if u < limit_ns)


def count_at_least(buckets, limit_ns):
    """Samples in buckets wholly at or above limit_ns."""
    return sum(n for u, n in buckets if bucket_bounds(u)[0] >= limit_ns)


# --------------------------------------------------- private namespace
# The namespace helpers live in sbtest.py (test_backlog uses them too);
# these names stay for the test files that call them as lt.*.

netns_ino = sbtest.netns_ino
add_netns_args = sbtest.add_netns_args
netns_outer = sbtest.netns_outer
netns_inner_setup = sbtest.netns_inner_setup


# ------------------------------------------------------------------ main

def run_tests(title, cases, setup=None):
    """The body of a load test's main(): a Runner titled `title`;
    setup(runner) if given (it may end the run); cases(runner) as a child
    subreaper; then orphans killed, tmp dirs removed (whatever happened),
    and the result line."""
    become_subreaper()
    runner = sbtest.Runner(title)
    if setup:
        setup(runner)
    try:
        cases(runner)
    finally:
        reap_orphans()
        cleanup_tmpdirs()
    runner.finish()


def netns_main(doc, script, cases, total_timeout):
    """main() of a test file that runs in a private network namespace:
    outside, netns_outer() (re-executes `script` inside `unshare -n`);
    inside, run_tests() with the namespace checked and `lo` up, the
    tests being cases(runner, args)."""
    args = sbtest.parse_args(doc, extra=add_netns_args)
    if not args.in_netns:
        netns_outer(script, total_timeout)
    name = os.path.splitext(os.path.basename(script))[0]
    run_tests(f"{name} (private network namespace)",
              lambda runner: cases(runner, args),
              setup=lambda runner: netns_inner_setup(runner,
                                                     args.host_netns_ino))
