"""py-selectors - the Real Python tutorial's multi-connection server.

One thread, non-blocking sockets, and a selector (epoll underneath) that
says which of them are ready:

    sel.register(lsock, selectors.EVENT_READ, data=None)
    while True:
        for key, mask in sel.select():
            if key.data is None: accept_wrapper(key.fileobj)
            else: service_connection(key, mask)

--send picks what happens to a reply bigger than the socket's free buffer:
  send      one send(); what did not fit is dropped (counted: short_sends,
            bytes_dropped) - the bug of a server that ignores send()'s result;
  sendall   socket.sendall(): on a non-blocking socket it raises
            BlockingIOError once the buffer is full, the rest is lost
            (counted as the error "BlockingIOError" and in bytes_dropped);
  buffered  the tutorial's way: keep what is left in data.outb, ask for
            EVENT_WRITE, send more when the socket says it has room.
"""

import selectors
import types

import sbpy

sel = selectors.DefaultSelector()


def accept_wrapper(sock, a, stats):
    conn, addr = sock.accept()  # ready: this does not block
    if sbpy.end_on_accept(a, conn, stats, conn.close):
        return  # --on-accept close|reset
    conn.setblocking(False)
    stats.opened()
    data = types.SimpleNamespace(proto=sbpy.Conn(a, stats), outb=b"")
    sel.register(conn, selectors.EVENT_READ, data=data)


def close(sock, stats):
    sel.unregister(sock)
    sock.close()
    stats.closed()


def send_reply(sock, data, out, a, stats):
    """Send out as --send says; keep the rest in data.outb (buffered)."""
    if a.send == "sendall":
        try:
            sock.sendall(out)
            stats.add(bytes_out=len(out), send_calls=1)
        except BlockingIOError as e:  # sent bytes unknown: all counted lost
            stats.error(e)
            stats.add(send_calls=1, bytes_dropped=len(out))
        return
    n = sock.send(out)  # as much as fits in the socket buffer now
    stats.add(bytes_out=n, send_calls=1)
    if n < len(out) and a.send == "send":
        stats.add(short_sends=1, bytes_dropped=len(out) - n)
    elif n < len(out):
        data.outb = out[n:]  # buffered: the rest waits for EVENT_WRITE
        sel.modify(sock, selectors.EVENT_WRITE, data=data)


def service_connection(key, mask, a, stats):
    sock, data = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        recv_data = sock.recv(a.recv_size)  # ready: this does not block
        if not recv_data:
            stats.add(peer_fin=1)
            close(sock, stats)  # the client closed its side
            return
        out = data.proto.feed(recv_data)
        if out:
            send_reply(sock, data, out, a, stats)
    elif mask & selectors.EVENT_WRITE and data.outb:
        n = sock.send(data.outb)
        stats.add(bytes_out=n, send_calls=1)
        data.outb = data.outb[n:]
        if not data.outb:  # all out: listen for the next request again
            sel.modify(sock, selectors.EVENT_READ, data=data)


def model(a, sock, stats):
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ, data=None)
    while True:
        for key, mask in sel.select(timeout=None):
            if key.data is None:
                try:
                    accept_wrapper(key.fileobj, a, stats)
                except BlockingIOError:
                    pass  # another wake-up took it: nothing waits
                continue
            try:
                service_connection(key, mask, a, stats)
            except sbpy.ProtocolError:
                close(key.fileobj, stats)  # counted in feed()
            except OSError as e:  # ECONNRESET, EPIPE
                stats.error(e)
                close(key.fileobj, stats)


if __name__ == "__main__":
    sbpy.run(model)
