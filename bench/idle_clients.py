#!/usr/bin/python3
"""Opens COUNT keep-alive connections to 127.0.0.1:PORT, sends one request on
each, reads its response, then keeps them all open and idle.

    bench/idle_clients.py --port 8080 --count 10000 [--hold-s 60] [--tls]

Prints "ready OK FAILED" once every connection has its response, then idles
until SIGTERM, stdin closes or --hold-s passes, and closes them all. Source
addresses rotate over 127.0.0.2-17 so ten thousand connections never run out
of ephemeral ports. With --tls every connection first completes a TLS
handshake (no certificate check, SNI bench.test, HTTP/1.1 by ALPN), so the
proxy holds an idle TLS connection. Raises its RLIMIT_NOFILE soft limit to the hard limit.
Used by bench/mem_bench.py; loopback only, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import ssl
import sys

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: tandem-idle\r\n\r\n"
MAX_HEADER = 16384


def client_tls() -> ssl.SSLContext:
    """A client that checks no certificate (the benchmark's are self-signed)
    and asks for HTTP/1.1, so every proxy keeps an HTTP/1.1 TLS session."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


async def one(port: int, src: str, timeout: float, tls: ssl.SSLContext | None = None):
    """Connects (and completes TLS with TLS), does one keep-alive request;
    returns the open writer or None."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0), limit=MAX_HEADER,
                                    ssl=tls, server_hostname="bench.test" if tls else None),
            timeout)
    except (OSError, ssl.SSLError, asyncio.TimeoutError):
        return None
    try:
        writer.write(REQUEST)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await asyncio.wait_for(reader.readexactly(min(length, 1 << 20)), timeout)
        return writer
    except (OSError, ssl.SSLError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError,
            asyncio.LimitOverrunError):
        writer.close()
        return None


async def main_async(args) -> int:
    writers = []
    failed = 0
    batch = 500
    tls = client_tls() if args.tls else None
    for start in range(0, args.count, batch):
        n = min(batch, args.count - start)
        got = await asyncio.gather(*(one(args.port, f"127.0.0.{2 + (start + i) % 16}", args.timeout_s, tls)
                                     for i in range(n)))
        writers += [w for w in got if w is not None]
        failed += sum(1 for w in got if w is None)
    print(f"ready {len(writers)} {failed}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: (sys.stdin.buffer.read1(1) or b"") or stop.set())
    try:
        await asyncio.wait_for(stop.wait(), args.hold_s)
    except asyncio.TimeoutError:
        pass
    for w in writers:
        w.close()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--hold-s", type=float, default=60)
    ap.add_argument("--timeout-s", type=float, default=10)
    ap.add_argument("--tls", action="store_true", help="a TLS handshake on every connection first")
    args = ap.parse_args()
    if not 1 <= args.count <= 50000:
        ap.error("--count must be 1..50000")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < args.count + 100:
        print(f"RLIMIT_NOFILE hard limit {hard} is below {args.count + 100}", file=sys.stderr)
        return 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
