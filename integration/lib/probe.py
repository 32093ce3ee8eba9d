"""The client probe: what a user of the VIP sees, millisecond by millisecond.

Run as its own process inside the client namespace:

    python3 -m lib.probe --target 198.18.0.100:80 --interval-ms 5 \\
        --duration-s 10 --out probe.jsonl [--timeout-ms 200] [--path /]

Every interval it starts one attempt: a NEW TCP connection, one
"GET path HTTP/1.1" with "Connection: close", the response read (headers and
Content-Length body), all within timeout-ms. Attempts overlap when one hangs
(at most --max-inflight at once), so an outage is measured to within about
one interval, not one timeout. It stops after duration-s, after max-attempts,
or on SIGTERM/SIGINT, finishing the attempts in flight.

Output: JSON lines. The first is {"type": "start", ...}, the last
{"type": "end", ...}; between them one line per finished attempt:
  {"type": "attempt", "seq": 17, "t": 1234.5678, "t_end": 1234.5690,
   "ok": true, "err": null, "status": 200, "node": "edge1",
   "backend": "backend2", "lat_ms": 1.2}
t and t_end are time.monotonic() (CLOCK_MONOTONIC is one clock for every
namespace), so a test can compare them with the moment it killed something.
err is one of: connect_timeout, refused, unreachable, reset, timeout (after
connecting), closed (EOF before a full response), bad_response, http_<status>,
or os_<ERRNO>. node is the X-Tandem-Node response header, backend X-Backend.
"ok" means status 200. Prints "ready" on stdout once the start line is written.

The analysis side (ProbeLog) reads the file, also while the probe still writes.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field

MAX_HEADER_BYTES = 16384
MAX_BODY_BYTES = 1 << 20


# ---- the probe process ---------------------------------------------------------


def _classify(exc: BaseException, connected: bool) -> str:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout" if connected else "connect_timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "closed"
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "unreachable"
    if isinstance(exc, OSError) and exc.errno:
        return "os_" + errno.errorcode.get(exc.errno, str(exc.errno))
    if isinstance(exc, (ValueError, asyncio.LimitOverrunError)):
        return "bad_response"
    return type(exc).__name__


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def _attempt(host: str, port: int, request: bytes,
                   progress: dict) -> tuple[int, dict[str, str]]:
    """One connection and request; returns (status, headers). Sets
    progress["connected"] once the TCP handshake is done."""
    reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEADER_BYTES)
    progress["connected"] = True
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEADER_BYTES:
            raise ValueError("response header too long")
        status, headers = _parse_head(head[:-4])
        length = headers.get("content-length")
        if length is not None:
            n = int(length)
            if n > MAX_BODY_BYTES:
                raise ValueError("response body too long")
            await reader.readexactly(n)
        return status, headers
    finally:
        writer.close()


class _Prober:
    def __init__(self, args: argparse.Namespace, out):
        self.args = args
        self.out = out
        host, _, port = args.target.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host or args.target}\r\n"
                        f"User-Agent: tandem-probe\r\nConnection: close\r\n\r\n").encode()
        self.timeout = args.timeout_ms / 1000
        self.inflight: set[asyncio.Task] = set()
        self.seq = 0
        self.done = 0
        self.skipped = 0
        self.stop = asyncio.Event()

    def write(self, record: dict) -> None:
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")

    async def one(self, seq: int) -> None:
        t = time.monotonic()
        rec = {"type": "attempt", "seq": seq, "t": t, "t_end": None, "ok": False,
               "err": None, "status": None, "node": None, "backend": None, "lat_ms": None}
        progress = {"connected": False}
        try:
            status, headers = await asyncio.wait_for(
                _attempt(self.host, self.port, self.request, progress), self.timeout)
            rec["status"] = status
            rec["node"] = headers.get("x-tandem-node")
            rec["backend"] = headers.get("x-backend")
            rec["ok"] = status == 200
            if not rec["ok"]:
                rec["err"] = f"http_{status}"
        except Exception as e:  # noqa: BLE001 - every failure is data
            rec["err"] = _classify(e, progress["connected"])
        rec["t_end"] = time.monotonic()
        rec["lat_ms"] = round((rec["t_end"] - t) * 1000, 3)
        self.write(rec)
        self.done += 1

    async def run(self) -> None:
        a = self.args
        start = time.monotonic()
        deadline = start + a.duration_s
        interval = a.interval_ms / 1000
        self.write({"type": "start", "target": a.target, "path": a.path,
                    "interval_ms": a.interval_ms, "timeout_ms": a.timeout_ms,
                    "duration_s": a.duration_s, "pid": os.getpid(), "t": start})
        self.out.flush()
        print("ready", flush=True)
        next_t = start
        last_flush = start
        for _ in range(a.max_attempts):
            now = time.monotonic()
            if self.stop.is_set() or now >= deadline:
                break
            if len(self.inflight) < a.max_inflight:
                self.seq += 1
                task = asyncio.ensure_future(self.one(self.seq))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
            else:
                self.skipped += 1
            if now - last_flush >= 0.1:
                self.out.flush()
                last_flush = now
            next_t += interval
            if next_t < now - interval:       # fell behind (a stall): don't burst
                next_t = now
            try:
                await asyncio.wait_for(self.stop.wait(), max(0.0, next_t - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        if self.inflight:
            await asyncio.wait(list(self.inflight), timeout=self.timeout + 1)
        self.write({"type": "end", "attempts": self.seq, "finished": self.done,
                    "skipped": self.skipped, "t": time.monotonic()})
        self.out.flush()


async def _main_async(args: argparse.Namespace) -> None:
    with open(args.out, "w", buffering=1 << 16) as out:
        prober = _Prober(args, out)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, prober.stop.set)
        await prober.run()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Tandem client probe")
    p.add_argument("--target", required=True, help="ip:port, e.g. 198.18.0.100:80")
    p.add_argument("--interval-ms", type=float, default=5.0)
    p.add_argument("--duration-s", type=float, required=True)
    p.add_argument("--timeout-ms", type=float, default=200.0)
    p.add_argument("--out", required=True)
    p.add_argument("--path", default="/")
    p.add_argument("--host", default=None, help="Host header (default: the target)")
    p.add_argument("--max-inflight", type=int, default=64)
    p.add_argument("--max-attempts", type=int, default=None,
                   help="hard cap (default: duration / interval + 1)")
    args = p.parse_args(argv)
    if args.interval_ms <= 0 or args.duration_s <= 0 or args.timeout_ms <= 0:
        p.error("interval, duration and timeout must be positive")
    if args.max_attempts is None:
        args.max_attempts = int(args.duration_s * 1000 / args.interval_ms) + 1
    asyncio.run(_main_async(args))
    return 0


# ---- the analysis side --------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One probe attempt as recorded."""
    seq: int
    t: float
    t_end: float
    ok: bool
    err: str | None
    status: int | None
    node: str | None
    backend: str | None
    lat_ms: float


@dataclass(frozen=True)
class Outage:
    """A run of failed attempts between two successes.

    start: start time of the last success before the run (or of the first
    failure when the log begins with failures; then open_start is True).
    end: start time of the first success after it (None if none followed).
    duration: end - start (None when not recovered): what a client polling
    every interval experienced, an upper bound to within one interval."""
    start: float
    end: float | None
    failures: int
    first_failure: float
    errors: tuple[str, ...]
    open_start: bool = False

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start

    @property
    def recovered(self) -> bool:
        return self.end is not None


@dataclass(frozen=True)
class Segment:
    """Consecutive successes served by one node."""
    node: str | None
    start: float
    end: float
    count: int


@dataclass
class ProbeLog:
    """A probe's output, parsed: attempts ordered by start time."""
    attempts: list[Attempt]
    start: dict = field(default_factory=dict)
    end: dict | None = None

    @classmethod
    def load(cls, path: str) -> "ProbeLog":
        """Reads a probe file; a torn last line (probe still writing) is ignored."""
        attempts, start, end = [], {}, None
        try:
            f = open(path)
        except FileNotFoundError:
            return cls([], {}, None)
        with f:
            for line in f:
                if not line.endswith("\n"):
                    break
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                kind = rec.pop("type", None)
                if kind == "attempt":
                    attempts.append(Attempt(**rec))
                elif kind == "start":
                    start = rec
                elif kind == "end":
                    end = rec
        attempts.sort(key=lambda a: a.t)
        return cls(attempts, start, end)

    def between(self, t0: float | None = None, t1: float | None = None) -> "ProbeLog":
        """The attempts that started in [t0, t1)."""
        return ProbeLog([a for a in self.attempts
                         if (t0 is None or a.t >= t0) and (t1 is None or a.t < t1)],
                        self.start, self.end)

    @property
    def successes(self) -> list[Attempt]:
        return [a for a in self.attempts if a.ok]

    @property
    def failures(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]

    def failure_count(self) -> int:
        """Number of failed attempts."""
        return len(self.failures)

    def errors(self) -> dict[str, int]:
        """Failed attempts by error kind."""
        out: dict[str, int] = {}
        for a in self.failures:
            out[a.err or "?"] = out.get(a.err or "?", 0) + 1
        return out

    def outages(self) -> list[Outage]:
        """Every run of consecutive failures (by start time), in order."""
        out: list[Outage] = []
        last_ok: Attempt | None = None
        run: list[Attempt] = []

        def close(next_ok: Attempt | None) -> None:
            if not run:
                return
            start = last_ok.t if last_ok else run[0].t
            out.append(Outage(start=start, end=next_ok.t if next_ok else None,
                              failures=len(run), first_failure=run[0].t,
                              errors=tuple(sorted({a.err or "?" for a in run})),
                              open_start=last_ok is None))
            run.clear()

        for a in self.attempts:
            if a.ok:
                close(a)
                last_ok = a
            else:
                run.append(a)
        close(None)
        return out

    def longest_outage(self) -> Outage | None:
        """The longest outage; an unrecovered one counts as longest of all."""
        outs = self.outages()
        if not outs:
            return None
        return max(outs, key=lambda o: float("inf") if o.end is None else o.duration)

    def longest_outage_s(self) -> float:
        """Seconds of the longest outage (0.0 if none, inf if unrecovered)."""
        o = self.longest_outage()
        if o is None:
            return 0.0
        return float("inf") if o.duration is None else o.duration

    def served_ranges(self) -> list[Segment]:
        """Which node served when: runs of successes by the same node
        (failures in between do not split a run)."""
        segs: list[Segment] = []
        for a in self.successes:
            if segs and segs[-1].node == a.node:
                s = segs[-1]
                segs[-1] = Segment(s.node, s.start, a.t, s.count + 1)
            else:
                segs.append(Segment(a.node, a.t, a.t, 1))
        return segs

    def nodes(self) -> dict[str | None, int]:
        """Successful attempts per serving node."""
        out: dict[str | None, int] = {}
        for a in self.successes:
            out[a.node] = out.get(a.node, 0) + 1
        return out

    def backends(self) -> dict[str | None, int]:
        """Successful attempts per backend."""
        out: dict[str | None, int] = {}
        for a in self.successes:
            out[a.backend] = out.get(a.backend, 0) + 1
        return out

    def first_served_by(self, node: str, after: float | None = None) -> float | None:
        """Start time of the first success served by node (at or after `after`)."""
        for a in self.successes:
            if a.node == node and (after is None or a.t >= after):
                return a.t
        return None

    def first_success(self, after: float | None = None) -> float | None:
        """Start time of the first success at or after `after`."""
        for a in self.successes:
            if after is None or a.t >= after:
                return a.t
        return None

    def switches(self) -> int:
        """How many times the serving node changed."""
        return max(0, len(self.served_ranges()) - 1)

    def summary(self, t0: float | None = None) -> str:
        """A few lines for a failure message; times relative to t0 (default: first attempt)."""
        if not self.attempts:
            return "probe: no attempts recorded"
        base = self.attempts[0].t if t0 is None else t0
        lines = [f"probe: {len(self.attempts)} attempts, {self.failure_count()} failed "
                 f"{self.errors()}, served by {self.nodes()}"]
        for s in self.served_ranges()[:20]:
            lines.append(f"  {s.node}: {1000 * (s.start - base):+.0f}..{1000 * (s.end - base):+.0f} ms "
                         f"({s.count} ok)")
        for o in self.outages()[:20]:
            dur = "unrecovered" if o.duration is None else f"{1000 * o.duration:.0f} ms"
            lines.append(f"  outage at {1000 * (o.start - base):+.0f} ms: {dur}, "
                         f"{o.failures} failed {list(o.errors)}")
        return "\n".join(lines)


def load(path: str) -> ProbeLog:
    """ProbeLog.load(path)."""
    return ProbeLog.load(path)


if __name__ == "__main__":
    sys.exit(main())
