#!/usr/bin/env python3
"""Bad command lines for every subcommand (top level, serve, load, sweep,
plot, lesson, merge, sysinfo): each exits 2 (usage error: a bad option or
value) or 1 (a run-time failure: a file that cannot be read or written, an
address the kernel refuses), with exactly one line on stderr that names the
problem, nothing on stdout, no crash (signal exit) and no hang (10 s each).
After a usage error nothing else happens: the --out or --json it names is
not created.

    python3 tests/integration/test_badinput_all.py --bin build/sockbench \
        [-k NAME]
    python3 tests/integration/test_badinput_all.py --list  # markdown table

Rows marked `nobody` run as user nobody (setpriv): as root a file mode
stops no read, so "unreadable" needs another user. Needs root for those.
test_cli.py holds 33 more `serve` lines; none is repeated here.
"""

import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

TARGET = ["--target", "127.0.0.1:{closed}"]   # a port nothing listens on
LONG_UNIX = "unix:/tmp/" + "x" * 120


def row(group, name, argv, rc, words, nobody=False, note=""):
    return {"group": group, "name": name, "argv": argv, "rc": rc,
            "words": words, "nobody": nobody, "note": note}


# (group = the subcommand, name, argv, expected exit status (a tuple: any
# of them), words the one stderr line must contain). {d} is a private
# temp dir, {out} a path inside it that must not appear; the other {..}
# are fixtures made by make_fixtures().
TABLE = [
    # --- top level
    row("top", "unknown-option", ["--frobnicate"], 2, ["--frobnicate"]),
    row("top", "misspelled-command", ["serv"], 2, ["serv", "unknown"]),
    row("top", "empty-command", [""], 2, ["unknown command"]),
    # --- serve (test_cli.py has 33 more)
    row("serve", "bind-unix-empty", ["serve", "--bind", "unix:"], 2,
        ["--bind"]),
    row("serve", "bind-unix-too-long", ["serve", "--bind", LONG_UNIX], 2,
        ["--bind"]),
    row("serve", "bind-bracketed-ipv6", ["serve", "--bind", "[::1]"], 2,
        ["--bind", "[::1]"]),
    row("serve", "bind-hostname", ["serve", "--bind", "localhost"], 2,
        ["--bind", "localhost"]),
    row("serve", "bind-not-local", ["serve", "--port", "0", "--bind",
                                    "192.0.2.1"], 1,
        ["192.0.2.1", "Cannot assign requested address"]),
    row("serve", "bind-unix-no-dir", ["serve", "--bind",
                                      "unix:{d}/nodir/s.sock"], 1,
        ["{d}/nodir/s.sock", "No such file or directory"]),
    row("serve", "port-huge", ["serve", "--port", "99999999999999999999"],
        2, ["--port"]),
    row("serve", "backlog-past-int", ["serve", "--port", "0", "--backlog",
                                      "2147483648"], 2,
        ["--backlog", "2147483648"]),
    row("serve", "recv-size-huge", ["serve", "--port", "0", "--recv-size",
                                    "99999999999999999999999"], 2,
        ["--recv-size"]),
    row("serve", "workers-huge", ["serve", "--port", "0", "--workers",
                                  "99999999999"], 2, ["--workers"]),
    row("serve", "http-body-negative", ["serve", "--port", "0",
                                        "--http-body", "-1"], 2,
        ["--http-body", "-1"]),
    row("serve", "sndbuf-unknown-unit", ["serve", "--port", "0", "--sndbuf",
                                         "1T"], 2, ["--sndbuf", "1T"]),
    # --- load
    row("load", "unknown-option", ["load", "--frobnicate"] + TARGET, 2,
        ["--frobnicate"]),
    row("load", "no-target", ["load", "--duration", "1s"], 2,
        ["--target"]),
    row("load", "two-targets", ["load", "--target", "127.0.0.1:9",
                                "--server-cmd", "true"], 2, ["--target"]),
    row("load", "conns-negative", ["load", "--conns", "-1"] + TARGET, 2,
        ["--conns", "-1"]),
    row("load", "conns-huge", ["load", "--conns", "99999999999999"] +
        TARGET, 2, ["--conns", "99999999999999"]),
    row("load", "threads-0", ["load", "--threads", "0"] + TARGET, 2,
        ["--threads"]),
    row("load", "requests-0", ["load", "--requests", "0"] + TARGET, 2,
        ["--requests"]),
    row("load", "requests-past-int64", ["load", "--requests",
                                        "99999999999999999999"] + TARGET,
        2, ["--requests"]),
    row("load", "duration-negative", ["load", "--duration", "-5s"] +
        TARGET, 2, ["--duration", "-5s"]),
    row("load", "duration-unknown-unit", ["load", "--duration",
                                          "10parsecs"] + TARGET, 2,
        ["--duration", "10parsecs"]),
    row("load", "timeout-0", ["load", "--timeout", "0"] + TARGET, 2,
        ["--timeout"]),
    row("load", "target-no-port", ["load", "--target", "127.0.0.1"], 2,
        ["--target", "127.0.0.1"]),
    row("load", "target-port-huge", ["load", "--target",
                                     "127.0.0.1:99999"], 2, ["--target"]),
    row("load", "target-port-0", ["load", "--target", "127.0.0.1:0"], 2,
        ["--target"]),
    row("load", "target-hostname", ["load", "--target", "localhost:80"], 2,
        ["--target", "localhost"]),
    row("load", "target-bad-ipv4", ["load", "--target", "300.1.1.1:80"], 2,
        ["--target", "300.1.1.1"]),
    row("load", "target-unix-empty", ["load", "--target", "unix:"], 2,
        ["--target"]),
    row("load", "http-path-no-slash", ["load", "--mode", "http",
                                       "--http-path", "index.html"] +
        TARGET, 2, ["--http-path", "index.html"]),
    row("load", "http-path-space", ["load", "--mode", "http", "--http-path",
                                    "/a b"] + TARGET, 2, ["--http-path"]),
    row("load", "max-head-too-small", ["load", "--mode", "http",
                                       "--max-head", "8"] + TARGET, 2,
        ["--max-head"]),
    row("load", "max-msg-past-1T", ["load", "--mode", "http", "--max-msg",
                                    "2048G"] + TARGET, 2, ["--max-msg"]),
    row("load", "start-at-in-seconds", ["load", "--start-at", "1700000000"]
        + TARGET, 2, ["--start-at"]),
    row("load", "start-at-years-ago", ["load", "--start-at",
                                       "1500000000000", "--duration", "1s",
                                       "--quiet"] + TARGET, (1, 2),
        ["--start-at"], note="2017: a typo, not a late start"),
    row("load", "mode-unknown", ["load", "--mode", "gopher"] + TARGET, 2,
        ["--mode", "gopher"]),
    row("load", "rate-zero", ["load", "--rate", "0"] + TARGET, 2,
        ["--rate"]),
    row("load", "requests-in-connect-mode", ["load", "--mode", "connect",
                                             "--requests", "5"] + TARGET,
        2, ["--requests"]),
    row("load", "serve-bad-model", ["load", "--serve", "--model nope"], 2,
        ["--serve", "nope"]),
    row("load", "serve-unbalanced-quote", ["load", "--serve",
                                           "--bind 'unix:/x"], 2,
        ["--serve"]),
    row("load", "server-cmd-unbalanced-quote",
        ["load", "--server-cmd", "python3 'srv.py {port}", "--json",
         "{out}"], 2, ["--server-cmd"]),
    row("load", "source-not-an-address", ["load", "--source", "1.2.3"] +
        TARGET, 2, ["--source", "1.2.3"]),
    row("load", "json-empty-name", ["load", "--json", ""] + TARGET, 2,
        ["--json"]),
    row("load", "json-dir-missing", ["load", "--duration", "200ms",
                                     "--quiet", "--json",
                                     "{d}/nodir/run.json"] + TARGET, 1,
        ["{d}/nodir/run.json", "No such file or directory"]),
    row("load", "json-is-a-directory", ["load", "--duration", "200ms",
                                        "--quiet", "--json", "{dir}"] +
        TARGET, 1, ["{dir}", "Is a directory"]),
    # --- sweep (every line also names --out {out}: it must not appear)
    row("sweep", "unknown-option", ["sweep", "--frobnicate", "1"], 2,
        ["--frobnicate"]),
    row("sweep", "positional", ["sweep", "backlog"], 2, ["backlog"]),
    row("sweep", "range-reversed", ["sweep", "--backlog", "8..1"], 2,
        ["--backlog", "8..1"]),
    row("sweep", "range-too-long", ["sweep", "--backlog", "1..1000000000"],
        2, ["--backlog"]),
    row("sweep", "range-factor-1", ["sweep", "--recv-size", "64..65536x1"],
        2, ["--recv-size"]),
    row("sweep", "range-step-0", ["sweep", "--conns", "1..10+0"], 2,
        ["--conns"]),
    row("sweep", "list-empty-item", ["sweep", "--backlog", "1,,2"], 2,
        ["--backlog"]),
    row("sweep", "axis-unknown-model", ["sweep", "--models", "epoll,nope"],
        2, ["nope"]),
    row("sweep", "too-many-runs", ["sweep", "--backlog", "1..1001",
                                   "--conns", "1..1000"], 2, ["too many"]),
    row("sweep", "port-range-from-0", ["sweep", "--port-range", "0-10"], 2,
        ["--port-range", "0-10"]),
    row("sweep", "port-range-past-65535", ["sweep", "--port-range",
                                           "1-70000"], 2,
        ["--port-range", "1-70000"]),
    row("sweep", "somaxconn-negative", ["sweep", "--somaxconn", "-1"], 2,
        ["--somaxconn", "-1"]),
    row("sweep", "repeat-huge", ["sweep", "--repeat", "1001"], 2,
        ["--repeat", "1001"]),
    row("sweep", "sysctl-with-host-netns", ["sweep", "--syncookies", "1",
                                            "--host-netns"], 2,
        ["--syncookies", "--host-netns"]),
    row("sweep", "bind-with-server-cmd", ["sweep", "--server-cmd",
                                          "true {port}", "--bind", "::1"],
        2, ["--bind"]),
    row("sweep", "load-value-bad", ["sweep", "--duration", "0"], 2,
        ["--duration"]),
    row("sweep", "config-is-a-directory", ["sweep", "--config", "{dir}"], 2,
        ["--config", "{dir}"]),
    row("sweep", "config-not-json", ["sweep", "--config", "{notjson}"], 2,
        ["--config", "{notjson}"]),
    row("sweep", "config-truncated", ["sweep", "--config", "{trunccfg}"], 2,
        ["--config", "{trunccfg}"]),
    row("sweep", "config-an-array", ["sweep", "--config", "{array}"], 2,
        ["--config", "JSON object"]),
    row("sweep", "config-axis-is-object", ["sweep", "--config",
                                           "{objaxis}"], 2,
        ["--config", "backlog"]),
    row("sweep", "config-empty-axis", ["sweep", "--config", "{emptyaxis}"],
        2, ["--config", "models"]),
    row("sweep", "config-unreadable", ["sweep", "--config", "{secretcfg}"],
        2, ["--config", "Permission denied"], nobody=True),
    row("sweep", "out-below-a-file", ["sweep", "--backlog", "1",
                                      "--duration", "100ms", "--out",
                                      "{file}/sub"], 1,
        ["{file}/sub", "Not a directory"]),
    # --- plot
    row("plot", "no-dir", ["plot"], 2, ["RESULTS_DIR"]),
    row("plot", "unknown-option", ["plot", "--frobnicate"], 2,
        ["--frobnicate"]),
    row("plot", "figure-without-name", ["plot", "{dir}", "--figure"], 2,
        ["--figure"]),
    # several directories draw one set of figures: they need --out
    row("plot", "two-dirs-no-out", ["plot", "{dir}", "{dir}"], 2, ["--out"]),
    row("plot", "missing-dir", ["plot", "{d}/nope"], 1,
        ["{d}/nope", "No such file or directory"]),
    row("plot", "a-file", ["plot", "{file}"], 1,
        ["{file}", "Not a directory"]),
    row("plot", "dir-without-runs", ["plot", "{dir}"], 1, ["{dir}/runs"]),
    row("plot", "runs-all-broken", ["plot", "{badsweep}"], 1,
        ["{badsweep}"], note="truncated and wrong-schema run files"),
    row("plot", "unreadable", ["plot", "{secretsweep}"], 1,
        ["{secretsweep}", "Permission denied"], nobody=True),
    # --- lesson
    row("lesson", "no-name", ["lesson"], 2, ["NAME"]),
    row("lesson", "unknown-lesson", ["lesson", "nope"], 2, ["nope"]),
    row("lesson", "unknown-option", ["lesson", "backlog", "--frobnicate"],
        2, ["--frobnicate"]),
    row("lesson", "out-without-dir", ["lesson", "backlog", "--out"], 2,
        ["--out"]),
    row("lesson", "two-names", ["lesson", "backlog", "models"], 2,
        ["models"]),
    # --- merge
    row("merge", "no-files", ["merge"], 2, ["RUN.json"]),
    row("merge", "unknown-option", ["merge", "--frobnicate", "{minrun}"], 2,
        ["--frobnicate"]),
    row("merge", "json-without-file", ["merge", "{minrun}", "--json"], 2,
        ["--json"]),
    row("merge", "missing-file", ["merge", "{d}/nope.json"], 1,
        ["{d}/nope.json", "No such file or directory"]),
    row("merge", "a-directory", ["merge", "{dir}"], 1, ["{dir}"]),
    row("merge", "not-json", ["merge", "{notjson}"], 1, ["{notjson}"]),
    row("merge", "truncated-json", ["merge", "{trunc}"], 1, ["{trunc}"]),
    row("merge", "wrong-schema", ["merge", "{wrongrun}"], 1,
        ["{wrongrun}", "sockbench.run/1"]),
    row("merge", "histogram-other-scheme", ["merge", "{minrun}",
                                            "{badhist}"], 1,
        ["{badhist}", "scheme"]),
    row("merge", "unreadable", ["merge", "{secretrun}"], 1,
        ["{secretrun}", "Permission denied"], nobody=True),
    row("merge", "out-dir-missing", ["merge", "{minrun}", "--json",
                                     "{d}/nodir/m.json"], 1,
        ["{d}/nodir/m.json", "No such file or directory"]),
    # --- sysinfo
    row("sysinfo", "unknown-option", ["sysinfo", "--frobnicate"], 2,
        ["--frobnicate"]),
    row("sysinfo", "extra-argument", ["sysinfo", "extra"], 2, ["extra"]),
]

FIX = {}            # placeholder -> path
NOBODY = None       # [setpriv ..., copied binary] for the nobody rows


def make_fixtures():
    d = tempfile.mkdtemp(prefix="sbbad-", dir="/tmp")
    os.chmod(d, 0o755)
    FIX["d"] = d

    def put(key, name, text, mode=0o644):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        FIX[key] = p
        return p

    put("file", "plain.txt", "just text\n")
    put("notjson", "notjson.json", "hello, not json\n")
    put("trunc", "trunc.json", '{"schema": "sockbench.run/1", "load": {')
    put("trunccfg", "trunccfg.json", '{"models": ["epoll"], "backlog": ')
    put("array", "array.json", "[1, 2, 3]\n")
    put("objaxis", "objaxis.json", '{"models": ["epoll"], "backlog": '
        '{"from": 1, "to": 8}}\n')
    put("emptyaxis", "emptyaxis.json", '{"models": []}\n')
    put("wrongrun", "wrongrun.json", '{"schema": "sockbench.summary/1", '
        '"cells": []}\n')
    put("minrun", "minrun.json", '{"schema": "sockbench.run/1"}\n')
    put("badhist", "badhist.json", '{"schema": "sockbench.run/1", "load": '
        '{"connections": {"latency_us": {"histogram": {"scheme": '
        '"linear ms", "buckets": [[1000, 1]]}}}}}\n')
    put("secretcfg", "secret-cfg.json", '{"models": ["epoll"]}\n', 0o600)
    put("secretrun", "secret-run.json", '{"schema": "sockbench.run/1"}\n',
        0o600)
    empty = os.path.join(d, "emptydir")
    os.mkdir(empty)
    FIX["dir"] = empty
    bad = os.path.join(d, "badsweep")
    os.makedirs(os.path.join(bad, "runs"))
    shutil.copy(FIX["trunc"], os.path.join(bad, "runs", "0000-x-r1.json"))
    shutil.copy(FIX["wrongrun"], os.path.join(bad, "runs",
                                              "0001-x-r1.json"))
    FIX["badsweep"] = bad
    secret = os.path.join(d, "secretsweep")
    os.makedirs(os.path.join(secret, "runs"))
    shutil.copy(FIX["minrun"], os.path.join(secret, "runs",
                                            "0000-x-r1.json"))
    os.chmod(os.path.join(secret, "runs"), 0o700)
    FIX["secretsweep"] = secret
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    FIX["closed"] = str(s.getsockname()[1])  # bound, never listening
    FIX["_sock"] = s
    return d


def setup_nobody():
    global NOBODY
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return f"needs root and setpriv (euid {os.geteuid()})"
    bindir = os.path.join(FIX["d"], "bin")
    os.mkdir(bindir)
    os.chmod(bindir, 0o755)
    b = os.path.join(bindir, "sockbench")
    shutil.copy(sbtest.BIN, b)
    os.chmod(b, 0o755)
    NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup",
              "--clear-groups", "--", b]
    return None


def fill(text, out):
    text = text.replace("{out}", out)
    for k, v in FIX.items():
        if not k.startswith("_"):
            text = text.replace("{" + k + "}", v)
    return text


def run(cmd, timeout=10.0):
    return sbtest.run_cmd(cmd, timeout, cwd=FIX["d"])


def test_row(t, r, nobody_problem):
    if r["nobody"] and nobody_problem:
        t.fail(f"cannot run as nobody: {nobody_problem}")
    out = os.path.join(FIX["d"], "out-" + r["group"] + "-" + r["name"])
    argv = [fill(a, out) for a in r["argv"]]
    if r["group"] == "sweep" and "--out" not in r["argv"]:
        argv += ["--out", out]
    cmd = (NOBODY if r["nobody"] else [sbtest.BIN]) + argv
    rc, so, se, took = run(cmd)
    shown = " ".join(repr(a) if (a == "" or " " in a) else a for a in argv)
    t.note(f"{'[nobody] ' if r['nobody'] else ''}sockbench {shown} -> exit "
           f"{rc} in {took:.2f}s, stderr {se!r}")
    if rc == "timeout":
        t.fail("still running after 10 s (killed): a bad command line must "
               "end at once")
    t.check(rc >= 0, "exit", "a normal exit, not a signal (crash)", rc)
    want = r["rc"] if isinstance(r["rc"], tuple) else (r["rc"],)
    t.check(rc in want, "exit status", " or ".join(map(str, want)) +
            (" (usage error)" if want == (2,) else " (run-time failure)"
             if want == (1,) else ""), rc)
    t.eq("stdout", "", so)
    lines = se.splitlines()
    t.eq("number of stderr lines", 1, len(lines))
    line = lines[0] if lines else ""
    prefix = "sockbench: " if r["group"] == "top" else \
        f"sockbench {r['group']}: "
    t.check(line.startswith(prefix), "stderr line prefix", repr(prefix),
            line)
    for w in r["words"]:
        w = fill(w, out)
        t.check(w in line, "stderr line", f"to name {w!r}", line)
    if rc == 2 or want == (2,):
        t.check(not os.path.exists(out), "after a usage error",
                f"{out} not created", "created")


def markdown():
    print(f"{len(TABLE)} bad command lines "
          f"(tests/integration/test_badinput_all.py):\n")
    print("| group | rows | each: exit status, the one stderr line names |")
    print("| --- | --- | --- |")
    groups = []
    for r in TABLE:
        if r["group"] not in groups:
            groups.append(r["group"])
    for g in groups:
        rows = [r for r in TABLE if r["group"] == g]
        items = []
        for r in rows:
            want = r["rc"] if isinstance(r["rc"], tuple) else (r["rc"],)
            words = ", ".join(f"`{w}`" for w in r["words"])
            extra = (" (as nobody)" if r["nobody"] else "") + \
                (f" ({r['note']})" if r["note"] else "")
            items.append(f"{r['name']}{extra} → {'/'.join(map(str, want))}"
                         f" {words}")
        print(f"| {g} | {len(rows)} | " + "; ".join(items) + " |")


def main():
    if "--list" in sys.argv:
        markdown()
        return
    sbtest.parse_args(__doc__.splitlines()[0])
    make_fixtures()
    nobody_problem = setup_nobody()
    runner = sbtest.Runner(f"bad command lines ({len(TABLE)})")
    t0 = time.monotonic()
    try:
        for r in TABLE:
            runner.run(f"{r['group']}/{r['name']}", test_row, r,
                       nobody_problem, timeout=30)
    finally:
        FIX["_sock"].close()
        shutil.rmtree(FIX["d"], ignore_errors=True)
    print(f"# took {time.monotonic() - t0:.1f}s", flush=True)
    runner.finish()


if __name__ == "__main__":
    main()
