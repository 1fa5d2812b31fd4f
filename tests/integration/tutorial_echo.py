#!/usr/bin/env python3
"""The echo server of the Real Python socket tutorial ("Socket Programming
in Python (Guide)", echo-server.py), as a viewer writes it first:

    tutorial_echo.py PORT

listen(), one accept(), then that one client to the end: every other
client waits in the accept queue for as long as the first one stays.
Prints READY once it listens (the only change, with the port argument and
the bind to 127.0.0.1, which the tutorial also uses). test_fairness.py
drives it: totals say 10 of 10 connected and tens of thousands of fast
replies a second; per client, one of ten was served.
"""

import socket
import sys

HOST = "127.0.0.1"
PORT = int(sys.argv[1])

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((HOST, PORT))
    s.listen()
    print("READY", flush=True)
    conn, addr = s.accept()
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
