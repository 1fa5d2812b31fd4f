#!/usr/bin/env python3
"""An echo server that says how each connection ended, for test_close.py:

    closesrv.py PORT LOG

One thread per connection; on the client's FIN recv() returns b'' and the
line "eof" is appended to LOG, on its RST recv() raises
ConnectionResetError and the line is "reset"; either way the socket is
closed at once (so the client, which closed first, holds the TIME_WAIT).
The listen socket is bound WITHOUT SO_REUSEADDR, as a first server is
written: restarted while a TIME_WAIT holds its port, bind() fails with
"Address already in use" (printed on stderr, exit 1).  Prints READY once
it listens; SIGTERM ends it (the kernel closes what it held: FIN).
"""

import socket
import sys
import threading

PORT = int(sys.argv[1])
LOG = sys.argv[2]
lock = threading.Lock()


def note(what):
    with lock, open(LOG, "a") as f:
        f.write(what + "\n")


def serve(conn):
    how = "eof"
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except ConnectionResetError:
        how = "reset"
    except OSError as e:
        how = f"error {e.errno}"
    finally:
        conn.close()
    note(how)


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", PORT))
    except OSError as e:
        print(f"closesrv: bind 127.0.0.1:{PORT}: {e.strerror}", file=sys.stderr,
              flush=True)
        sys.exit(1)
    s.listen(128)
    print("READY", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
