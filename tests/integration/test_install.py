#!/usr/bin/env python3
"""An install works without the source tree (issue 20):

    python3 tests/integration/test_install.py --bin build/sockbench \
        --build build [--cmake cmake] [--cpack cpack] [-k NAME]

  deb          cpack -G DEB of the build: its Depends name the package of
               every library the binary needs; its files; unpacked into a
               scratch root (dpkg -x), the binary there finds its data there
  install      cmake --install BUILD --prefix TMP: the binary, the gnuplot
               scripts, lessons, Python models, man page and completion
  (then the source tree is hidden under an empty tmpfs, in this test's own
  mount namespace, and every command runs from / without SOCKBENCH_DATA,
  SOCKBENCH_DATADIR or SOCKBENCH_PYDIR)
  datadir      sysinfo names TMP/share/sockbench and its python/
  version      --version: the version and a commit (git describe)
  lesson       lesson backlog --quick: its figures (PNG), the runs' tool
               keys name the installed directories
  python       serve --model py-selectors runs TMP's script, echoes, and
               leaves no __pycache__ in the install
  man          man --warnings and groff -ww: silent; every command and
               every option of every option table has its entry
  completion   bash: the completion of subcommands, options, --model,
               sweep's --models lists, plot's --figure, lesson names

Needs root (a mount namespace; the lesson's network namespaces).
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sbtest  # noqa: E402

MNTNS_ENV = "SBTEST_INSTALL_MNTNS"
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("SOCKBENCH_DATA", "SOCKBENCH_DATADIR",
                          "SOCKBENCH_PYDIR")}
ST = {}  # what the tests share: prefix, tmp


def extra(p):
    p.add_argument("--build", required=True, help="the build directory")
    p.add_argument("--cmake", default="cmake")
    p.add_argument("--cpack", default="cpack")


def run(cmd, timeout=30, env=None, cwd="/"):
    return sbtest.run_proc(cmd, timeout, env=env or CLEAN_ENV, cwd=cwd)


def sysinfo_tool(t, binary):
    r = run([binary, "sysinfo"])
    t.require(r.rc == 0, f"{binary} sysinfo: exit {r.rc}, stderr {r.err!r}")
    return json.loads(r.out)["sockbench"]


def share(prefix):
    return os.path.join(prefix, "share", "sockbench")


# ------------------------------------------------------------------- before

def test_deb(t):
    out = os.path.join(ST["tmp"], "deb")
    r = run([sbtest.ARGS.cpack, "-G", "DEB", "-B", out, "--config",
             os.path.join(ST["build"], "CPackConfig.cmake")], timeout=90)
    t.require(r.rc == 0, f"cpack -G DEB: exit {r.rc}: {r.err[-800:]}")
    debs = glob.glob(os.path.join(out, "*.deb"))
    t.require(len(debs) == 1, f"cpack: expected one .deb in {out}, got {debs}")
    info = run(["dpkg-deb", "-f", debs[0]]).out
    fields = dict(re.findall(r"^(\S+): (.*)$", info, re.M))
    t.eq("Package", "sockbench", fields.get("Package"))
    depends = {d.strip().split()[0] for alt in fields.get("Depends", "").split(",")
               for d in alt.split("|")}
    t.note("Depends: " + fields.get("Depends", ""))
    for pkg in ("gnuplot-nox", "python3"):
        t.check(pkg in depends, "Depends", f"to name {pkg}", fields.get("Depends"))
    for lib, pkg in needed_packages(t, sbtest.BIN).items():
        t.check(pkg in depends, f"Depends: the package of {lib}", pkg,
                fields.get("Depends"))
    files = set(re.findall(r"\./(\S+)$", run(["dpkg-deb", "-c", debs[0]]).out, re.M))
    for f in ("usr/bin/sockbench", "usr/share/sockbench/plots/common.gp",
              "usr/share/sockbench/lessons/backlog.json",
              "usr/share/sockbench/python/py_selectors.py",
              "usr/share/sockbench/python/sbpy.py",
              "usr/share/man/man1/sockbench.1",
              "usr/share/bash-completion/completions/sockbench"):
        t.check(f in files, "the .deb's files", f"to hold {f}", sorted(files))
    root = os.path.join(ST["tmp"], "root")
    r = run(["dpkg", "-x", debs[0], root])
    t.require(r.rc == 0, f"dpkg -x: exit {r.rc}: {r.err}")
    tool = sysinfo_tool(t, os.path.join(root, "usr", "bin", "sockbench"))
    t.eq("the unpacked .deb's datadir",
         os.path.realpath(os.path.join(root, "usr", "share", "sockbench")),
         tool["datadir"])


def needed_packages(t, binary):
    """{library: its Debian package} for each library the binary names
    (readelf's NEEDED; where ldd finds it), the sanitizers' runtimes of a
    Sanitize build aside."""
    r = run(["readelf", "-d", binary])
    t.require(r.rc == 0, f"readelf -d {binary}: exit {r.rc}")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", r.out)
    where = dict(re.findall(r"^\s*(\S+) => (/\S+)", run(["ldd", binary]).out, re.M))
    out = {}
    for lib in needed:
        if re.match(r"lib(asan|ubsan|lsan|tsan)\.", lib):
            t.note(f"{lib}: a sanitizer's runtime, not a dependency of a release")
            continue
        path = where.get(lib)
        t.require(path, f"ldd {binary}: {lib} not found")
        real = os.path.realpath(path)
        for cand in (path, real, path.replace("/lib/", "/usr/lib/", 1),
                     real.replace("/usr/lib/", "/lib/", 1)):
            s = run(["dpkg", "-S", cand])
            if s.rc == 0:
                out[lib] = s.out.split(":")[0]
                break
        else:
            t.fail(f"dpkg -S {path}: no package holds it")
    return out


def test_install(t):
    r = run([sbtest.ARGS.cmake, "--install", ST["build"], "--prefix",
             ST["prefix"]], timeout=60)
    t.require(r.rc == 0, f"cmake --install: exit {r.rc}: {r.err[-800:]}")
    for f in ("bin/sockbench", "share/sockbench/plots/common.gp",
              "share/sockbench/plots/connect_cdf.gp",
              "share/sockbench/lessons/backlog.json",
              "share/sockbench/python/py_selectors.py",
              "share/sockbench/python/sbpy.py", "share/man/man1/sockbench.1",
              "share/bash-completion/completions/sockbench"):
        t.check(os.path.isfile(os.path.join(ST["prefix"], f)),
                "the install", f"{f} under the prefix", "missing")
    ST["bin"] = os.path.join(ST["prefix"], "bin", "sockbench")


def hide_source(t):
    """The build's own binary names the source tree it falls back to;
    an empty tmpfs goes over it (this process's mount namespace only)."""
    src = sysinfo_tool(t, sbtest.BIN)["datadir"]
    t.require(src.endswith("/scripts") and os.path.isdir(src),
              f"the build's binary: expected its source tree's scripts/ as "
              f"its datadir, actual {src}")
    top = os.path.dirname(src)
    r = run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0555", "sbhidden", top])
    t.require(r.rc == 0, f"mount tmpfs over {top}: exit {r.rc}: {r.err}")
    t.require(not os.path.exists(src), f"{src} still there under the tmpfs")
    t.note(f"{top} hidden")


# -------------------------------------------------------------- installed

def test_datadir(t):
    tool = sysinfo_tool(t, ST["bin"])
    want = os.path.realpath(share(ST["prefix"]))
    t.eq("sysinfo: sockbench.datadir", want, tool["datadir"])
    t.eq("sysinfo: sockbench.pydir", os.path.join(want, "python"), tool["pydir"])


def test_version(t):
    r = run([ST["bin"], "--version"])
    t.eq("--version: exit status", 0, r.rc)
    # a checkout (seen before the source was hidden): git describe's words
    commit = r"[0-9a-f]{7,}|\S+-g[0-9a-f]{7,}" if ST["git"] else "unknown"
    t.check(re.fullmatch(rf"sockbench \d+\.\d+\.\d+ \(commit ({commit})(-dirty)?\)\n",
                         r.out),
            "--version", "sockbench X.Y.Z (commit <git describe>)", r.out)


def test_lesson(t):
    out = os.path.join(ST["tmp"], "out")
    r = run([ST["bin"], "lesson", "backlog", "--quick", "--out", out], timeout=90)
    t.require(r.rc == 0, f"lesson backlog --quick: exit {r.rc}: {r.err[-800:]}")
    with open(os.path.join(share(ST["prefix"]), "lessons", "backlog.json")) as f:
        figures = json.load(f).get("figures") or ["connect_cdf"]
    pngs = sorted(os.path.basename(p) for p in glob.glob(os.path.join(out, "plots", "*.png")))
    for fig in figures:
        t.check(f"{fig}.png" in pngs, "lesson backlog: figures", f"{fig}.png", pngs)
    runs = glob.glob(os.path.join(out, "runs", "*.json"))
    t.require(runs, f"no run files in {out}/runs")
    with open(runs[0]) as f:
        tool = json.load(f)["tool"]
    want = os.path.realpath(share(ST["prefix"]))
    t.eq(f"{os.path.basename(runs[0])}: tool.datadir", want, tool["datadir"])
    t.eq(f"{os.path.basename(runs[0])}: tool.pydir", os.path.join(want, "python"),
         tool["pydir"])


def test_python(t):
    sbtest.BIN = ST["bin"]
    with sbtest.Server(["--model", "py-selectors", "--proto", "echo"],
                       env=CLEAN_ENV) as srv:
        argv = open(f"/proc/{srv.ready['pid']}/cmdline", "rb").read().split(b"\0")
        script = os.path.join(share(ST["prefix"]), "python", "py_selectors.py")
        t.check(script.encode() in argv, "the server's argv",
                f"python3 {script} ...", argv[:3])
        s = srv.connect()
        s.sendall(b"hello, install\n")
        got = b""
        while len(got) < 15:
            chunk = s.recv(64)
            if not chunk:
                break
            got += chunk
        s.close()
        t.eq("py-selectors echo", b"hello, install\n", got)
        stats = srv.stop()
    t.eq("py-selectors: accepted", 1, stats["accepted"])
    cache = glob.glob(os.path.join(share(ST["prefix"]), "**", "__pycache__"),
                      recursive=True)
    t.eq("__pycache__ written into the install", [], cache)


def table_options(cmd):
    """The options `CMD --help` lists in its table's lines."""
    r = run([ST["bin"], cmd, "--help"])
    return re.findall(r"^  --([a-z][a-z0-9-]*)", r.out, re.M)


def test_man(t):
    page = os.path.join(ST["prefix"], "share", "man", "man1", "sockbench.1")
    env = dict(CLEAN_ENV, MANROFFSEQ="", MANWIDTH="80")
    r = run(["man", "--warnings", "-E", "UTF-8", "-l", page], env=env)
    t.eq("man --warnings: exit status", 0, r.rc)
    t.eq("man --warnings: stderr", "", r.err)
    t.check("SERVER MODELS" in r.out and "EXIT STATUS" in r.out,
            "man: the page", "SERVER MODELS and EXIT STATUS sections", r.out[:300])
    g = run(["groff", "-ww", "-z", "-man", page])
    t.eq("groff -ww -z -man: stderr", "", g.err)
    with open(page) as f:
        src = f.read()
    top = run([ST["bin"], "--help"]).out.split("\nserver models")[0]
    cmds = re.findall(r"^  ([a-z]+) ", top, re.M)
    t.require(cmds, "sockbench --help lists no commands")
    for c in cmds:
        t.check(f'.SS "sockbench {c}' in src, "man: a heading per command",
                c, "missing")
    for c in ("serve", "load", "probe"):  # the commands with option tables
        for o in table_options(c):
            entry = "\\fB\\-\\-" + o.replace("-", "\\-") + "\\fR"
            t.check(entry in src, f"man: {c}'s options", f"--{o}", "missing")
    t.check(re.search(r"^\.SH FILES$", src, re.M) and "SOCKBENCH_DATADIR" in src,
            "man: FILES and ENVIRONMENT", "the lookup order", "missing")


COMPLETIONS = [  # words after `sockbench`, what COMPREPLY must hold
    (["s"], {"serve", "sweep", "sysinfo"}),
    (["serve", "--mo"], {"--model"}),
    (["serve", "--model", "e"], {"epoll"}),
    (["serve", "--model=e"], {"epoll"}),
    (["lesson", "b"], {"backlog"}),
    (["lesson", "--quick", "s"], {"send", "somaxconn"}),
    (["sweep", "--models", "epoll,py-s"], {"epoll,py-selectors"}),
    (["plot", "--figure", "acc"], {"accept_queue", "accept_queue_anim"}),
    (["load", "--mode", "c"], {"crr", "connect"}),
    (["probe", "--"], {"--port", "--sysctl", "--interval", "--duration", "--help"}),
    (["d"], {"diff"}),
    (["diff", "--"], {"--json", "--alpha", "--resamples", "--seed", "--help"}),
]


def test_completion(t):
    comp = os.path.join(ST["prefix"], "share", "bash-completion", "completions",
                        "sockbench")
    script = [f"source {sbtest_quote(comp)}"]
    for words, _ in COMPLETIONS:
        line = "sockbench " + " ".join(words)
        script += [
            # as readline splits the line: "=" is a word of its own
            f"COMP_LINE={sbtest_quote(line)}",
            "read -r -a COMP_WORDS <<< \"${COMP_LINE//=/ = }\"",
            "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))",
            "COMPREPLY=()", "_sockbench",
            "printf '%s\\n' \"${COMPREPLY[*]}\""]
    env = dict(CLEAN_ENV, PATH=os.path.join(ST["prefix"], "bin") + ":" +
               CLEAN_ENV.get("PATH", "/usr/bin:/bin"))
    r = run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)], env=env)
    t.eq("bash: stderr", "", r.err)
    got = r.out.split("\n")
    for i, (words, want) in enumerate(COMPLETIONS):
        have = set(got[i].split()) if i < len(got) else set()
        t.eq(f"completion of `sockbench {' '.join(words)}`", sorted(want), sorted(have))


def sbtest_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def main():
    sbtest.in_private_mount_namespace(__file__, MNTNS_ENV)
    args = sbtest.parse_args(__doc__, extra)
    ST["build"] = os.path.abspath(args.build)
    ST["src"] = os.path.dirname(os.path.dirname(HERE))
    ST["git"] = os.path.exists(os.path.join(ST["src"], ".git"))
    ST["tmp"] = sbtest.make_tmpdir("sbinstall-", [])
    ST["prefix"] = os.path.join(ST["tmp"], "prefix")
    runner = sbtest.Runner("test_install")
    try:
        runner.run("deb", test_deb, timeout=100)
        runner.run("install", test_install, timeout=60)
        if "bin" not in ST:
            runner.finish()
        hidden = sbtest.T("hide-source")
        try:
            hide_source(hidden)
        except sbtest.TestFailure:
            pass
        if hidden.failures:
            print("FAIL hide-source: " + "; ".join(hidden.failures))
            runner.finish(extra_failed=1)
        runner.run("datadir", test_datadir, timeout=20)
        runner.run("version", test_version, timeout=20)
        runner.run("lesson", test_lesson, timeout=100)
        runner.run("python", test_python, timeout=30)
        runner.run("man", test_man, timeout=30)
        runner.run("completion", test_completion, timeout=30)
    finally:
        shutil.rmtree(ST["tmp"], ignore_errors=True)
    runner.finish()


if __name__ == "__main__":
    main()
