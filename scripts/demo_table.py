#!/usr/bin/env python3
"""Start every sockbench server model, talk to each over real sockets, print a table.

Each model serves the rr protocol on a free loopback port; 20 client threads
each send 50 requests (64-byte request, 1 KiB reply, every reply byte
checked); then the server is stopped with SIGTERM and its own stats JSON is
read back. The numbers in the table are the server's counters, not the
client's guesses. (The C load generator will replace this driver.)
"""
import argparse, json, os, signal, socket, struct, subprocess, sys, tempfile, threading, time

CLIENTS, REQUESTS, REQ, RESP = 20, 50, 64, 1024
PATTERN = bytes(i % 251 for i in range(RESP))


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("server closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def client(port, errors):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            frame = struct.pack(">II", REQ, RESP) + b"q" * REQ
            for _ in range(REQUESTS):
                s.sendall(frame)
                if recv_exact(s, RESP) != PATTERN:
                    errors.append("integrity")
    except OSError as e:
        errors.append(type(e).__name__)


def run_model(binary, model, statsdir):
    stats_path = os.path.join(statsdir, model + ".json")
    p = subprocess.Popen([binary, "serve", "--model", model, "--proto", "rr", "--port", "0",
                          "--stats", stats_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline()
        if not line.startswith("READY"):
            return {"model": model, "error": (p.stderr.read() or "no READY line").strip()}
        port = int(dict(f.split("=", 1) for f in line.split()[1:])["port"])
        errors = []
        threads = [threading.Thread(target=client, args=(port, errors)) for _ in range(CLIENTS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        st = json.load(open(stats_path))
        return {"model": model, "st": st, "elapsed": elapsed, "client_errors": len(errors)}
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/sockbench")
    args = ap.parse_args()
    models = [l.split()[0] for l in subprocess.run([args.bin, "--help"], capture_output=True,
              text=True).stdout.split("server models (--model):\n")[1].splitlines() if l.strip()
              and not l.startswith("options")]
    print("%d clients x %d requests (%d B request, %d B reply, every byte checked) per model\n"
          % (CLIENTS, REQUESTS, REQ, RESP))
    print("%-9s %9s %11s %11s %7s %8s %9s" % ("model", "requests", "bytes_in", "bytes_out",
                                                "errors", "time_s", "req/s"))
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        for m in models:
            r = run_model(args.bin, m, d)
            if "error" in r:
                print("%-9s %s" % (m, r["error"]))
                failed += 1
                continue
            st = r["st"]
            errs = r["client_errors"] + sum(st["errors"].values()) + st["protocol_errors"]
            failed += errs > 0 or st["requests"] != CLIENTS * REQUESTS
            print("%-9s %9d %11d %11d %7d %8.2f %9.0f" % (m, st["requests"], st["bytes_in"],
                  st["bytes_out"], errs, r["elapsed"], st["requests"] / r["elapsed"]))
    print("\n(a Python client drives these: the rates measure the client as much as the"
          " servers)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
