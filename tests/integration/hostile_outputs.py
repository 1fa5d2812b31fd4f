#!/usr/bin/env python3
"""Outputs never destroy (issue "Safe by construction", part 1): --json,
--jsonl, merge --json and serve --stats pointed at devices, descriptors,
links and full disks.

    python3 tests/integration/hostile_outputs.py --bin build/sockbench [-k NAME]

Root: the script re-runs itself under `unshare -m --propagation private`
and mounts a tmpfs of its own on /dev with its own null, full, fd, stdout
and stderr, so a bug here can only break that copy, never the host's.

Before the change: `--json /dev/null` renamed a temp file over /dev/null
(a regular file from then on), `--json /dev/stdout` replaced a caller's
`>> log` by a new file, `--jsonl /dev/full` and `merge > /dev/full` exited
0, and `--json -` mixed the summary into the JSON on stdout.
"""

import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

MNTNS_ENV = "SB_OUTPUTS_HOST_MNTNS"
SERVE = ["--serve", "--model epoll --proto rr", "--requests", "200",
         "--conns", "2", "--threads", "1"]


def private_dev():
    """A tmpfs /dev of this mount namespace only, with what load needs."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "sbdev", "/dev"],
                   check=True)
    for name, minor in (("null", 3), ("full", 7), ("zero", 5),
                        ("urandom", 9)):
        os.mknod(f"/dev/{name}", 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    os.symlink("/proc/self/fd", "/dev/fd")
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{i}", f"/dev/{name}")


def load(args, stdout=subprocess.PIPE, timeout=30):
    return subprocess.run([sbtest.BIN, "load"] + args, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=timeout)


def is_chr(path):
    return stat.S_ISCHR(os.lstat(path).st_mode)


def test_dev_null(t):
    r = load(SERVE + ["--quiet", "--json", "/dev/null"])
    t.eq("load --json /dev/null: exit status", 0, r.returncode)
    t.check(is_chr("/dev/null"), "/dev/null after load --json /dev/null",
            "still a character device", oct(os.lstat("/dev/null").st_mode))
    srv = subprocess.Popen([sbtest.BIN, "serve", "--port", "0", "--stats",
                            "/dev/null"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready = srv.stdout.readline()
    srv.terminate()
    srv.communicate(timeout=10)
    t.check(ready.startswith(b"READY"), "serve --stats /dev/null", "READY",
            ready)
    t.eq("serve --stats /dev/null: exit status", 0, srv.returncode)
    t.check(is_chr("/dev/null"), "/dev/null after serve --stats /dev/null",
            "still a character device", oct(os.lstat("/dev/null").st_mode))


def test_dev_full(t):
    r = load(SERVE + ["--quiet", "--json", "/dev/full"])
    t.eq("load --json /dev/full: exit status", 1, r.returncode)
    t.check(b"No space left on device" in r.stderr, "stderr",
            "No space left on device", r.stderr)
    t.check(is_chr("/dev/full"), "/dev/full", "still a character device",
            oct(os.lstat("/dev/full").st_mode))
    r = load(SERVE + ["--quiet", "--jsonl", "/dev/full", "--interval",
                      "0.01"])
    t.eq("load --jsonl /dev/full: exit status", 1, r.returncode)
    t.check(b"--jsonl /dev/full" in r.stderr, "stderr", "names --jsonl",
            r.stderr)


def test_stdout_append(t):
    """--json /dev/stdout into a caller's `>> log`: the log keeps its line
    and gets the JSON after it; the file is the same file."""
    d = lt.tmpdir()
    log = os.path.join(d, "log")
    with open(log, "w") as f:
        f.write("keep me\n")
    ino = os.stat(log).st_ino
    with open(log, "a") as f:
        r = load(SERVE + ["--quiet", "--json", "/dev/stdout"], stdout=f)
    t.eq("exit status", 0, r.returncode)
    text = open(log).read()
    t.check(text.startswith("keep me\n"), "the log's first line", "keep me",
            text[:40])
    t.eq("the log's inode (not replaced)", ino, os.stat(log).st_ino)
    try:
        j = json.loads(text[len("keep me\n"):])
        t.eq("the JSON after it: requests completed", 200,
             j["load"]["requests"]["completed"])
    except ValueError as e:
        t.fail(f"no JSON after the kept line: {e}: {text[:200]!r}")


def test_json_dash(t):
    r = load(SERVE + ["--json", "-"])
    t.eq("load --json -: exit status", 0, r.returncode)
    try:
        j = json.loads(r.stdout)
        t.eq("stdout is the JSON alone: requests completed", 200,
             j["load"]["requests"]["completed"])
    except ValueError as e:
        t.fail(f"stdout is not one JSON document: {e}: {r.stdout[:200]!r}")
    t.check(b"requests" in r.stderr, "the human summary", "on stderr",
            r.stderr[:200])


def test_merge_full(t):
    d = lt.tmpdir()
    a = os.path.join(d, "a.json")
    r = load(SERVE + ["--quiet", "--json", a])
    t.eq("input run: exit status", 0, r.returncode)
    with open("/dev/full", "w") as full:
        r = subprocess.run([sbtest.BIN, "merge", a], stdout=full,
                           stderr=subprocess.PIPE, timeout=10)
    t.eq("merge > /dev/full: exit status", 1, r.returncode)
    r = subprocess.run([sbtest.BIN, "merge", a, "--json", "/dev/full"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=10)
    t.eq("merge --json /dev/full: exit status", 1, r.returncode)
    t.check(is_chr("/dev/full"), "/dev/full", "still a character device",
            oct(os.lstat("/dev/full").st_mode))


def test_links_and_fifos(t):
    d = lt.tmpdir()
    target = os.path.join(d, "target.json")
    link = os.path.join(d, "link.json")
    with open(target, "w") as f:
        f.write("old\n")
    os.symlink(target, link)
    r = load(SERVE + ["--quiet", "--json", link])
    t.eq("--json LINK: exit status", 0, r.returncode)
    t.check(os.path.islink(link), "the link", "still a symlink",
            os.lstat(link).st_mode)
    t.eq("the target holds the run", 200,
         json.load(open(target))["load"]["requests"]["completed"])
    dangling = os.path.join(d, "dangling.json")
    os.symlink(os.path.join(d, "made.json"), dangling)
    r = load(SERVE + ["--quiet", "--json", dangling])
    t.check(os.path.islink(dangling) and os.path.isfile(
        os.path.join(d, "made.json")), "a dangling link",
        "followed: its target written, the link kept", os.listdir(d))
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
    r = load(SERVE + ["--quiet", "--json", fifo])
    got = reader.communicate(timeout=20)[0]
    t.eq("--json FIFO: exit status", 0, r.returncode)
    t.check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO", "still a FIFO",
            oct(os.lstat(fifo).st_mode))
    t.check(got.startswith(b"{"), "what the FIFO's reader got", "the JSON",
            got[:40])


def cases(runner):
    runner.run("dev-null", test_dev_null, timeout=40)
    runner.run("dev-full", test_dev_full, timeout=40)
    runner.run("stdout-append", test_stdout_append, timeout=40)
    runner.run("json-dash", test_json_dash, timeout=40)
    runner.run("merge-full", test_merge_full, timeout=40)
    runner.run("links-and-fifos", test_links_and_fifos, timeout=60)


def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    sbtest.require_root("hostile_outputs.py", "a private mount namespace "
                        "with a /dev of its own")
    sbtest.in_private_mount_namespace(__file__, MNTNS_ENV)
    private_dev()
    lt.run_tests("hostile_outputs", cases)


if __name__ == "__main__":
    main()
