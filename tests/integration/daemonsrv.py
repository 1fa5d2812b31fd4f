#!/usr/bin/env python3
"""A --server-cmd that daemonizes, the way classic Unix servers do.

    daemonsrv.py PORT

Forks twice with a setsid() between: the grandchild (the daemon, in a
session and process group of its own, its parent gone) listens on
127.0.0.1:PORT and accepts and holds every connection (`load --mode
connect`). The process load started waits until the daemon listens,
prints READY, and stays (SIGTERM ends it, exit 0), so the run goes on:
a stop that signals its process group never reaches the daemon.
test_outlive.py checks that the daemon dies with the run all the same.
"""

import os
import signal
import socket
import sys
import time


def daemon(port, w):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(128)
    os.write(w, b"x")
    os.close(w)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)


def main():
    port = int(sys.argv[1])
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.close(r)
            try:
                daemon(port, w)
            finally:
                os._exit(0)
        os._exit(0)
    os.close(w)
    os.wait()  # the middle process: gone at once, the daemon orphaned
    if os.read(r, 1) != b"x":
        sys.exit("daemonsrv: the daemon did not start")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY addr=127.0.0.1 port={port}", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
