"""The progress and cancel protocol that every long operation (import, analyse, export) follows.

A long operation takes two optional keyword arguments, ``progress`` (a callable receiving
``Progress``) and ``cancel`` (a ``CancelToken``). It reports progress after each unit of work and
calls ``cancel.check()`` between units, which raises ``Cancelled``; the operation leaves the case
consistent when that happens (work is committed in whole batches).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    label: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]


class Cancelled(Exception):
    """Raised by ``CancelToken.check`` once cancel was asked for."""

    def __init__(self, message: str = "The operation was cancelled.") -> None:
        super().__init__(message)


class CancelToken:
    """A thread-safe flag: the UI or a signal handler sets it, the operation checks it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def report(progress: ProgressCallback | None, done: int, total: int | None, label: str = "") -> None:
    """Call ``progress`` if there is one; operations use this so the callback stays optional."""
    if progress is not None:
        progress(Progress(done, total, label))


def check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.check()
