"""Polling a condition with a deadline: the one wait of the harness.

    wait_until(lambda: proxy.status()["ready"], 5, what="the proxy ready")

This is not sleeping as synchronisation: it returns as soon as the condition
holds, and fails with a message naming what it waited for when the deadline
passes first.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


class GiveUp(AssertionError):
    """Raised by a predicate when waiting longer cannot help (the process it
    waits for has exited...): wait_until lets it through at once."""


class WaitTimeout(AssertionError, TimeoutError):
    """The deadline passed first. An AssertionError, so unittest reports a
    failure, not an error; a TimeoutError, so a caller that expects the
    condition may never hold can catch that alone."""


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05,
               what: str | Callable[[], str] = "condition") -> T:
    """Polls predicate every interval seconds until it returns a truthy value,
    which is returned.

    An exception from predicate other than GiveUp means "not observable yet"
    (a port not open, a file not written): it is retried, and the last one is
    named in the failure. When timeout seconds pass first, raises WaitTimeout
    naming `what`: a string, or a callable evaluated only then, to describe
    the state at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_error = None
        except GiveUp:
            raise
        except Exception as e:  # noqa: BLE001 - the condition may not be observable yet
            last_error = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if callable(what):
        try:
            what = what()
        except Exception as e:  # noqa: BLE001 - describing must not hide the timeout
            what = f"<description failed: {e!r}>"
    detail = f" (last error: {last_error!r})" if last_error else ""
    raise WaitTimeout(f"timed out after {timeout:.1f}s waiting for {what}{detail}")
