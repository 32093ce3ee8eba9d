"""Start and stop the processes a test needs, by PID, with deadlines.

Every process started here writes its stdout and stderr (merged) to a log file
in the test's temporary directory, and is registered for cleanup with the
test's addCleanup, so a failing test never leaves a process behind. Lines are
also kept in memory so a test can await a line ("ready", a log event) instead
of sleeping.

Nothing here kills by name: only the PIDs this module started are signalled.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# Loopback only: every test address is in 127.0.0.0/8.
LOOPBACK = "127.0.0.1"


def free_port(host=LOOPBACK):
    """A TCP port on HOST that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def can_connect(host, port, timeout=0.5):
    """True if a TCP connect to HOST:PORT succeeds now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def connect_refused(host, port, timeout=0.5):
    """True if a TCP connect to HOST:PORT is refused now (nothing listens)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


class Process:
    """One child process, its log file, and the lines it printed so far."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._lines = []
        self._cond = threading.Condition()
        self._log = open(log_path, "ab", buffering=0)
        self._log.write(("$ " + " ".join(argv) + "\n").encode())
        self.popen = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env, cwd=cwd)
        self.pid = self.popen.pid
        self._reader = threading.Thread(target=self._read, name=f"log-{name}", daemon=True)
        self._reader.start()

    def _read(self):
        for raw in iter(self.popen.stdout.readline, b""):
            self._log.write(raw)
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    # ---- output ------------------------------------------------------------

    def lines(self, since=0):
        """The lines printed so far, from index SINCE."""
        with self._cond:
            return list(self._lines[since:])

    def mark(self):
        """An index to pass as SINCE so only lines printed after now count."""
        with self._cond:
            return len(self._lines)

    def wait_for_line(self, pattern, timeout, since=0):
        """Waits until a line matching PATTERN (regex) is printed; returns the match.

        Raises AssertionError on timeout or if the process exits first.
        """
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                while index < len(self._lines):
                    m = rx.search(self._lines[index])
                    index += 1
                    if m:
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.name}: no line matching {pattern!r} within {timeout}s\n{self.tail()}")
                if self.popen.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(
                        f"{self.name}: exited with {self.popen.returncode} before printing "
                        f"{pattern!r}\n{self.tail()}")
                self._cond.wait(min(remaining, 0.2))

    def tail(self, n=30):
        """The last N lines, for failure messages."""
        with self._cond:
            body = "\n".join(self._lines[-n:])
        return f"--- last lines of {self.name} ({self.log_path}) ---\n{body}"

    # ---- lifecycle ---------------------------------------------------------

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        """Sends SIG to this process (by PID) if it still runs."""
        if self.popen.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout):
        """Waits up to TIMEOUT for exit; returns the exit code (negative: signal).

        Raises subprocess.TimeoutExpired if it still runs.
        """
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout=5.0):
        """SIGTERM, wait up to TIMEOUT, then SIGKILL. Returns the exit code."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        return self._finish()

    def kill(self):
        """SIGKILL and reap. Returns the exit code."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=10)
        return self._finish()

    def _finish(self):
        self._reader.join(timeout=5)
        if self.popen.stdout:
            self.popen.stdout.close()
        if not self._log.closed:
            self._log.close()
        return self.popen.returncode


# Signals that mean a process crashed rather than was stopped.
CRASH_SIGNALS = {signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL}


def is_our_daemon(name: str) -> bool:
    """NAME (as given to Harness.start) is one of Tandem's own daemons: the
    proxy tests' "lb-proxy", the cluster's "<host>-proxy" and "<host>-agent"."""
    return name in ("lb-proxy", "ha-agent") or name.endswith(("-proxy", "-agent"))


class Harness:
    """The processes and temporary files of one test.

    Create it in setUp (or a test) with the TestCase: it registers its own
    cleanup, which stops every process it started (by PID) and removes the
    temporary directory, keeping it and printing the log tails if the test
    failed or TANDEM_KEEP_LOGS is set.
    """

    def __init__(self, testcase):
        self.testcase = testcase
        self.dir = tempfile.mkdtemp(prefix="tandem-it-")
        self.processes = []
        testcase.addCleanup(self.cleanup)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        """Writes TEXT to NAME in the temp dir atomically (rename); returns the path."""
        path = self.path(name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        return path

    def start(self, name, argv, env=None, ready=None, ready_timeout=10.0, cwd=None):
        """Starts ARGV as NAME; if READY (a regex) is given, awaits that line.

        Returns (process, match) when READY is given, else the process.
        """
        log = self.path(f"{name}.{len(self.processes)}.log")
        proc = Process(name, argv, log, env=env, cwd=cwd)
        self.processes.append(proc)
        if ready is None:
            return proc
        return proc, proc.wait_for_line(ready, ready_timeout)

    def start_python_module(self, name, module, args, ready=None, ready_timeout=10.0):
        """Starts `python3 -m MODULE ARGS` with this package importable."""
        env = dict(os.environ)
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        return self.start(name, [sys.executable, "-m", module, *args], env=env,
                          ready=ready, ready_timeout=ready_timeout)

    def _failed(self):
        outcome = getattr(self.testcase, "_outcome", None)
        return outcome is not None and not getattr(outcome, "success", True)

    def cleanup(self):
        # Stop in reverse order: clients and proxies before backends.
        crashed = []
        for proc in reversed(self.processes):
            try:
                rc = proc.stop(timeout=5.0)
                if rc is not None and -rc in CRASH_SIGNALS and is_our_daemon(proc.name):
                    crashed.append(f"{proc.name} pid {proc.pid} died of {signal.Signals(-rc).name}")
            except Exception as e:  # keep cleaning the others
                sys.stderr.write(f"cleanup: {proc.name} pid {proc.pid}: {e!r}\n")
        if crashed:
            # A daemon that crashes on its way out (a use after free at exit)
            # fails the test that stopped it, whatever the test asserted.
            for proc in self.processes:
                sys.stderr.write(proc.tail(40) + "\n")
            sys.stderr.write(f"logs kept in {self.dir}\n")
            raise AssertionError("crashed at stop: " + "; ".join(crashed))
        if self._failed() or os.environ.get("TANDEM_KEEP_LOGS"):
            for proc in self.processes:
                sys.stderr.write(proc.tail(40) + "\n")
            sys.stderr.write(f"logs kept in {self.dir}\n")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
