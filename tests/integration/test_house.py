#!/usr/bin/env python3
"""The house rules of the source tree (STYLE.md, "What that means here"),
read from the sources, no binary needed:

    python3 tests/integration/test_house.py [-k NAME]

  file_size        no C file under lib/ servers/ bench/ or main.c over
                   MAX_FILE_LINES lines
  function_size    no function over MAX_FUNC_LINES lines as universal-ctags
                   measures them (end - line + 1), but the state machines
                   of STATE_MACHINES, each saying "state machine" in the
                   comment just above it
  include_direction  includes run one way, lib <- servers/core <- servers
                   and lib <- servers/core <- bench/load <- bench/sweep <-
                   bench/plot <- main.c, with lib <- bench/live <- (load,
                   sweep, plot, main.c): a header of include/sockbench/
                   belongs to the folder that defines its functions, and a
                   header inside a folder is that folder's own
  no_file_cycle    no two .c files of one folder that each call a function
                   the other defines

Needs universal-ctags (`ctags`; scripts/setup installs it).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sbtest  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOPS = ["lib", "servers", "bench"]

MAX_FILE_LINES = 600
MAX_FUNC_LINES = 80

# Functions allowed past MAX_FUNC_LINES: state machines, one function on
# purpose, each with a comment just above it that says "state machine".
# (lib/http_resp.c, the HTTP reply framing that was one, is now a switch
# over small functions, each under the limit.)
STATE_MACHINES = set()


# Each folder and the folders whose headers it may include (its own too).
MAY_INCLUDE = {
    "lib": {"lib"},
    "servers/core": {"lib", "servers/core"},
    "servers": {"lib", "servers/core", "servers"},
    # the live view: on lib alone, so that load, sweep, plot (lesson) and
    # main.c (replay) all reach it
    "bench/live": {"lib", "bench/live"},
    "bench/load": {"lib", "servers/core", "bench/live", "bench/load"},
    "bench/sweep": {"lib", "servers/core", "bench/live", "bench/load",
                    "bench/sweep"},
    "bench/plot": {"lib", "servers/core", "bench/live", "bench/load",
                   "bench/sweep", "bench/plot"},
    "main.c": {"lib", "servers/core", "servers", "bench/live", "bench/load",
               "bench/sweep", "bench/plot"},
}

# Who owns each header of include/sockbench/, for a header whose functions
# the definitions cannot tell (and checked against them where they can).
OWNERS = {
    "lib": "opt net diag kstat hist proto jsonio strbuf errname clock words "
           "proc",
    "servers/core": "serve server sess stats kids",
    "bench/live": "live",
    "bench/load": "load spawn livefd",
    "bench/sweep": "summ sweep",
    "bench/plot": "plot",
}
OWNER_OF = {f"{h}.h": folder for folder, hs in OWNERS.items()
            for h in hs.split()}


# ------------------------------------------------------------------ sources

def rel(path):
    return os.path.relpath(path, ROOT)


def sources(exts=(".c",)):
    """Files of lib/ servers/ bench/ and main.c, relative to ROOT, sorted."""
    out = []
    for top in TOPS:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            out += [rel(os.path.join(d, f)) for f in files if f.endswith(exts)]
    if os.path.exists(os.path.join(ROOT, "main.c")):
        out.append("main.c")
    return sorted(out)


def folder_of(path):
    """'bench/load/spawn.c' -> 'bench/load'; 'main.c' -> 'main.c'."""
    d = os.path.dirname(path)
    return d if d else path


def read_lines(path):
    with open(os.path.join(ROOT, path), encoding="utf-8",
              errors="replace") as f:
        return f.read().split("\n")


def strip_c(text):
    """C text with comments, string and char literals blanked (newlines
    kept), so that a name in a comment or a message is no call."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# -------------------------------------------------------------------- ctags

CTAGS = {}


def ctags_or_fail(t):
    """The path of universal-ctags, or the test fails saying to install it."""
    exe = shutil.which("ctags")
    version = ""
    if exe:
        r = subprocess.run([exe, "--version"], capture_output=True, text=True)
        version = r.stdout.splitlines()[0] if r.stdout else ""
    if not exe or "Universal Ctags" not in version:
        t.fail("universal-ctags: expected a `ctags` that is Universal Ctags, "
               f"actual {version or 'no ctags on PATH'} (install it: apt-get "
               "install universal-ctags, or run scripts/setup)")
    return exe


def tags(t, files, kinds):
    """[(name, file, line, end, static)] of the C kinds given ('f': function
    definitions, 'px': prototypes and extern declarations)."""
    key = (tuple(files), kinds)
    if key in CTAGS:
        return CTAGS[key]
    exe = ctags_or_fail(t)
    r = subprocess.run([exe, "--fields=+ne", "--excmd=number",
                        f"--c-kinds={kinds}", "--language-force=C", "-o", "-"]
                       + files, cwd=ROOT, capture_output=True, text=True)
    t.require(r.returncode == 0, f"ctags: exit {r.returncode}: {r.stderr}")
    out = []
    for line in r.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        m = re.search(r"\tline:(\d+)", line)
        e = re.search(r"\tend:(\d+)", line)
        start = int(m.group(1)) if m else 0
        out.append((fields[0], fields[1], start,
                    int(e.group(1)) if e else start, "\tfile:" in line))
    CTAGS[key] = out
    return out


# ------------------------------------------------------------------- checks

def test_file_size(t):
    size = {f: len(read_lines(f)) - 1  # the text ends with a newline
            for f in sources((".c", ".h"))}
    big = {f: n for f, n in size.items() if n > MAX_FILE_LINES}
    t.eq(f"files over {MAX_FILE_LINES} lines", {}, big)
    top = max(size, key=size.get)
    t.note(f"{len(size)} files; the longest {top}, {size[top]} lines "
           f"(at most {MAX_FILE_LINES})")


def comment_above(lines, line):
    """The comment block that ends just above 1-based line `line`."""
    i, block = line - 2, []
    while i >= 0 and lines[i].strip() and (
            lines[i].strip().startswith(("/*", "*", "//"))
            or lines[i].rstrip().endswith("*/")):
        block.append(lines[i])
        i -= 1
    return "\n".join(reversed(block))


def test_function_size(t):
    long_ones, found = {}, set()
    funcs = tags(t, sources(), "f")
    for name, f, line, end, _ in funcs:
        n = end - line + 1
        if n <= MAX_FUNC_LINES:
            continue
        if (f, name) in STATE_MACHINES:
            found.add((f, name))
            above = comment_above(read_lines(f), line)
            t.check("state machine" in above.lower(),
                    f"{f}: {name} ({n} lines, allowed as a state machine): "
                    "the comment just above it",
                    'one that says "state machine"', above or "(none)")
        else:
            long_ones[f"{f}: {name}"] = n
    t.eq(f"functions over {MAX_FUNC_LINES} lines (universal-ctags)", {},
         long_ones)
    for f, name in sorted(STATE_MACHINES - found):
        t.note(f"{f}: {name} is in STATE_MACHINES but not over "
               f"{MAX_FUNC_LINES} lines (or gone): drop it from the list")
    rest = [(e - ln + 1, f"{f}: {name}") for name, f, ln, e, _ in funcs
            if (f, name) not in STATE_MACHINES]
    n, where = max(rest)
    t.note(f"{len(funcs)} functions; the longest of the rest {where}, "
           f"{n} lines (at most {MAX_FUNC_LINES})")


def header_owners(t):
    """include/sockbench/X.h -> its folder: where the .c files that define
    its functions live (most of them), else OWNERS; mismatches and headers
    nobody owns are failures."""
    inc = os.path.join(ROOT, "include", "sockbench")
    headers = sorted(f"include/sockbench/{h}" for h in os.listdir(inc)
                     if h.endswith(".h"))
    where = {}
    for name, f, _, _, static in tags(t, sources(), "fv"):
        if not static:
            where.setdefault(name, []).append(folder_of(f))
    owners, disagree, unowned = {}, {}, []
    for h in headers:
        count = {}
        for name, _, _, _, _ in tags(t, [h], "px"):
            for d in where.get(name, []):
                count[d] = count.get(d, 0) + 1
        base = os.path.basename(h)
        derived = max(count, key=count.get) if count else None
        table = OWNER_OF.get(base)
        if derived and table and derived != table:
            disagree[base] = f"OWNERS says {table}, definitions in {count}"
        owners[h] = derived or table
        if not owners[h]:
            unowned.append(base)
    t.eq("headers with no owner (no definitions found, not in OWNERS)", [],
         unowned)
    t.eq("headers whose OWNERS entry disagrees with where their functions "
         "are defined", {}, disagree)
    return owners


INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def resolve(includer, name):
    """A quoted include, as the compiler finds it: beside the includer,
    else under include/.  None if neither."""
    for cand in (os.path.join(os.path.dirname(includer), name),
                 os.path.join("include", name)):
        if os.path.isfile(os.path.join(ROOT, cand)):
            return os.path.normpath(cand)
    return None


def test_include_direction(t):
    owners = header_owners(t)
    files = sources((".c", ".h")) + sorted(owners)
    upward, private, unresolved = [], [], []
    for f in files:
        if f in owners and not owners[f]:
            continue  # no owner: said above
        here = owners.get(f) or folder_of(f)
        allowed = MAY_INCLUDE.get(here)
        if allowed is None:
            unresolved.append(f"{f}: folder {here} is not in MAY_INCLUDE")
            continue
        text = "\n".join(read_lines(f))
        for name in INCLUDE_RE.findall(text):
            h = resolve(f, name)
            if h is None:
                unresolved.append(f'{f}: "{name}"')
            elif h.startswith("include/"):
                if owners.get(h) and owners[h] not in allowed:
                    upward.append(
                        f"{f} ({here}) includes {name} ({owners[h]})")
            elif folder_of(h) != folder_of(f):
                private.append(
                    f"{f} includes {h}, private to {folder_of(h)}")
    by = {}
    for h, o in owners.items():
        by.setdefault(o or "(nobody)", []).append(os.path.basename(h)[:-2])
    t.note("owners: " + "; ".join(f"{o}: {' '.join(sorted(hs))}"
                                  for o, hs in sorted(by.items())))
    t.eq("includes of a higher folder's header", [], upward)
    t.eq("includes of another folder's private header", [], private)
    t.eq("quoted includes that resolve to no file", [], unresolved)


CALL_RE = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def test_no_file_cycle(t):
    files = sources()
    defs = tags(t, files, "f")
    defined = {f: set() for f in files}   # every function a file defines
    external = {}                         # non-static function -> file
    for name, f, _, _, static in defs:
        defined.setdefault(f, set()).add(name)
        if not static:
            external[name] = f
    calls = {}                            # file -> the files it calls
    for f in files:
        names = set(CALL_RE.findall(strip_c("\n".join(read_lines(f)))))
        calls[f] = {external[n] for n in names - defined[f]
                    if n in external and external[n] != f}
    cycles = []
    for a in files:
        for b in sorted(calls[a]):
            if a < b and folder_of(a) == folder_of(b) and a in calls[b]:
                cycles.append(f"{a} <-> {b}")
    t.eq("pairs of .c files in one folder that call each other", [], cycles)
    edges = sum(1 for a in files for b in calls[a]
                if folder_of(a) == folder_of(b))
    t.note(f"{len(files)} .c files, {edges} calls into another file of "
           "the same folder, none both ways")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin",
                   help="not used: the house is read from the sources")
    p.add_argument("-k", dest="pattern", default=None,
                   help="run only checks whose name contains this")
    sbtest.ARGS = p.parse_args()
    sbtest.ARGS.seed = 0
    sbtest.BIN = "(not used)"
    runner = sbtest.Runner(f"test_house  root={ROOT}")
    for check in (test_file_size, test_function_size, test_include_direction,
                  test_no_file_cycle):
        runner.run(check.__name__[len("test_"):], check, timeout=30)
    runner.finish()


if __name__ == "__main__":
    main()
