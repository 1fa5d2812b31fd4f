#!/usr/bin/env python3
"""load --server-host and probe, through a real sshd (issue 19).

Everything runs inside one `unshare -n` (a private network namespace
with only lo): our own sshd on 127.0.0.1:2222 (a host key and an
authorized key generated here, no PAM, nothing listening outside the
namespace), load on the same loopback, the "remote" server started by
that sshd.  Checks:
  - a run: server.accepted/requests match the client's counts;
    kernel.host and accept_queue.host say "server", server_environment set;
  - probe locally: hello, counters, queue lines; ends when stdin closes;
  - failures, one line and a recorded run (exit 1): no sshd on the port,
    a --remote-bin that does not exist, the server killed mid-run.

    python3 tests/integration/test_remote.py --bin build/sockbench
Needs root (unshare -n).  Under 30 s.
"""

import argparse
import json
import os
import shutil
import shlex
import signal
import subprocess
import sys
import tempfile
import time

PORT = 2222
FAILS = []


def check(cond, what, expected, actual):
    if not cond:
        FAILS.append(f"{what}: expected {expected}, got {actual}")
        print(f"FAIL {what}: expected {expected}, got {actual}")
    else:
        print(f"ok   {what}")


def sshd(d):
    for name in ("host", "id"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(d, name)], check=True)
    shutil.copy(os.path.join(d, "id.pub"), os.path.join(d, "auth"))
    conf = os.path.join(d, "sshd_config")
    with open(conf, "w") as f:
        f.write(f"HostKey {d}/host\nAuthorizedKeysFile {d}/auth\nStrictModes no\n"
                "PermitRootLogin prohibit-password\nUsePAM no\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                "PidFile none\nLogLevel ERROR\n")
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation dir
    p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", conf, "-o",
                          f"ListenAddress=127.0.0.1:{PORT}"])
    for _ in range(50):
        if subprocess.run(["ss", "-lnt", f"sport = :{PORT}"], capture_output=True,
                          text=True).stdout.count("LISTEN"):
            break
        time.sleep(0.05)
    return p


def ssh_opts(d, port=PORT):
    o = []
    for kv in ("StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null",
               f"IdentityFile={d}/id", f"Port={port}", "LogLevel=ERROR",
               "ConnectTimeout=3"):
        o += ["--ssh-opt", kv]
    return o


def load(b, d, extra, name, timeout=20, port=PORT, remote_bin=None):
    js = os.path.join(d, name + ".json")
    cmd = [b, "load", "--server-host", "root@127.0.0.1", *ssh_opts(d, port),
           "--remote-bin", remote_bin or b, "--quiet", "--json", js, *extra]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    j = json.load(open(js)) if os.path.exists(js) else None
    return r, j, time.monotonic() - t0


def test_run(b, d):
    r, j, _ = load(b, d, ["--requests", "5000", "--conns", "4"], "run")
    check(r.returncode == 0, "run: exit status", 0, (r.returncode, r.stderr))
    if not j:
        return
    q = j["load"]["requests"]
    check(j["error"] is None, "run: error", None, j["error"])
    check(j["server"] and j["server"]["accepted"] == j["load"]["connections"]["established"],
          "run: server.accepted = established", j["load"]["connections"]["established"],
          j["server"] and j["server"]["accepted"])
    check(j["server"] and j["server"]["requests"] == q["completed"] + q["in_flight_at_end"],
          "run: server.requests = completed + in flight", q["completed"] + q["in_flight_at_end"],
          j["server"] and j["server"]["requests"])
    check(j["kernel"]["host"] == "server", "run: kernel.host", "server", j["kernel"]["host"])
    check(j["kernel"]["delta"] and j["kernel"]["delta"].get("PassiveOpens", 0) >= 4,
          "run: kernel.delta.PassiveOpens >= 4", ">= 4", j["kernel"]["delta"])
    check(j["accept_queue"] and j["accept_queue"]["host"] == "server",
          "run: accept_queue.host", "server", j["accept_queue"])
    check(j["accept_queue"] and j["accept_queue"]["limit"] == 128,
          "run: accept_queue.limit", 128, j["accept_queue"] and j["accept_queue"]["limit"])
    env = j.get("server_environment") or {}
    check(env.get("kernel") == j["environment"]["kernel"], "run: server_environment.kernel",
          j["environment"]["kernel"], env.get("kernel"))
    check(not any("version" in w for w in j["warnings"]), "run: no version warning", [],
          j["warnings"])


def test_probe(b):
    srv = subprocess.Popen([b, "serve", "--port", "0"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    port = int(srv.stdout.readline().split(" port=")[1].split()[0])
    p = subprocess.Popen([b, "probe", "--port", str(port)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    t0 = time.monotonic()
    p.stdin.close()  # the channel hangs up
    out = p.stdout.read()
    rc = p.wait(5)
    took = time.monotonic() - t0
    srv.send_signal(signal.SIGTERM)
    srv.wait(5)
    lines = [json.loads(x) for x in out.splitlines()]
    kinds = [x["kind"] for x in lines]
    check(rc == 0 and took < 0.5, "probe: ends at stdin EOF, exit 0", "< 0.5 s, 0",
          (took, rc))
    check(kinds[:2] == ["hello", "counters"] and kinds[-1] == "counters",
          "probe: hello, counters ... counters", "hello first, counters last", kinds[:3])
    check(lines[0].get("environment", {}).get("sysctl") is not None,
          "probe: hello.environment", "sysctl object", lines[0].keys())
    qs = [x for x in lines if x["kind"] == "queue"]
    check(len(qs) >= 10 and qs[0]["limit"] == 128, "probe: queue lines (limit 128)",
          ">= 10", (len(qs), qs[:1]))


def one_line_fail(r, j, what, needle):
    err = (j or {}).get("error") or ""
    check(r.returncode == 1, f"{what}: exit 1", 1, (r.returncode, r.stderr))
    check(needle in err, f"{what}: error names it", needle, err)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    check(len(lines) == 1, f"{what}: one line on stderr", 1, lines)


def test_fail_nosshd(b, d):
    r, j, took = load(b, d, ["--duration", "1"], "nosshd", port=PORT + 1)
    one_line_fail(r, j, "no sshd", "ssh failed")
    check(took < 5, "no sshd: fast", "< 5 s", took)


def test_fail_nobin(b, d):
    r, j, _ = load(b, d, ["--duration", "1"], "nobin", remote_bin="/nonexistent/sockbench")
    one_line_fail(r, j, "missing --remote-bin", "not found there")


def serve_pids(b):
    """The remote servers of this test: in this network namespace only (a
    test beside it, it.sshbed, runs the same binary's servers in its own;
    killing one of those failed that test)."""
    mine = os.readlink("/proc/self/ns/net")
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                ns = os.readlink(f"/proc/{pid}/ns/net")
            except OSError:
                continue
            if argv[0] == b.encode() and b"serve" in argv and b"--stop-on-eof" in argv \
                    and ns == mine:
                out.append(int(pid))
    return out


def test_fail_killed(b, d):
    js = os.path.join(d, "killed.json")
    cmd = [b, "load", "--server-host", "root@127.0.0.1", *ssh_opts(d), "--remote-bin", b,
           "--quiet", "--json", js, "--duration", "3", "--conns", "2"]
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    time.sleep(1.2)
    pids = serve_pids(b)
    check(len(pids) == 1, "killed: one remote server to kill", 1, pids)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    err = p.stderr.read()
    rc = p.wait(10)
    took = time.monotonic() - t0
    j = json.load(open(js)) if os.path.exists(js) else {}
    check(rc == 1, "killed: exit 1", 1, (rc, err))
    check("during the run" in (j.get("error") or ""), "killed: error says so",
          "during the run", j.get("error"))
    check(took < 1.5, "killed: load notices", "< 1.5 s", took)


def test_run_python(b, d):
    """A Python model over ssh: it ends when the channel closes (serve's
    --stop-on-eof reaches sbpy.py), so the run ends at once and nothing
    stays on the server's host."""
    r, j, took = load(b, d, ["--serve", "--model py-selectors", "--requests", "2000",
                             "--conns", "2"], "python")
    check(r.returncode == 0, "python over ssh: exit status", 0, (r.returncode, r.stderr))
    check(took < 10, "python over ssh: stopped by the channel's end, not by a kill after 15 s",
          "< 10 s", f"{took:.1f} s")
    check(j and j["server"] and j["server"]["model"] == "py-selectors" and
          j["server"]["requests"] == j["load"]["requests"]["completed"] +
          j["load"]["requests"]["in_flight_at_end"],
          "python over ssh: the server's stats came back and match", "requests equal",
          j and j.get("server"))


def test_live_remote_sysctl(b, d):
    """--live with --server-host and --remote-sysctl, on a terminal
    (script(1)): the view is a forked process; it must not hold the ssh
    channels' stdin, or closing them stops nothing (the server would be
    killed after 15 s and the restore never confirmed)."""
    with open("/proc/sys/net/core/somaxconn") as f:
        before = f.read().strip()
    js = os.path.join(d, "live.json")
    cmd = [b, "load", "--server-host", "root@127.0.0.1", *ssh_opts(d),
           "--remote-bin", b, "--remote-sysctl", "net.core.somaxconn=77",
           "--duration", "1", "--live", "--quiet", "--json", js]
    t0 = time.monotonic()
    r = subprocess.run(["script", "-qec", shlex.join(cmd), "/dev/null"],
                       capture_output=True, text=True, timeout=40)
    took = time.monotonic() - t0
    j = json.load(open(js)) if os.path.exists(js) else {}
    check(r.returncode == 0, "live remote: exit status", 0, r.returncode)
    check(took < 8, "live remote: the channels ended with the run", "< 8 s",
          f"{took:.1f} s")
    check((j.get("live") or {}).get("redraws", 0) > 0, "live remote: the view drew",
          "> 0 redraws", j.get("live"))
    rs = j.get("remote_sysctl") or {}
    check(rs.get("restore_confirmed") is True and rs.get("set") ==
          {"net.core.somaxconn": "77"}, "live remote: remote_sysctl set and restored",
          "set 77, restore confirmed", rs)
    check(not j.get("warnings"), "live remote: no warnings", [], j.get("warnings"))
    with open("/proc/sys/net/core/somaxconn") as f:
        after = f.read().strip()
    check(after == before, "live remote: somaxconn put back", before, after)


def test_sysctl_twice(b):
    """One name twice would keep the first new value as the "old" one and
    leave it set: refused by load and by probe, before anything runs."""
    for cmd in ([b, "load", "--server-host", "127.0.0.1", "--remote-sysctl",
                 "net.core.somaxconn=77", "--remote-sysctl", "net.core.somaxconn=88"],
                [b, "probe", "--sysctl", "net.core.somaxconn=77", "--sysctl",
                 "net.core.somaxconn=88"]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and "twice" in lines[0],
              f"{cmd[1]}: a sysctl given twice", "exit 2, one line", (r.returncode, lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    b = os.path.abspath(a.bin)
    if os.environ.get("SB_REMOTE_NETNS") != "1":
        env = dict(os.environ, SB_REMOTE_NETNS="1")
        return subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__),
                               "--bin", b], env=env).returncode
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    d = tempfile.mkdtemp(prefix="sb-remote-")
    os.chmod(d, 0o755)
    sd = sshd(d)
    try:
        test_probe(b)
        test_run(b, d)
        test_run_python(b, d)
        test_fail_nosshd(b, d)
        test_fail_nobin(b, d)
        test_fail_killed(b, d)
        test_live_remote_sysctl(b, d)
        test_sysctl_twice(b)
    finally:
        sd.terminate()
        sd.wait(5)
        shutil.rmtree(d, ignore_errors=True)
    left = serve_pids(b)
    check(not left, "nothing left running", [], left)
    print(f"{len(FAILS)} failed" if FAILS else "all passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
