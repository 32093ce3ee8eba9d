"""A backend server for the integration tests, run as its own process.

    python3 -m lib.backend --port P --name NAME [--set-cookie COOKIE]
                           [--delay-path /slow:2.0 ...] [--tcp-echo]

HTTP mode (default): HTTP/1.1 with keep-alive. Every path answers 200 with
body NAME and headers:
  X-Backend: NAME
  X-Conn-Seq: how many requests this TCP connection has carried (1, 2, ...),
              so a test can see the proxy reuses upstream connections
  X-Seen-XFF / X-Seen-XFP / X-Seen-Forwarded / X-Seen-Cookie / X-Seen-Host:
              the request's X-Forwarded-For, X-Forwarded-Proto, Forwarded,
              Cookie and Host headers as received ("-" when absent)
  X-Seen-Content-Length: every Content-Length field received, joined by "|"
  Set-Cookie: COOKIE=NAME-<n> when --set-cookie COOKIE is given and the request
              does not already carry that cookie (a session the proxy can learn)
/health answers 200 "ok" (or the status set through the control path).
--delay-path PATH:SECONDS makes PATH wait SECONDS before answering.

Control paths, meant to be called on the backend directly, not through the proxy:
  GET /_control/health?status=503   what /health answers from now on
  GET /_control/paths               JSON list of the last request paths seen
  GET /_control/inflight            number of requests being handled now
  GET /_control/count               requests answered (not /health or control)

TCP mode (--tcp-echo): echoes every byte back; when the client half-closes
(EOF), writes "bye" and closes.

Prints "ready port=P" on stdout once listening (--port 0 picks a free port).
"""

import argparse
import collections
import http.server
import json
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

READY_RE = r"^ready port=(\d+)$"


class _State:
    def __init__(self, name, set_cookie, delays):
        self.name = name
        self.set_cookie = set_cookie
        self.delays = delays
        self.health_status = 200
        self.paths = collections.deque(maxlen=2000)
        self.inflight = 0
        self.sessions = 0
        self.served = 0  # requests answered, not counting /health and control paths
        self.lock = threading.Lock()


def _make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "tandem-test-backend"
        timeout = 60  # an idle upstream connection is closed after this
        disable_nagle_algorithm = True  # header and body are separate writes

        def setup(self):
            super().setup()
            self.conn_seq = 0

        def log_message(self, fmt, *args):  # quiet: wrk sends thousands
            pass

        def _read_body(self):
            te = self.headers.get("Transfer-Encoding", "")
            if "chunked" in te.lower():
                body = b""
                while True:
                    line = self.rfile.readline(1024)
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline(16)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status, body, extra=()):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Backend", state.name)
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _control(self, url):
            q = urllib.parse.parse_qs(url.query)
            if url.path == "/_control/health":
                state.health_status = int(q.get("status", ["200"])[0])
                return self._send(200, str(state.health_status))
            if url.path == "/_control/paths":
                with state.lock:
                    paths = list(state.paths)
                return self._send(200, json.dumps(paths))
            if url.path == "/_control/count":
                with state.lock:
                    n = state.served
                return self._send(200, str(n))
            if url.path == "/_control/inflight":
                with state.lock:
                    n = state.inflight
                return self._send(200, str(n))
            return self._send(404, "unknown control path")

        def _handle(self):
            self.conn_seq += 1
            url = urllib.parse.urlsplit(self.path)
            try:
                self._read_body()
            except (ValueError, OSError):
                self.close_connection = True
                return self._send(400, "bad body", [("Connection", "close")])
            if url.path.startswith("/_control/"):
                return self._control(url)
            if url.path == "/health":
                return self._send(state.health_status, "ok" if state.health_status < 400 else "unhealthy")
            with state.lock:
                state.paths.append(self.path)
                state.inflight += 1
            try:
                delay = state.delays.get(url.path)
                if delay:
                    time.sleep(delay)
                with state.lock:
                    state.served += 1
                h = self.headers
                extra = [
                    ("X-Conn-Seq", str(self.conn_seq)),
                    ("X-Seen-XFF", h.get("X-Forwarded-For", "-")),
                    ("X-Seen-XFP", h.get("X-Forwarded-Proto", "-")),
                    ("X-Seen-Forwarded", h.get("Forwarded", "-")),
                    ("X-Seen-Cookie", h.get("Cookie", "-")),
                    ("X-Seen-Host", h.get("Host", "-")),
                    ("X-Seen-Content-Length", "|".join(h.get_all("Content-Length", [])) or "-"),
                ]
                if state.set_cookie and f"{state.set_cookie}=" not in (h.get("Cookie") or ""):
                    with state.lock:
                        state.sessions += 1
                        n = state.sessions
                    extra.append(("Set-Cookie", f"{state.set_cookie}={state.name}-{n}; Path=/"))
                return self._send(200, state.name, extra)
            finally:
                with state.lock:
                    state.inflight -= 1

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Handler


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def handle_error(self, request, client_address):
        # A peer resetting its connection is normal here (the proxy closes
        # pooled connections, tests kill the proxy); anything else is printed.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(60)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                sock.sendall(data)
            sock.sendall(b"bye")
        except OSError:
            return
        finally:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


# ---- the harness side: start and drive a backend process -----------------


class Backend:
    """A backend process started through a processes.Harness.

    The port is fixed at the first start (port 0 lets the backend pick), so a
    restart comes back on the same address.
    """

    def __init__(self, harness, name, port=0, set_cookie=None, delays=(), tcp_echo=False,
                 host="127.0.0.1"):
        self.harness = harness
        self.name = name
        self.host = host
        self.port = port
        self.set_cookie = set_cookie
        self.delays = list(delays)
        self.tcp_echo = tcp_echo
        self.proc = None
        self.start()

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def _args(self):
        args = ["--host", self.host, "--port", str(self.port), "--name", self.name]
        if self.set_cookie:
            args += ["--set-cookie", self.set_cookie]
        for path, seconds in self.delays:
            args += ["--delay-path", f"{path}:{seconds}"]
        if self.tcp_echo:
            args.append("--tcp-echo")
        return args

    def start(self):
        """Starts (or restarts) the process and awaits its ready line."""
        self.proc, m = self.harness.start_python_module(
            f"backend-{self.name}", "lib.backend", self._args(), ready=READY_RE)
        self.port = int(m.group(1))
        return self

    def kill(self):
        """SIGKILL: the backend vanishes without closing anything gracefully."""
        return self.proc.kill()

    def stop(self):
        return self.proc.stop()

    def control(self, path, timeout=5.0):
        """GET a control path on the backend directly; returns the body text."""
        import http.client
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.read().decode()
        finally:
            conn.close()

    def set_health(self, status):
        """What /health answers from now on (e.g. 503 to fail active checks)."""
        self.control(f"/_control/health?status={int(status)}")

    def paths(self):
        """The request paths this backend has served (most recent last)."""
        return json.loads(self.control("/_control/paths"))

    def count(self):
        """Requests this backend answered (not /health or control paths)."""
        return int(self.control("/_control/count"))

    def inflight(self):
        """Requests being handled right now."""
        return int(self.control("/_control/inflight"))


def _parse_delay(text):
    path, _, seconds = text.rpartition(":")
    if not path.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected /path:seconds, got {text!r}")
    return path, float(seconds)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--name", required=True)
    p.add_argument("--set-cookie", default=None)
    p.add_argument("--delay-path", type=_parse_delay, action="append", default=[])
    p.add_argument("--tcp-echo", action="store_true")
    args = p.parse_args(argv)

    if args.tcp_echo:
        server = _EchoServer((args.host, args.port), _EchoHandler)
    else:
        state = _State(args.name, args.set_cookie, dict(args.delay_path))
        server = _HTTPServer((args.host, args.port), _make_handler(state))
    print(f"ready port={server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
