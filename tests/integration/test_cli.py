#!/usr/bin/env python3
"""Command line of `sockbench serve`: usage errors exit 2 with exactly one
stderr line naming the option and nothing on stdout; --help, --version;
a port in use exits 1; defaults; SIGINT; RLIMIT_NOFILE raised.

    python3 tests/integration/test_cli.py --bin build/sockbench [-k NAME]
"""

import json
import os
import re
import resource
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

OPTIONS = ["--model", "--proto", "--bind", "--port", "--backlog",
           "--recv-size", "--send", "--sndbuf", "--rcvbuf", "--workers",
           "--accept-mode", "--accept-delay-ms", "--pause-accept",
           "--work-us", "--max-msg", "--max-conns", "--idle-timeout-ms",
           "--stats"]

# (name, argv after `serve`, text the one stderr line must contain,
#  allowed values it must list)
P0 = ["--port", "0"]   # if a bad line is accepted, at least bind anywhere
BAD = [
    ("model-nope", P0 + ["--model", "nope"], ["--model", "nope"],
     sbtest.MODELS),
    ("model-empty", P0 + ["--model", ""], ["--model"], sbtest.MODELS),
    ("proto-gopher", P0 + ["--proto", "gopher"], ["--proto", "gopher"],
     sbtest.PROTOS),
    ("port-70000", ["--port", "70000"], ["--port", "70000"], []),
    ("port-65536", ["--port", "65536"], ["--port", "65536"], []),
    ("port-negative", ["--port", "-1"], ["--port", "-1"], []),
    ("port-abc", ["--port", "abc"], ["--port", "abc"], []),
    ("port-empty", ["--port", ""], ["--port"], []),
    ("backlog-abc", P0 + ["--backlog", "abc"], ["--backlog", "abc"], []),
    ("backlog-negative", P0 + ["--backlog", "-5"], ["--backlog", "-5"], []),
    ("backlog-overflow", P0 + ["--backlog", "99999999999999999999"],
     ["--backlog"], []),
    ("backlog-float", P0 + ["--backlog", "1.5"], ["--backlog", "1.5"], []),
    ("recv-size-0", P0 + ["--recv-size", "0"], ["--recv-size"], []),
    ("recv-size-1x", P0 + ["--recv-size", "1x"], ["--recv-size", "1x"], []),
    ("send-maybe", P0 + ["--send", "maybe"], ["--send", "maybe"],
     ["send", "sendall"]),
    ("sndbuf-negative", P0 + ["--sndbuf", "-1"], ["--sndbuf", "-1"], []),
    ("rcvbuf-abc", P0 + ["--rcvbuf", "abc"], ["--rcvbuf", "abc"], []),
    ("workers-0", P0 + ["--workers", "0"], ["--workers"], []),
    ("workers-abc", P0 + ["--workers", "abc"], ["--workers", "abc"], []),
    ("accept-mode-herd", P0 + ["--accept-mode", "herd"],
     ["--accept-mode", "herd"], ["shared", "exclusive", "reuseport"]),
    ("accept-delay-negative", P0 + ["--accept-delay-ms", "-1"],
     ["--accept-delay-ms", "-1"], []),
    ("work-us-x", P0 + ["--work-us", "x"], ["--work-us"], []),
    ("max-msg-0", P0 + ["--max-msg", "0"], ["--max-msg"], []),
    ("max-msg-abc", P0 + ["--max-msg", "abc"], ["--max-msg", "abc"], []),
    ("max-conns-0", P0 + ["--max-conns", "0"], ["--max-conns"], []),
    ("idle-timeout-bogus", P0 + ["--idle-timeout-ms", "bogus"],
     ["--idle-timeout-ms", "bogus"], []),
    ("bind-notanaddress", P0 + ["--bind", "notanaddress"],
     ["--bind", "notanaddress"], []),
    ("bind-bad-ipv4", P0 + ["--bind", "999.1.1.1"], ["--bind"], []),
    ("unknown-option", P0 + ["--frobnicate"], ["--frobnicate"], []),
    ("missing-value-port", P0 + ["--port"], ["--port"], []),
    ("missing-value-model", P0 + ["--model"], ["--model"], []),
    ("flag-with-value", P0 + ["--pause-accept=yes"], ["--pause-accept"], []),
    ("extra-positional", P0 + ["extra"], ["extra"], []),
]


def run(argv, timeout=5.0):
    """Run sockbench with argv; (rc, stdout, stderr). rc is 'timeout' if it
    was still running after `timeout` s (then killed)."""
    rc, out, err, _ = sbtest.run_cmd([sbtest.BIN] + argv, timeout)
    return rc, out, err


def test_bad(t, argv, must_contain, allowed):
    cmd = ["serve"] + argv
    rc, out, err = run(cmd)
    t.note(f"sockbench {' '.join(repr(a) if a == '' else a for a in cmd)}"
           f" -> exit {rc}, stderr {err!r}")
    t.eq("exit status (usage error)", 2, rc)
    t.eq("stdout", "", out)
    lines = err.splitlines()
    t.eq("number of stderr lines", 1, len(lines))
    line = lines[0] if lines else ""
    t.check(line.startswith("sockbench serve: "), "stderr line prefix",
            "'sockbench serve: ...'", line)
    for word in must_contain:
        t.check(word in line, "stderr line", f"to contain {word!r}", line)
    for value in allowed:
        t.check(re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", line),
                "stderr line (what is allowed)", f"to list {value!r}", line)


def test_top_level_bad(t, argv, word):
    rc, out, err = run(argv)
    t.note(f"sockbench {' '.join(argv)} -> exit {rc}, stderr {err!r}")
    t.eq("exit status (usage error)", 2, rc)
    t.eq("stdout", "", out)
    t.check(err.strip() != "", "stderr", "an error message", err)
    if word:
        lines = err.splitlines()
        t.eq("number of stderr lines", 1, len(lines))
        t.check(word in err, "stderr", f"to contain {word!r}", err)


def find_opt(text, opt):
    return re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text)


def test_help_top(t):
    rc, out, err = run(["--help"])
    t.eq("exit status", 0, rc)
    t.eq("stderr", "", err)
    t.check("serve" in out, "stdout", "to mention the 'serve' subcommand",
            out[:300])


def test_help_serve(t):
    rc, out, err = run(["serve", "--help"])
    t.eq("exit status", 0, rc)
    t.eq("stderr", "", err)
    for model in sbtest.MODELS:
        t.check(re.search(rf"\b{model}\b", out), "serve --help",
                f"to list model {model!r}", out[:200] + "...")
    for opt in OPTIONS + ["--help"]:
        t.check(find_opt(out, opt), "serve --help", f"to list option {opt}",
                "missing")


def test_version(t):
    rc, out, err = run(["--version"])
    t.eq("exit status", 0, rc)
    t.eq("stderr", "", err)
    t.check(re.search(r"\d+\.\d+", out) and len(out.splitlines()) == 1,
            "stdout", "one line with a version number", out)


def test_port_in_use(t):
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        rc, out, err = run(["serve", "--port", str(port)])
        t.note(f"sockbench serve --port {port} (in use) -> exit {rc}, "
               f"stderr {err!r}")
        t.eq("exit status (run failed)", 1, rc)
        t.eq("stdout (no READY)", "", out)
        lines = err.splitlines()
        t.eq("number of stderr lines", 1, len(lines))
        t.check("Address already in use" in err, "stderr",
                "to contain 'Address already in use'", err)
        t.check(str(port) in err, "stderr", f"to name the port {port}", err)
    finally:
        holder.close()


def lower_nofile():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))


def nofile_limits(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]), int(parts[4])
    return None


def test_defaults_sigint(t):
    """No options but --port 0: the documented defaults; stats JSON on
    stderr (no --stats); SIGINT is a clean stop; NOFILE soft = hard."""
    srv = sbtest.Server(["--port", "0"], stats=False, preexec_fn=lower_nofile)
    try:
        srv.start()
    except sbtest.StartError as e:
        t.fail(str(e))
    with srv:
        r = srv.ready
        t.eq("READY model (default)", "epoll", r["model"])
        t.eq("READY proto (default)", "echo", r["proto"])
        t.eq("READY addr (default)", "127.0.0.1", r["addr"])
        t.eq("READY backlog (default)", 128, r["backlog"])
        limits = nofile_limits(srv.proc.pid)
        t.check(limits and limits[0] == limits[1],
                "RLIMIT_NOFILE of the server (started with soft 256)",
                "soft raised to hard", limits)
        s = srv.connect(timeout=5)
        got = sbtest.transfer(s, b"hello", 5, 5)
        t.eq("echo with defaults", b"hello", got)
        sbtest.finish(s, 5)
        stats = sbtest.stop_server(t, srv, signal.SIGINT)
        sbtest.check_stats_shape(t, stats, "epoll", "echo")
        t.eq("stats send (default)", "sendall", stats.get("send"))
        t.eq("stats recv_size (default)", 1024, stats.get("recv_size"))
        t.eq("stats backlog_requested (default)", 128,
             stats.get("backlog_requested"))
        t.eq("stats accepted", 1, stats.get("accepted"))


def test_stats_file_json(t):
    """--stats FILE gets the JSON; stderr then has no JSON object."""
    srv = sbtest.start_server(t, ["--proto", "rr"])
    with srv:
        stats = sbtest.stop_server(t, srv)
        t.check(isinstance(stats, dict), "stats file", "a JSON object", stats)
        try:
            json.loads(srv.stderr())
            t._record("stderr: expected no stats JSON when --stats is given,"
                      f" actual {srv.stderr()[:200]!r}")
        except ValueError:
            pass


def main():
    sbtest.parse_args(__doc__)
    runner = sbtest.Runner("test_cli")
    for name, argv, words, allowed in BAD:
        runner.run(f"bad/{name}", test_bad, argv, words, allowed, timeout=15)
    runner.run("bad/no-subcommand", test_top_level_bad, [], None, timeout=15)
    runner.run("bad/unknown-subcommand", test_top_level_bad, ["frob"],
               "frob", timeout=15)
    runner.run("help-top-level", test_help_top, timeout=15)
    runner.run("help-serve", test_help_serve, timeout=15)
    runner.run("version", test_version, timeout=15)
    runner.run("port-in-use", test_port_in_use, timeout=15)
    runner.run("defaults-and-sigint", test_defaults_sigint, timeout=15)
    runner.run("stats-file", test_stats_file_json, timeout=15)
    runner.finish()


if __name__ == "__main__":
    main()
