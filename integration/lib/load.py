"""Clients for the integration tests: wrk for load, a probe for per-request
outcomes, curl for a real client's view, and raw sockets for malformed input.

Every loop here is bounded in count and in time.
"""

import dataclasses
import http.client
import re
import socket
import subprocess
import time

# ---- wrk ---------------------------------------------------------------------


@dataclasses.dataclass
class WrkResult:
    requests: int
    requests_per_s: float
    non_2xx_3xx: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    output: str

    @property
    def socket_errors(self):
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts


def parse_wrk(text):
    """Parses wrk's report into a WrkResult (missing lines count as 0)."""
    def num(pattern, cast=int):
        m = re.search(pattern, text)
        return cast(m.group(1)) if m else cast(0)
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errs = [int(x) for x in m.groups()] if m else [0, 0, 0, 0]
    if not re.search(r"(\d+) requests in", text):
        raise AssertionError(f"wrk printed no report:\n{text}")
    return WrkResult(
        requests=num(r"(\d+) requests in"),
        requests_per_s=num(r"Requests/sec:\s+([\d.]+)", float),
        non_2xx_3xx=num(r"Non-2xx or 3xx responses: (\d+)"),
        connect_errors=errs[0], read_errors=errs[1], write_errors=errs[2], timeouts=errs[3],
        output=text)


def wrk_argv(url, duration_s=2, connections=4, threads=1, timeout_s=2):
    assert duration_s <= 30 and connections <= 256, "keep load bounded"
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s",
            f"--timeout", f"{timeout_s}s", url]


class Wrk:
    """wrk running in the background, started through a Harness (killed by PID)."""

    def __init__(self, harness, url, duration_s=2, connections=4, threads=1, timeout_s=2):
        self.duration_s = duration_s
        self.proc = harness.start("wrk", wrk_argv(url, duration_s, connections, threads, timeout_s))

    def result(self, extra_timeout=15):
        """Waits for wrk to finish and parses its report."""
        rc = self.proc.wait(timeout=self.duration_s + extra_timeout)
        self.proc._finish()
        text = "\n".join(self.proc.lines())
        if rc != 0:
            raise AssertionError(f"wrk exited {rc}:\n{text}")
        return parse_wrk(text)


def run_wrk(url, duration_s=2, connections=4, threads=1, timeout_s=2):
    """Runs wrk in the foreground; returns its WrkResult."""
    r = subprocess.run(wrk_argv(url, duration_s, connections, threads, timeout_s),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=duration_s + 15)
    text = r.stdout.decode("utf-8", "replace")
    if r.returncode != 0:
        raise AssertionError(f"wrk exited {r.returncode}:\n{text}")
    return parse_wrk(text)


# ---- one request, and the probe --------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What one request saw. status is None when the request failed at socket level."""
    status: int = None
    backend: str = None
    body: str = ""
    headers: dict = dataclasses.field(default_factory=dict)  # lower-case name -> value
    set_cookies: list = dataclasses.field(default_factory=list)
    error: str = None
    elapsed: float = 0.0

    @property
    def ok(self):
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _outcome_from(resp, started):
    body = resp.read().decode("utf-8", "replace")
    headers = {k.lower(): v for k, v in resp.getheaders()}
    cookies = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
    return Outcome(status=resp.status, backend=headers.get("x-backend"), body=body,
                   headers=headers, set_cookies=cookies, elapsed=time.monotonic() - started)


def request(host, port, path="/", method="GET", headers=None, body=None, source=None,
            timeout=5.0, conn=None):
    """One HTTP request; a fresh connection unless CONN (an HTTPConnection) is given.

    SOURCE is a local address to bind ("127.0.0.5") to act as another client.
    Never raises for network errors: they are in Outcome.error.
    """
    started = time.monotonic()
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(host, port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return _outcome_from(conn.getresponse(), started)
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        return Outcome(error=f"{type(e).__name__}: {e}", elapsed=time.monotonic() - started)
    finally:
        if own:
            conn.close()


class Probe:
    """Issues a bounded series of requests and records every outcome."""

    def __init__(self, host, port, path="/", keepalive=False, source=None, headers=None,
                 timeout=5.0):
        self.host, self.port, self.path = host, port, path
        self.keepalive = keepalive
        self.source = source
        self.headers = headers or {}
        self.timeout = timeout
        self.outcomes = []
        self._conn = None

    def one(self, headers=None):
        conn = None
        if self.keepalive:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout,
                    source_address=(self.source, 0) if self.source else None)
            conn = self._conn
        h = dict(self.headers)
        h.update(headers or {})
        o = request(self.host, self.port, self.path, headers=h, source=self.source,
                    timeout=self.timeout, conn=conn)
        if o.error and self.keepalive:
            self._conn = None  # reconnect next time
        self.outcomes.append(o)
        return o

    def run(self, n, max_seconds=30.0, headers=None):
        """Up to N requests, stopping after MAX_SECONDS; returns their outcomes."""
        deadline = time.monotonic() + max_seconds
        start = len(self.outcomes)
        for _ in range(n):
            if time.monotonic() > deadline:
                break
            self.one(headers)
        return self.outcomes[start:]

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def by_backend(outcomes):
    """{backend name: count} of the successful outcomes."""
    counts = {}
    for o in outcomes:
        if o.ok:
            counts[o.backend] = counts.get(o.backend, 0) + 1
    return counts


def failures(outcomes):
    return [o for o in outcomes if not o.ok]


def describe(outcomes, limit=5):
    """A short text of the failed outcomes, for assertion messages."""
    bad = failures(outcomes)
    lines = [f"{len(bad)} failed of {len(outcomes)}"]
    lines += [f"  status={o.status} error={o.error} body={o.body[:80]!r}" for o in bad[:limit]]
    return "\n".join(lines)


# ---- curl ---------------------------------------------------------------------------


def curl(url, interface=None, headers=(), cookie=None, max_time=5.0, extra=()):
    """Runs curl; returns an Outcome (status, headers, body, X-Backend)."""
    argv = ["curl", "-sS", "-i", "--max-time", str(max_time)]
    if interface:
        argv += ["--interface", interface]
    for h in headers:
        argv += ["-H", h]
    if cookie:
        argv += ["--cookie", cookie]
    argv += list(extra) + [url]
    started = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=max_time + 5)
    elapsed = time.monotonic() - started
    if r.returncode != 0:
        return Outcome(error=f"curl exit {r.returncode}: {r.stderr.decode().strip()}", elapsed=elapsed)
    raw = r.stdout.decode("utf-8", "replace")
    head, _, body = raw.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers_d, cookies = {}, []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers_d[k.strip().lower()] = v.strip()
        if k.strip().lower() == "set-cookie":
            cookies.append(v.strip())
    return Outcome(status=status, backend=headers_d.get("x-backend"), body=body,
                   headers=headers_d, set_cookies=cookies, elapsed=elapsed)


# ---- raw sockets ----------------------------------------------------------------------


@dataclasses.dataclass
class RawReply:
    data: bytes
    closed: bool      # the peer closed (EOF or reset) within the timeout
    elapsed: float

    @property
    def status(self):
        m = re.match(rb"HTTP/1\.[01] (\d{3})", self.data)
        return int(m.group(1)) if m else None


def raw_exchange(host, port, payload, timeout=3.0, source=None):
    """Sends PAYLOAD on a new connection and reads until the peer closes or
    TIMEOUT passes. Returns what came back and whether the peer closed."""
    started = time.monotonic()
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    data = b""
    closed = False
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        deadline = started + timeout
        while not closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            s.settimeout(remaining)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
    finally:
        s.close()
    return RawReply(data=data, closed=closed, elapsed=time.monotonic() - started)
