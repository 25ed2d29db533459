"""An asyncio echo server, a peer yardstick for echod's benchmark (make
bench): a Protocol that writes back what it receives, pausing its reading
while the transport's write buffer is full.  Usage: python3 echo.py
[PORT] listens on 127.0.0.1 with echod's default backlog, prints the port.
"""
import asyncio
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()

    # eof_received returns None: the transport closes once it has sent
    # everything it holds.


async def main(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", port, backlog=128)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    except OSError as e:
        print(f"echo.py: {e}", file=sys.stderr)
        sys.exit(71)
