#!/usr/bin/env python3
"""Hostile names on the client side and in results (issue 15, "Safe by
construction"): paths and values sockbench did not choose.

    python3 tests/integration/test_hostile_client.py --bin build/sockbench [-k NAME]

Each case was seen to go wrong before the change:
- plot-shell-metachars: `plot` of a directory named `a$(touch PWNED)b`
  whose runs carry the value `poll$(touch${IFS}X)`: popen's shell ran both
  (PWNED and X appeared) and no figure was drawn; the other series,
  named with quotes (two in a row, and first) and backquotes, is drawn
  and named as written;
- plot-gnuplot-doors: directories named `<>PWNED_LT;x` (gnuplot reads a
  file '<cmd' from a command), `|>PWNED_PIPE;x` (`set output '|cmd'`
  writes to one), with backquotes, with spaces, with single quotes (one;
  two in a row, and first), a double quote, a newline, UTF-8: commands
  ran, or gnuplot drew nothing; index.html's <title> held `<` unescaped;
- lesson-hostile-out: `lesson backlog --quick --out` a directory with
  spaces, quotes, $(...), backquotes, <, | and UTF-8: no figure drawn;
- no-shell-in-c: `popen(` in bench/plot/plot_io.c (no `system(`, `popen(`
  or `sh -c` may be in lib/ servers/ bench/ include/ main.c).
"Nothing ran": no marker file in the working directory, the results
directories or /tmp. Later cases join the list in cases().
Root: sweeps run each cell in a private network namespace.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", ".."))
FAST = ["--duration", "0.2", "--threads", "1", "--quiet"]
EVIL = "poll$(touch${IFS}X)"
# quotes as gnuplot's scanner trips on them ('' twice in a row, or first)
QUOTES = "''q''''uoted' \"dq\" `id`"
# Files a command in a name would create, relative to the working
# directory (names hold no '/'), and the same under /tmp.
MARKERS = ["PWNED", "X", "PWNED_LT", "PWNED_PIPE", "PWNED_BQ", "PWNED_DQ",
           "PWNED_L", "PWNED_LB"]
MODEL_FIGS = ["models", "tail", "fairness"]
BACKLOG_FIGS = ["connect_cdf", "established", "overflows", "accept_queue"]

_base = []


def base_results(t):
    """One sweep (epoll and poll, conns 1 and 2) to copy under each name,
    itself written to a hostile --out (relative, as typed)."""
    if not _base:
        work = lt.tmpdir()
        before = tmp_markers()
        out = "sweep 'q' \"dq\" $(touch PWNED) `touch PWNED_BQ` <x |y ü"
        r = run(["sweep", "--out", out, "--models", "epoll,poll", "--conns",
                 "1,2"] + FAST, cwd=work)
        t.require(r.returncode == 0, f"base sweep --out {out!r}: exit status "
                  f"0 expected, actual {r.returncode}: {r.stderr[-400:]}")
        t.eq("base sweep: run files", 4, len([
            f for f in os.listdir(os.path.join(work, out, "runs"))
            if f.endswith(".json")]))
        nothing_ran(t, work, before)
        t.eq("base sweep: the working directory", [out], os.listdir(work))
        _base.append(os.path.join(work, out))
    return _base[0]


def tmp_markers():
    return {m for m in MARKERS if os.path.lexists(os.path.join("/tmp", m))}


def run(args, cwd, timeout=60):
    return subprocess.run([sbtest.BIN] + args, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def nothing_ran(t, work, before):
    """No marker in work (walked: the results dirs are in it) nor /tmp."""
    found = [os.path.join(d, f) for d, dirs, files in os.walk(work)
             for f in dirs + files if f in MARKERS]
    t.eq("marker files under the working directory (commands that ran)",
         [], found)
    t.eq("new marker files in /tmp", set(), tmp_markers() - before)


def html_text(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def figures_drawn(t, d, figs, what):
    for fig in figs:
        for ext in ("png", "svg"):
            p = os.path.join(d, "plots", f"{fig}.{ext}")
            size = os.path.getsize(p) if os.path.exists(p) else None
            t.check(size, f"{what}: plots/{fig}.{ext}", "a non-empty file",
                    size if size is not None else "missing")
    p = os.path.join(d, "plots", "models.png")
    if "models" in figs and os.path.exists(p):
        with open(p, "rb") as f:
            t.eq(f"{what}: models.png signature", b"\x89PNG\r\n\x1a\n",
                 f.read(8))


def test_plot_shell_metachars(t):
    work = lt.tmpdir()
    before = tmp_markers()
    name = "a$(touch PWNED)b"
    d = os.path.join(work, name)
    shutil.copytree(base_results(t), d)
    # each run's model, in its run file's values and config
    for f in os.listdir(os.path.join(d, "runs")):
        p = os.path.join(d, "runs", f)
        if not f.endswith(".json"):
            continue
        with open(p) as fh:
            j = json.load(fh)
        model = {"poll": EVIL, "epoll": QUOTES}[j["sweep"]["values"]["models"]]
        j["sweep"]["values"]["models"] = model
        j["config"]["server"]["model"] = model
        with open(p, "w") as fh:
            json.dump(j, fh)
    r = run(["plot", name], cwd=work)
    t.check(r.returncode == 0, f"plot {name}: exit status", 0,
            f"{r.returncode}: {r.stderr[-600:]}")
    figures_drawn(t, d, MODEL_FIGS, name)
    cap = re.search(r"^  models: .*", r.stdout, re.M)
    for title in (EVIL, QUOTES):
        t.check(cap and f"{title}: " in cap.group(0), "models caption",
                f"names the series {title} as written",
                cap.group(0) if cap else r.stdout)
    nothing_ran(t, work, before)
    t.eq("the working directory", [name], os.listdir(work))


# '<>F;x' and '|>F;x': no space, so that gnuplot's own door is what opens
# (its sh runs ">F;x/plots/...", creating F)
DOORS = ["<>PWNED_LT;x", "|>PWNED_PIPE;x", "a`touch PWNED_BQ`b",
         "with space", "it's", "''lead''''two", 'dq"$(touch PWNED_DQ)',
         "new\nline",
         "ünï ✓ ☃"]


def test_plot_gnuplot_doors(t):
    work = lt.tmpdir()
    before = tmp_markers()
    base = base_results(t)
    for k, name in enumerate(DOORS):
        d = os.path.join(work, name)
        shutil.copytree(base, d)
        arg = d if k == 3 else name  # relative, as typed, and once absolute
        r = run(["plot", arg], cwd=work)
        t.check(r.returncode == 0, f"plot {name!r}: exit status", 0,
                f"{r.returncode}: {r.stderr[-600:]}")
        figures_drawn(t, d, MODEL_FIGS, repr(name))
        # the name in index.html's <title>, escaped
        html = os.path.join(d, "plots", "index.html")
        head = open(html).read(300) if os.path.exists(html) else ""
        title = f"<title>sockbench: {html_text(arg)}</title>"
        t.check(title in head, f"{name!r}: index.html", title, head[:200])
    nothing_ran(t, work, before)
    t.eq("the working directory (nothing written outside the results)",
         sorted(DOORS), sorted(os.listdir(work)))


def test_lesson_hostile_out(t):
    work = lt.tmpdir()
    before = tmp_markers()
    out = "les 'q' \"dq\" $(touch PWNED_L) `touch PWNED_LB` <x |y ü"
    r = run(["lesson", "backlog", "--quick", "--out", out], cwd=work,
            timeout=120)
    t.check(r.returncode == 0, "lesson backlog --quick --out (spaces, "
            "quotes, $, `, <, |, ü): exit status", 0,
            f"{r.returncode}: {r.stderr[-800:]}")
    d = os.path.join(work, out)
    figures_drawn(t, d, BACKLOG_FIGS, "lesson backlog")
    html = os.path.join(d, "plots", "index.html")
    t.check(os.path.exists(html), "plots/index.html", "written", "missing")
    nothing_ran(t, work, before)
    t.eq("the working directory", [out], os.listdir(work))


# A shell between sockbench and a program it starts: each a regex over the
# raw text (comments too: a comment that quotes one reads as one).
SHELL_DOORS = [r"\bsystem\s*\(", r"\bpopen\s*\(", r"\b(ba|da)?sh -c\b",
               r'"(/bin/|/usr/bin/)?(ba|da)?sh"']


def test_no_shell_in_c(t):
    hits = []
    for top in ("lib", "servers", "bench", "include", "main.c"):
        path = os.path.join(ROOT, top)
        files = [path] if os.path.isfile(path) else [
            os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs
            if f.endswith((".c", ".h"))]
        for f in sorted(files):
            with open(f, encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    if any(re.search(p, line) for p in SHELL_DOORS):
                        hits.append(f"{os.path.relpath(f, ROOT)}:{n}: "
                                    f"{line.strip()}")
    t.eq("system(), popen(), sh -c in the C sources", [], hits)


def cases(runner):
    sbtest.require_root(__file__, "sweeps use private network namespaces")
    runner.run("no-shell-in-c", test_no_shell_in_c, timeout=30)
    runner.run("plot-shell-metachars", test_plot_shell_metachars, timeout=60)
    runner.run("plot-gnuplot-doors", test_plot_gnuplot_doors, timeout=90)
    runner.run("lesson-hostile-out", test_lesson_hostile_out, timeout=120)


def main():
    sbtest.parse_args(__doc__)
    lt.run_tests("test_hostile_client", cases)


if __name__ == "__main__":
    main()
