#!/usr/bin/env python3
"""`sockbench merge RUN.json...`: one result from several generators (SPEC
sections 1, 5, 6): counts add up, histograms merge bucket by bucket, the
merged percentiles are those of the summed buckets, different histogram
schemes are refused, a missing file is one message and exit 1.

    python3 tests/integration/test_merge.py --bin build/sockbench [-k NAME]

The percentiles are recomputed here from the buckets (SPEC section 5): the
smallest bucket whose cumulative count reaches ceil(p/100 * count); the
value reported is that bucket's midpoint (rounded down) clamped to the
recorded [min, max]. The same Python code is first checked against the
percentiles `load` itself wrote for each input (and against `merge` of one
file), so a disagreement on the merge is the merge's.
"""

import copy
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load, require_run  # noqa: E402

SERVE = "--model epoll --proto rr"
HISTS = ["load.connections.latency_us", "load.requests.latency_us"]
COUNTS = ["load.connections.attempted", "load.connections.established",
          "load.connections.failed", "load.requests.completed",
          "load.requests.failed", "load.requests.in_flight_at_end",
          "load.bytes_out", "load.bytes_in"]
RATES = ["load.throughput.requests_per_s", "load.throughput.bytes_per_s",
         "load.throughput.connections_per_s"]

INPUTS = {}   # name -> path of a run JSON


def together(d, args, timeout, suffix=""):
    """`load ARGS` twice at once, both from one --start-at: {name: (path,
    LoadResult)}.  Plain processes, not run_load in threads: run_load's
    clean-up of leftover processes would take the other run for one."""
    start = int(time.time() * 1000) + 400
    procs = {}
    for name in ("a", "b"):
        path = os.path.join(d, f"{name}{suffix}.json")
        cmd = [sbtest.BIN, "load"] + args + ["--start-at", str(start),
                                             "--quiet", "--json", path]
        procs[name] = (path, cmd, subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    res = {}
    for name, (path, cmd, p) in procs.items():
        r = lt.LoadResult()
        r.cmd, r.json_path = cmd, path
        try:
            r.stdout, r.stderr = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            r.stdout, r.stderr = p.communicate()
            r.timed_out = True
        r.rc = p.returncode
        try:
            with open(path) as f:
                r.json = json.load(f)
        except (OSError, ValueError) as e:
            r.json_error = str(e)
        res[name] = (path, r)
    return res


def inputs(t):
    """Two --requests 1000 runs against the same server options. If `load
    --requests` itself fails, the merge checks go on with two --duration
    runs (the requests test reports that failure)."""
    if not INPUTS:
        d = lt.tmpdir()
        ok = True
        # two generators at once, as merge is for: both begin at the same
        # --start-at (merge refuses runs that did not share their time)
        res = together(d, ["--serve", SERVE, "--requests", "1000",
                           "--conns", "10"], 10.0)
        for name in ("a", "b"):
            path, r = res[name]
            INPUTS[name] = path
            INPUTS[f"{name}-result"] = r
            ok = ok and r.rc == 0 and r.json is not None and \
                not r.timed_out
        INPUTS["requests_ok"] = ok
        if not ok:
            res = together(d, ["--serve", SERVE, "--duration", "1s",
                               "--conns", "10"], 10.0, suffix="-duration")
            for name in ("a", "b"):
                path, r = res[name]
                INPUTS[name] = path
                if r.rc != 0 or r.json is None:
                    INPUTS["fallback_error"] = r.describe()
    if "fallback_error" in INPUTS:
        t.fail(f"could not make input runs: {INPUTS['fallback_error']}")
    if not INPUTS["requests_ok"] and not INPUTS.get("noted"):
        INPUTS["noted"] = True
        t.note("--requests runs failed; the merge tests use two --duration "
               "1s runs instead")
    return load_json(INPUTS["a"]), load_json(INPUTS["b"])


def load_json(path):
    with open(path) as f:
        return json.load(f)


def merge(t, files, out=None, rc=0, timeout=10):
    if out is None:
        out = os.path.join(lt.tmpdir(), "merged.json")
    r = run_load(list(files), timeout, json_path=out, sub="merge")
    if rc is not None and (r.timed_out or r.rc != rc):
        t.fail(f"sockbench merge: expected exit {rc}, actual {r.describe()}")
    return r


# ----------------------------------------------------------------- tests

def test_requests_runs(t):
    inputs(t)
    for name in ("a", "b"):
        r = INPUTS[f"{name}-result"]
        j = require_run(t, r, what=f"run {name} (--requests 1000)")
        t.eq(f"run {name}: load.requests.completed", 1000,
             dig(j, "load.requests.completed"))
        t.eq(f"run {name}: server.requests", 1000, dig(j, "server.requests"))


def check_percentile_code(t, j, where):
    """Our Python percentiles equal what sockbench wrote for run j."""
    for path in HISTS:
        lat = dig(j, path)
        h = (lat or {}).get("histogram") or {}
        if not h.get("buckets"):
            continue
        want = lt.expected_latency_us(h)
        for k, v in want.items():
            t.check(lt.close_enough(lat.get(k), v), f"{where} {path}.{k}: "
                    f"sockbench's value vs this test's computation from the "
                    f"buckets", v, lat.get(k))


def test_percentile_code_selfcheck(t):
    a, b = inputs(t)
    check_percentile_code(t, a, "a.json")
    check_percentile_code(t, b, "b.json")
    # merge of one file: the same histograms and percentiles
    r = merge(t, [INPUTS["a"]])
    m = r.json
    t.require(m is not None, f"merge of one file wrote no JSON: "
              f"{r.describe()}")
    for path in HISTS:
        for k in ("min", "p50", "p90", "p99", "p999", "max", "mean"):
            t.check(lt.close_enough(dig(m, f"{path}.{k}"),
                                    dig(a, f"{path}.{k}")),
                    f"merge(a) {path}.{k}", dig(a, f"{path}.{k}"),
                    dig(m, f"{path}.{k}"))
        t.eq(f"merge(a) {path}.histogram.buckets",
             dig(a, f"{path}.histogram.buckets"),
             dig(m, f"{path}.histogram.buckets"))
    for path in COUNTS:
        t.eq(f"merge(a) {path}", dig(a, path), dig(m, path))


def sum_buckets(*lists):
    acc = {}
    for b in lists:
        for upper, n in b or []:
            acc[upper] = acc.get(upper, 0) + n
    return [[u, acc[u]] for u in sorted(acc)]


def test_merge_two(t):
    a, b = inputs(t)
    r = merge(t, [INPUTS["a"], INPUTS["b"]])
    m = r.json
    t.require(m is not None, f"merge wrote no JSON: {r.describe()}")
    t.eq("merged schema", "sockbench.run/2", m.get("schema"))
    lt.check_run_shape(t, m, started_server=None)
    if INPUTS["requests_ok"]:
        t.eq("merged load.requests.completed", 2000,
             dig(m, "load.requests.completed"))
    for path in COUNTS:
        va, vb = dig(a, path), dig(b, path)
        if lt.is_int(va) and lt.is_int(vb):
            t.eq(f"merged {path} (sum of the inputs {va} + {vb})", va + vb,
                 dig(m, path))
        else:
            t._record(f"input {path}: expected integers, actual {va!r}, "
                      f"{vb!r}")
    for path in RATES:
        va, vb = dig(a, path), dig(b, path)
        t.check(lt.close_enough(dig(m, path), (va or 0) + (vb or 0),
                                rel=1e-6), f"merged {path}",
                f"{va} + {vb}", dig(m, path))
    ea, eb = dig(a, "load.errors") or {}, dig(b, "load.errors") or {}
    want = {k: ea.get(k, 0) + eb.get(k, 0) for k in set(ea) | set(eb)}
    t.eq("merged load.errors", want, dig(m, "load.errors"))
    for path in HISTS:
        ha = dig(a, f"{path}.histogram") or {}
        hb = dig(b, f"{path}.histogram") or {}
        hm = dig(m, f"{path}.histogram") or {}
        want_b = sum_buckets(ha.get("buckets"), hb.get("buckets"))
        t.eq(f"merged {path}.histogram.buckets (bucket-wise sum)", want_b,
             hm.get("buckets"))
        t.eq(f"merged {path}.histogram.scheme", ha.get("scheme"),
             hm.get("scheme"))
        count = sum(n for _, n in want_b)
        if "count" in hm:
            t.eq(f"merged {path}.histogram.count", count, hm.get("count"))
        mins = [h.get("min_ns") for h in (ha, hb) if h.get("min_ns")
                is not None]
        maxs = [h.get("max_ns") for h in (ha, hb) if h.get("max_ns")
                is not None]
        if mins:
            t.eq(f"merged {path}.histogram.min_ns", min(mins),
                 hm.get("min_ns"))
            t.eq(f"merged {path}.histogram.max_ns", max(maxs),
                 hm.get("max_ns"))
        if "sum_ns" in hm:
            t.eq(f"merged {path}.histogram.sum_ns",
                 (ha.get("sum_ns") or 0) + (hb.get("sum_ns") or 0),
                 hm.get("sum_ns"))
        if not want_b:
            continue
        exp = lt.expected_latency_us({
            "buckets": want_b, "min_ns": min(mins), "max_ns": max(maxs),
            "sum_ns": (ha.get("sum_ns") or 0) + (hb.get("sum_ns") or 0)})
        lat = dig(m, path) or {}
        for k in ("min", "p50", "p90", "p99", "p999", "max", "mean"):
            t.check(lt.close_enough(lat.get(k), exp[k]), f"merged {path}.{k}"
                    f" (from the summed buckets)", exp[k], lat.get(k))
    t.eq("merged load.requests.latency_uncorrected_us (closed loop)", None,
         dig(m, "load.requests.latency_uncorrected_us", "missing"))


def test_merge_commutes(t):
    """merge(a, b) and merge(b, a) give the same histograms and counts."""
    inputs(t)
    m1 = merge(t, [INPUTS["a"], INPUTS["b"]]).json or {}
    m2 = merge(t, [INPUTS["b"], INPUTS["a"]]).json or {}
    for path in HISTS:
        t.eq(f"{path} of merge(a,b) vs merge(b,a)", dig(m1, path),
             dig(m2, path))
    for path in COUNTS:
        t.eq(f"{path} of merge(a,b) vs merge(b,a)", dig(m1, path),
             dig(m2, path))


def test_scheme_mismatch(t):
    a, b = inputs(t)
    for path in HISTS:
        c = copy.deepcopy(b)
        h = dig(c, f"{path}.histogram")
        t.require(isinstance(h, dict), f"b.json {path}.histogram: expected "
                  f"an object, actual {h!r}")
        odd = "log-linear ns sub_bits=5"
        h["scheme"] = odd
        cp = os.path.join(lt.tmpdir(), "c.json")
        with open(cp, "w") as f:
            json.dump(c, f)
        out = os.path.join(lt.tmpdir(), "never.json")
        r = merge(t, [INPUTS["a"], cp], out=out, rc=None)
        what = f"merge a.json + copy with {path} scheme '{odd}'"
        t.eq(f"{what}: exit status", 1, r.rc)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        t.check(len(lines) == 1 and odd in lines[0], f"{what}: stderr",
                f"one line naming the scheme '{odd}'", r.stderr)
        t.eq(f"{what}: output file written", False, os.path.exists(out))


def test_missing_file(t):
    inputs(t)
    missing = os.path.join(lt.tmpdir(), "no-such-run.json")
    out = os.path.join(lt.tmpdir(), "never.json")
    r = merge(t, [INPUTS["a"], missing], out=out, rc=None)
    t.eq("merge with a missing file: exit status", 1, r.rc)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    t.check(len(lines) == 1 and "no-such-run.json" in lines[0],
            "merge with a missing file: stderr", "one line naming the file",
            r.stderr)
    t.eq("merge with a missing file: output file written", False,
         os.path.exists(out))


def refused(t, files, words, what, extra=()):
    out = os.path.join(lt.tmpdir(), "never.json")
    r = run_load(list(files) + list(extra), 10, json_path=out, sub="merge")
    t.eq(f"{what}: exit status", 2, r.rc)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    t.check(len(lines) == 1 and all(w in lines[0] for w in words),
            f"{what}: stderr", f"one line with {words}", r.stderr)
    t.eq(f"{what}: output file written", False, os.path.exists(out))


def test_refusals(t):
    """What cannot be summed (issue 'Truth across runs'): another mode, the
    same run twice, runs one after another."""
    inputs(t)
    d = lt.tmpdir()
    refused(t, [INPUTS["a"], INPUTS["a"]], ["same run"], "the same file twice")
    cp = os.path.join(d, "copy.json")
    with open(INPUTS["a"]) as f, open(cp, "w") as g:
        g.write(f.read())
    refused(t, [INPUTS["a"], cp], ["same run"], "a file and its copy")
    http = os.path.join(d, "http.json")
    r = run_load(["--serve", "--model epoll", "--mode", "http",
                  "--requests", "200"], 10, json_path=http)
    refused(t, [INPUTS["a"], http], ["http", "rr"], "rr with http")
    # two runs one after another: not one run at twice the rate
    seq = []
    for name in ("s1", "s2"):
        path = os.path.join(d, f"{name}.json")
        run_load(["--serve", SERVE, "--duration", "0.3", "--conns", "2",
                  "--threads", "1"], 10, json_path=path)
        seq.append(path)
    refused(t, seq, ["share", "--allow-sequential"], "runs one after another")
    out = os.path.join(d, "seq-merged.json")
    r = run_load(seq + ["--allow-sequential"], 10, json_path=out, sub="merge")
    t.eq("--allow-sequential: exit status", 0, r.rc)
    m = (r.json or {}).get("merge") or {}
    t.eq("--allow-sequential: merge.sequential_allowed", True,
         m.get("sequential_allowed"))
    t.check(m.get("overlap_s") == 0 and len(m.get("inputs", [])) == 2,
            "--allow-sequential: merge.overlap_s and inputs", "0, 2 inputs", m)
    # the two generators of INPUTS ran together: their overlap is recorded
    r = merge(t, [INPUTS["a"], INPUTS["b"]])
    m = (r.json or {}).get("merge") or {}
    t.check(m.get("overlap_s", 0) > 0 and not m.get("sequential_allowed"),
            "a and b (same --start-at): merge.overlap_s", "> 0", m)


def cases(runner):
    runner.run("requests-1000-runs", test_requests_runs, timeout=40)
    runner.run("percentile-code-selfcheck",
               test_percentile_code_selfcheck, timeout=40)
    runner.run("merge-two-runs", test_merge_two, timeout=40)
    runner.run("merge-commutes", test_merge_commutes, timeout=40)
    runner.run("scheme-mismatch-refused", test_scheme_mismatch,
               timeout=40)
    runner.run("missing-file", test_missing_file, timeout=40)
    runner.run("refusals", test_refusals, timeout=60)


def main():
    sbtest.parse_args(__doc__)
    lt.run_tests("test_merge", cases)


if __name__ == "__main__":
    main()
