"""py-asyncio - asyncio.start_server: one thread, one event loop, streams.

Each connection is a coroutine written like the blocking server's loop
(`await reader.read()`, `writer.write(); await writer.drain()`), and the
event loop (epoll underneath) runs them all, switching at every await.
asyncio reads its own chunks into the StreamReader's buffer (up to 64 KiB
a time), so this model takes no --recv-size.
"""

import asyncio
import signal

import sbpy


async def client(reader, writer, a, stats):
    # --on-accept close|reset: abort() closes the socket at once (no
    # buffered bytes to flush); with SO_LINGER {on, 0} that close is RST
    if sbpy.end_on_accept(a, writer.get_extra_info("socket"), stats,
                          writer.transport.abort):
        return
    stats.opened()
    proto = sbpy.Conn(a, stats)
    try:
        while True:
            data = await reader.read(65536)  # whatever the buffer holds
            if not data:
                stats.add(peer_fin=1)
                break  # EOF: the client closed its side
            out = proto.feed(data)
            if out:
                writer.write(out)  # queued in the transport
                await writer.drain()  # waits while the queue is too full
                stats.add(bytes_out=len(out), send_calls=1)
    except sbpy.ProtocolError:
        pass  # counted; the connection is closed below
    except OSError as e:
        stats.error(e)
    finally:
        writer.close()
        stats.closed()


async def main(a, sock, stats):
    loop = asyncio.get_running_loop()
    stop, resume = asyncio.Event(), asyncio.Event()
    # signals become loop callbacks (a wakeup fd): no exception mid-await
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, resume.set)
    server = await asyncio.start_server(
        lambda r, w: client(r, w, a, stats), sock=sock, start_serving=False)
    if a.pause_accept:  # --pause-accept: listening, not accepting
        await asyncio.wait([asyncio.ensure_future(resume.wait()),
                            asyncio.ensure_future(stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
    if not stop.is_set():
        await server.start_serving()
    await stop.wait()


def model(a, sock, stats):
    asyncio.run(main(a, sock, stats))


if __name__ == "__main__":
    sbpy.run(model, own_pause=True)
