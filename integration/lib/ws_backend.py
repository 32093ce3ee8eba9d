"""A WebSocket backend for the integration tests (python3-websockets), run as
its own process.

    python3 -m lib.ws_backend --port P --name NAME

Every connection first gets a text message "hello NAME", then every message
is echoed back as it came (text or binary, any size). A text message
"close" makes the server start the close handshake (code 4000). Answers a
plain HTTP request (no Upgrade) with 426, as websockets does.

Prints "ready port=P" on stdout once listening (--port 0 picks a free port).
"""

import argparse
import asyncio
import sys

import websockets

READY_RE = r"^ready port=(\d+)$"


async def serve(host, port, name):
    async def handler(ws, path=None):
        await ws.send(f"hello {name}")
        async for message in ws:
            if message == "close":
                await ws.close(code=4000, reason=f"bye from {name}")
                return
            await ws.send(message)

    async with websockets.serve(handler, host, port, max_size=None, ping_interval=None) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"ready port={bound}", flush=True)
        await asyncio.Future()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--name", required=True)
    args = p.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port, args.name))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
