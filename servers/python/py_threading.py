"""py-threading - socketserver.ThreadingTCPServer: a thread per connection.

The standard library's answer to the blocking server's starvation: the
server's loop accepts, and each connection gets a thread of its own that
runs the handler's handle() with plain blocking calls.  Simple to write; the
cost is a thread (stack, scheduling, the GIL) per client.
"""

import socketserver

import sbpy


class Handler(socketserver.BaseRequestHandler):
    """handle() runs in the connection's own thread; self.request is the
    connected socket, closed by the server when handle() returns."""

    def handle(self):
        a, stats = self.server.a, self.server.stats
        stats.opened()
        proto = sbpy.Conn(a, stats)
        try:
            while True:
                data = self.request.recv(a.recv_size)
                if not data:
                    stats.add(peer_fin=1)
                    break  # the client closed its side
                out = proto.feed(data)
                if out:
                    self.request.sendall(out)  # blocking: waits for room
                    stats.add(bytes_out=len(out), send_calls=1)
        except sbpy.ProtocolError:
            pass  # counted; returning closes the connection
        except OSError as e:
            stats.error(e)
        finally:
            stats.closed()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a stop does not wait for connections to end

    def __init__(self, a, sock, stats):
        # The listen socket is sbpy's (IPv4, IPv6 or unix:, the backlog
        # as asked), so do not let the base class bind one of its own.
        super().__init__(None, Handler, bind_and_activate=False)
        self.socket.close()
        self.socket, self.address_family = sock, sock.family
        self.a, self.stats = a, stats

    def get_request(self):
        conn, addr = self.socket.accept()
        # --on-accept close|reset ends it here, in the server's thread:
        # socketserver's own end of a request (shutdown_request) would
        # send FIN before any RST.  An OSError from get_request makes
        # socketserver skip the request (_handle_request_noblock).
        if sbpy.end_on_accept(self.a, conn, self.stats, conn.close):
            raise ConnectionAbortedError("--on-accept " + self.a.on_accept)
        return conn, addr or ("unix", 0)  # unix: accept() gives "" as addr


def model(a, sock, stats):
    server = Server(a, sock, stats)
    # serve_forever() waits in a selector (poll_interval 0.5 s); the stop
    # signal's handler raises out of it in the main thread
    server.serve_forever()


if __name__ == "__main__":
    sbpy.run(model)
