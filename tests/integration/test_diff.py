#!/usr/bin/env python3
"""`sockbench diff DIR_A DIR_B`: two result sets compared cell by cell
(README "Comparing two result sets", docs/results.md).

One tiny real sweep (5 runs of 0.2 s) gives the template: its sweep.json
and a run JSON, exactly as a sweep writes them.  The synthetic sets are
made from it, only the figures, cells and ids changed:

  - a known difference: B's req/s 1.5 x A's, B's p99 0.6 x, with a few %
    of jitter each, 6 runs a side: B faster (and better on p99), the
    ratio near 1.5 and inside its interval, p < 0.05;
  - the same runs twice (and A's runs shuffled among B's repeats): `~`
    everywhere, verdict "same", no difference claimed;
  - 3 + 3 with the same 1.5 x: "too few repeats (3+3)", no verdict;
  - other axes, a missing directory, not a sweep, malformed JSON, one
    directory: one line on stderr, exit 1 (2 for the command line);
  - --json parsed and checked, and the same twice (a fixed seed);
  - a setting held fixed that differs (a warning naming it), another
    kernel (an informational line), a failed run (left out and counted),
    a cell in one set only (listed, not compared).

And the real sweep against itself: `~`.

    python3 tests/integration/test_diff.py --bin build/sockbench [-k NAME]
"""

import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

TEMPLATE = {}   # "dir", "sweep" (sweep.json), "run" (one run JSON)


def run(args, timeout=30):
    return sbtest.run_proc([sbtest.BIN] + args, timeout)


def diff(t, a, b, *more, rc=0):
    r = run(["diff", a, b] + list(more))
    t.require(not r.timed_out, f"diff still running after 30 s: {r.show()}")
    t.require(r.rc == rc, f"diff exit status: expected {rc}, actual {r.rc}: "
              f"{r.show()}")
    return r


def template(t):
    """The real sweep (made once): 5 runs of one cell."""
    if TEMPLATE:
        return TEMPLATE
    d = os.path.join(lt.tmpdir(), "real")
    r = run(["sweep", "--model", "epoll", "--backlog", "8", "--repeat", "5",
             "--duration", "0.2", "--conns", "4", "--threads", "1",
             "--quiet", "--out", d], timeout=60)
    t.require(r.rc == 0, f"the template sweep failed: {r.show()}")
    with open(os.path.join(d, "sweep.json")) as f:
        sw = json.load(f)
    runs = sorted(os.listdir(os.path.join(d, "runs")))
    runs = [x for x in runs if x.endswith(".json")]
    t.require(len(runs) == 5, f"5 run files, found {runs}")
    with open(os.path.join(d, "runs", runs[0])) as f:
        one = json.load(f)
    TEMPLATE.update(dir=d, sweep=sw, run=one)
    return TEMPLATE


def make_set(t, name, cells, figures, axis="backlog", sid=None, tweak=None):
    """A results directory as a sweep writes it: cells = the axis' values,
    figures(cell_value, k) = (req/s, p99 us) of repeat k (1..) or None for
    no run; tweak(run) changes a run in place."""
    tp = template(t)
    d = os.path.join(lt.tmpdir(), name)
    os.makedirs(os.path.join(d, "runs"))
    sid = sid or (name.encode().hex() + "0" * 16)[:16]
    sw = copy.deepcopy(tp["sweep"])
    sw["axes"][axis] = list(cells)
    if axis != "backlog":
        sw["axes"]["backlog"] = ["8"]
    sw["sweep_id"] = sid
    names = []
    for ci, v in enumerate(cells):
        k = 1
        while True:
            fig = figures(v, k)
            if fig is None:
                break
            r = copy.deepcopy(tp["run"])
            r["sweep"].update(cell=ci, repeat=k, sweep_id=sid)
            r["sweep"]["values"][axis] = v
            if axis == "backlog":
                r["config"]["server"]["backlog"] = int(v)
            else:
                r["config"]["load"][axis] = int(v)
            r["load"]["throughput"]["requests_per_s"] = fig[0]
            r["load"]["requests"]["latency_us"]["p99"] = fig[1]
            if tweak:
                tweak(r)
            fn = f"{ci:04d}-{axis}-{v}-r{k}.json"
            names.append(fn)
            with open(os.path.join(d, "runs", fn), "w") as f:
                json.dump(r, f)
            k += 1
    sw["runs"] = names
    sw["cells"] = len(cells)
    sw["repeat"] = max(1, len(names) // max(1, len(cells)))
    with open(os.path.join(d, "sweep.json"), "w") as f:
        json.dump(sw, f)
    return d


def jittered(seed, n, scale=1.0):
    """figures(v, k) for n repeats: req/s about 100k (times scale), p99
    about 500 us (times 0.6 when scale is not 1: a clear shift the other
    way), each +-3%, drawn from a generator seeded with seed."""
    rng = random.Random(seed)
    vals = {}

    def fig(v, k):
        if k > n:
            return None
        if (v, k) not in vals:
            base = 100000 * (1 + int(v) / 1000)
            vals[(v, k)] = (base * scale * rng.uniform(0.97, 1.03),
                            500 * (0.6 if scale != 1 else 1) *
                            rng.uniform(0.97, 1.03))
        return vals[(v, k)]
    return fig


def blocks(out):
    """{figure label: [[cell, A, B, B/A, CI, p, n, verdict], ...]}"""
    res = {}
    for blk in out.split("\n\n"):
        lines = blk.strip("\n").splitlines()
        m = lines and re.match(r"^(.+) \((higher|lower) is better\)$",
                               lines[0])
        if not m:
            continue
        rows = [re.split(r"\s{2,}", ln.strip()) for ln in lines[2:]
                if ln and not ln.startswith("runs left out")]
        res[m.group(1)] = [r + [""] * (8 - len(r)) for r in rows]
    return res


def row_of(t, out, label, cell):
    b = blocks(out)
    t.require(label in b, f"a '{label}' table in {out!r}")
    rows = [r for r in b[label] if r[0] == cell]
    t.require(len(rows) == 1, f"one row {cell} in the {label} table: {out!r}")
    return rows[0]


def load_json(t, path):
    with open(path) as f:
        return json.load(f)


def cellfig(j, cell, fig):
    for c in j["cells"]:
        if c["cell"] == cell:
            return c["figures"][fig]
    return None


# ---------------------------------------------------------------- tests

def test_known_difference(t):
    a = make_set(t, "a", ["8", "64"], jittered(1, 6))
    b = make_set(t, "b", ["8", "64"], jittered(2, 6, scale=1.5))
    js = os.path.join(lt.tmpdir(), "d.json")
    r = diff(t, a, b, "--json", js)
    j = load_json(t, js)
    for cell in ("backlog=8", "backlog=64"):
        row = row_of(t, r.out, "req/s", cell)
        t.eq(f"{cell} req/s verdict", "B faster", row[7])
        t.eq(f"{cell} n", "6+6", row[6])
        c = cellfig(j, cell, "requests_per_s")
        t.eq(f"{cell} json verdict", "better", c["verdict"])
        lo, hi = c["ci95"]
        t.check(1.4 < c["ratio"] < 1.6 and lo <= c["ratio"] <= hi and lo > 1,
                f"{cell} ratio in its interval, near 1.5, interval above 1",
                "1.4 < ratio < 1.6, lo <= ratio <= hi, lo > 1", c)
        t.check(c["p"] < 0.05 and c["p_method"] == "exact",
                f"{cell} p", "< 0.05, exact", c)
        # 6 + 6 all apart: 2 / C(12, 6) = 2/924
        t.check(abs(c["p"] - 2 / 924) < 1e-9, f"{cell} p", 2 / 924, c["p"])
        row = row_of(t, r.out, "p99", cell)
        t.eq(f"{cell} p99 verdict (B lower)", "B better (lower)", row[7])
        t.eq(f"{cell} json p99 verdict", "better",
             cellfig(j, cell, "p99_us")["verdict"])
    t.check("~" not in r.out.split("B/A: median")[0], "no ~", "none", r.out)


def test_same_sets(t):
    a = make_set(t, "same-a", ["8", "64"], jittered(3, 6))
    b = os.path.join(lt.tmpdir(), "same-b")
    shutil.copytree(a, b)
    # A's values again, in another order among B's repeats
    vals = jittered(3, 6)
    c = make_set(t, "same-c", ["8", "64"],
                 lambda v, k: vals(v, 7 - k) if k <= 6 else None)
    js = os.path.join(lt.tmpdir(), "same.json")
    for other in (b, c):
        r = diff(t, a, other, "--json", js)
        j = load_json(t, js)
        for cell in ("backlog=8", "backlog=64"):
            for label, fig in (("req/s", "requests_per_s"), ("p99", "p99_us")):
                row = row_of(t, r.out, label, cell)
                t.eq(f"{other} {cell} {label}: B/A", "~", row[3])
                t.eq(f"{other} {cell} {label}: no verdict", "", row[7])
                x = cellfig(j, cell, fig)
                t.eq(f"{cell} {fig} json verdict", "same", x["verdict"])
                t.check(abs(x["p"] - 1) < 1e-12, f"{cell} {fig} p", 1, x["p"])
                t.check(x["ci95"][0] <= 1 <= x["ci95"][1],
                        f"{cell} CI holds 1",
                        "lo <= 1 <= hi", x["ci95"])
        for label, rows in blocks(r.out).items():
            for row in rows[1:]:
                claim = re.search(r"faster|slower|better|worse",
                                  " ".join(row))
                t.check(not claim, f"{label} {row[0]}: no difference claimed",
                        "none", row)


def test_too_few(t):
    a = make_set(t, "few-a", ["8", "64"], jittered(4, 3))
    b = make_set(t, "few-b", ["8", "64"], jittered(5, 3, scale=1.5))
    js = os.path.join(lt.tmpdir(), "few.json")
    r = diff(t, a, b, "--json", js)
    j = load_json(t, js)
    for cell in ("backlog=8", "backlog=64"):
        row = row_of(t, r.out, "req/s", cell)
        t.eq(f"{cell} verdict", "too few repeats (3+3)", row[7])
        c = cellfig(j, cell, "requests_per_s")
        t.eq(f"{cell} json verdict", "too_few", c["verdict"])
        t.check(abs(c["p"] - 0.1) < 1e-12, f"{cell} p (3+3 apart)", 0.1,
                c["p"])
        t.check(c["median_a"] > 0 and c["median_b"] > 0, "medians shown",
                "both > 0", c)


def test_refusals(t):
    a = make_set(t, "ref-a", ["8", "64"], jittered(6, 5))
    other = make_set(t, "ref-conns", ["4", "16"], jittered(7, 5), axis="conns")
    d = lt.tmpdir()
    empty = os.path.join(d, "empty")
    os.makedirs(empty)
    bad = os.path.join(d, "bad")
    shutil.copytree(a, bad)
    with open(os.path.join(bad, "sweep.json"), "w") as f:
        f.write('{"schema": "sockbench.sweep/1", "axes": {')
    notsweep = os.path.join(d, "notsweep")
    shutil.copytree(a, notsweep)
    with open(os.path.join(notsweep, "sweep.json"), "w") as f:
        json.dump({"schema": "sockbench.run/1"}, f)
    cases = [
        ("other axes", [a, other], 1, ["backlog", "conns", "axes"]),
        ("missing dir", [a, os.path.join(d, "nope")], 1, ["nope"]),
        ("not a sweep (empty)", [empty, a], 1, ["empty", "sweep.json"]),
        ("malformed sweep.json", [a, bad], 1, ["bad/sweep.json"]),
        ("wrong schema", [a, notsweep], 1, ["sockbench.run/1"]),
        ("one directory", [a], 2, ["two results directories"]),
        ("three", [a, a, a], 2, ["two results directories"]),
        ("bad option", [a, a, "--alpha", "0"], 2, ["--alpha"]),
        ("unknown option", [a, a, "--frob"], 2, ["--frob"]),
    ]
    js = os.path.join(d, "never.json")
    for name, args, rc, words in cases:
        r = run(["diff"] + args + ["--json", js])
        lines = r.err_lines()
        t.eq(f"{name}: exit", rc, r.rc)
        t.check(len(lines) == 1 and all(w in lines[0] for w in words),
                f"{name}: one stderr line naming {words}", words, r.err)
        t.eq(f"{name}: nothing on stdout", "", r.out)
    t.check(not os.path.exists(js), "no --json written on a refusal",
            "absent", js)
    # a table that did not reach its reader is a failure too
    with open("/dev/full", "w") as full:
        r = subprocess.run([sbtest.BIN, "diff", a, a], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=30)
    t.eq("diff > /dev/full: exit", 1, r.returncode)
    t.check("stdout" in r.stderr and len(r.stderr.splitlines()) == 1,
            "diff > /dev/full: one line naming stdout", "stdout", r.stderr)


def test_json_and_reproducible(t):
    a = make_set(t, "js-a", ["8", "64"], jittered(8, 5))
    b = make_set(t, "js-b", ["8", "64"], jittered(9, 5, scale=1.5))
    d = lt.tmpdir()
    p1, p2 = os.path.join(d, "1.json"), os.path.join(d, "2.json")
    r1 = diff(t, a, b, "--json", p1)
    r2 = diff(t, a, b, "--json", p2, "--seed", "1")
    with open(p1) as f1, open(p2) as f2:
        t.eq("the same runs and seed: the same JSON", f1.read(), f2.read())
    t.eq("the same table", r1.out, r2.out)
    j = load_json(t, p1)
    t.eq("schema", "sockbench.diff/1", j["schema"])
    t.eq("axes", ["backlog"], j["axes"])
    t.eq("a.dir", a, j["a"]["dir"])
    t.eq("b.runs", 10, j["b"]["runs"])
    t.eq("bootstrap", {"resamples": 10000, "seed": 1, "level": 0.95,
                       "method": "percentile"}, j["bootstrap"])
    t.eq("figures", ["requests_per_s", "p99_us"],
         [f["name"] for f in j["figures"]])
    t.eq("p99 is lower-better", "lower", j["figures"][1]["better"])
    c = cellfig(j, "backlog=8", "requests_per_s")
    keys = {"median_a", "median_b", "n_a", "n_b", "ratio", "ci95", "p",
            "verdict", "p_method", "left_out_a", "left_out_b"}
    t.check(keys <= set(c), "cell keys", sorted(keys), sorted(c))
    t.check(abs(c["p"] - 2 / 252) < 1e-9, "5+5 all apart: p", 2 / 252, c["p"])
    diff(t, a, b, "--json", os.path.join(d, "3.json"), "--seed", "2")
    j3 = load_json(t, os.path.join(d, "3.json"))
    c3 = cellfig(j3, "backlog=8", "requests_per_s")
    # (the medians of resamples of 5 are 5 values: the percentiles of
    # their 25 ratios often fall on the same two, whatever the seed)
    t.check(all(abs(x - y) < 0.05 for x, y in zip(c["ci95"], c3["ci95"])) and
            c3["ci95"][0] <= c3["ratio"] <= c3["ci95"][1],
            "another seed: an interval as good", "close, holding the ratio",
            (c["ci95"], c3["ci95"]))
    t.eq("--seed 2 recorded", 2, j3["bootstrap"]["seed"])
    r4 = diff(t, a, b, "--json", "-")
    t.eq("--json -: stdout holds the JSON alone", j["cells"],
         json.loads(r4.out)["cells"])


def test_settings_env_failed_only(t):
    a = make_set(t, "set-a", ["8", "64"], jittered(10, 6))

    def tweak(r):
        r["config"]["load"]["duration"] = 1.0
        r["environment"]["kernel"] = "9.9.9-other"
    fig = jittered(10, 6)
    b = make_set(t, "set-b", ["8", "64", "512"], fig, tweak=tweak)
    # one failed run in B
    runs = os.path.join(b, "runs")
    victim = sorted(os.listdir(runs))[0]
    with open(os.path.join(runs, victim)) as f:
        x = json.load(f)
    x["error"] = "server crashed"
    with open(os.path.join(runs, victim), "w") as f:
        json.dump(x, f)
    # and a file that is not JSON at all
    with open(os.path.join(runs, "0009-junk-r1.json"), "w") as f:
        f.write("{not json")
    js = os.path.join(lt.tmpdir(), "set.json")
    r = diff(t, a, b, "--json", js)
    j = load_json(t, js)
    t.check(re.search(r"^warning: .*duration: A 0\.2, B 1\.0$", r.out, re.M),
            "a warning naming the setting",
            "warning ... duration: A 0.2, B 1.0",
            r.out)
    t.check(re.search(r"^environment differs \(informational\): kernel: A .*, "
                      r"B \"9\.9\.9-other\"$", r.out, re.M),
            "an informational line naming the kernel", "kernel line", r.out)
    t.eq("settings_differ", [{"setting": "duration", "a": 0.2, "b": 1.0}],
         j["settings_differ"])
    t.check("only in B (not compared): backlog=512" in r.out,
            "the cell in B only listed", "listed", r.out)
    t.eq("only_b", ["backlog=512"], j["only_b"])
    row = row_of(t, r.out, "req/s", "backlog=8")
    t.eq("n with the failed run left out", "6+5", row[6])
    t.eq("B/A of the same values less one", "~", row[3])
    c = cellfig(j, "backlog=8", "requests_per_s")
    t.eq("left_out_b", 1, c["left_out_b"])
    t.check("runs left out (failed, or no req/s): backlog=8: 0 in A, 1 in B"
            in r.out, "the left-out run said", "a line", r.out)
    t.check(re.search(r"^note: .*0009-junk-r1\.json left out", r.out, re.M),
            "the malformed file noted", "note line", r.out)
    t.eq("b.failed", 1, j["b"]["failed"])


def test_real_against_itself(t):
    d = template(t)["dir"]
    js = os.path.join(lt.tmpdir(), "real.json")
    r = diff(t, d, d, "--json", js)
    j = load_json(t, js)
    row = row_of(t, r.out, "req/s", "(one cell)")
    t.eq("real sweep against itself: B/A", "~", row[3])
    t.eq("n", "5+5", row[6])
    for f in ("requests_per_s", "p99_us"):
        t.eq(f"{f} verdict", "same", j["cells"][0]["figures"][f]["verdict"])
    t.eq("no settings differ", [], j["settings_differ"])
    t.eq("no environment differs", [], j["environment_differ"])


def cases(runner):
    runner.run("real-against-itself", test_real_against_itself, timeout=60)
    runner.run("known-difference", test_known_difference, timeout=30)
    runner.run("same-sets", test_same_sets, timeout=30)
    runner.run("too-few-repeats", test_too_few, timeout=30)
    runner.run("refusals", test_refusals, timeout=30)
    runner.run("json-reproducible", test_json_and_reproducible, timeout=30)
    runner.run("settings-env-failed-only", test_settings_env_failed_only,
               timeout=30)


def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    lt.run_tests("test_diff", cases)


if __name__ == "__main__":
    main()
