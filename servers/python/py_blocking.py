"""py-blocking - the Real Python socket tutorial's first server, measured.

    with socket.socket(...) as s:
        s.bind((HOST, PORT)); s.listen()
        conn, addr = s.accept()
        with conn:
            while True:
                data = conn.recv(1024)
                if not data: break
                conn.sendall(data)

The tutorial serves one client and exits; a server has to accept the next
one, so here the accept() is in a loop.  That loop is the lesson: while one
client is served to the end, every other client waits in the listen queue
(and, past the backlog, in SYN retries).  `load --conns 4` shows it: one
slot served, three starved.
"""

import sbpy


def serve_one(a, conn, stats):
    """The tutorial's inner loop: recv, answer, until the client closes."""
    proto = sbpy.Conn(a, stats)
    with conn:
        while True:
            data = conn.recv(a.recv_size)  # blocks until bytes or EOF
            if not data:
                stats.add(peer_fin=1)
                break  # b"": the client closed its side
            out = proto.feed(data)
            if out:
                # sendall loops over send() until every byte is out: on a
                # blocking socket it simply waits for room in the buffer
                conn.sendall(out)
                stats.add(bytes_out=len(out), send_calls=1)


def model(a, sock, stats):
    while True:
        conn, addr = sock.accept()  # the next client, only after the last
        if sbpy.end_on_accept(a, conn, stats, conn.close):
            continue  # --on-accept close|reset
        stats.opened()
        try:
            serve_one(a, conn, stats)
        except sbpy.ProtocolError:
            pass  # counted; the connection is closed
        except OSError as e:  # ECONNRESET, EPIPE: the client went away
            stats.error(e)
        finally:
            stats.closed()


if __name__ == "__main__":
    sbpy.run(model)
