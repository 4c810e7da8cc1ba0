"""The one way the GUI runs long core work: off the GUI thread, with progress, cancel and errors.

``run_in_background(fn, *args, **kwargs)`` calls ``fn(*args, progress=cb, cancel=token, **kwargs)``
on a ``QThreadPool`` and returns a ``BackgroundJob`` whose signals are always emitted on the GUI
thread: ``progressed(Progress)``, ``finished(result)``, ``failed(message)`` and ``cancelled()``.
Exactly one of the last three is emitted, once, followed by ``done()``.

A cancellable ``QProgressDialog`` appears only if the job is still running after a short delay,
so quick jobs never flash a dialog. Progress is throttled in the worker thread so that a function
reporting thousands of steps a second cannot flood the GUI event queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from evidence.progress import Cancelled, CancelToken, Progress

DIALOG_DELAY_MS = 500
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress updates a second reach the GUI

# Jobs still running. A job is a QObject with no parent, so without this reference Python could
# collect it while its worker thread is still reporting to it.
_RUNNING: set[BackgroundJob] = set()


class _Relay(QObject):
    """Signals the worker thread emits; connected to the job with queued connections."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class _Runnable(QRunnable):
    """Calls the function in a pool thread and reports through the relay."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        token: CancelToken,
        relay: _Relay,
    ) -> None:
        super().__init__()
        # The job keeps this object; Qt must not delete it behind Python's back.
        self.setAutoDelete(False)
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._token = token
        self._relay = relay
        self._lock = threading.Lock()
        self._last_emit = 0.0
        self._pending: Progress | None = None

    def _on_progress(self, progress: Progress) -> None:
        # Called from the worker (or from threads the function starts), hence the lock.
        now = time.monotonic()
        final = bool(progress.total) and progress.done >= progress.total
        with self._lock:
            if final or now - self._last_emit >= PROGRESS_INTERVAL_S:
                self._last_emit = now
                self._pending = None
                emit = True
            else:
                self._pending = progress
                emit = False
        if emit:
            self._relay.progressed.emit(progress)

    def _flush_progress(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self._relay.progressed.emit(pending)

    def run(self) -> None:
        try:
            result = self._fn(
                *self._args, progress=self._on_progress, cancel=self._token, **self._kwargs
            )
        except Cancelled:
            self._flush_progress()
            self._relay.cancelled.emit()
        except Exception as exc:  # any failure becomes one sentence for the user
            self._flush_progress()
            self._relay.failed.emit(error_message(exc))
        else:
            self._flush_progress()
            self._relay.finished.emit(result)


def error_message(exc: BaseException) -> str:
    """The exception's own sentence, or a plain fallback when it has none."""
    text = str(exc).strip()
    if text:
        return text
    return f"The operation failed ({type(exc).__name__})."


class BackgroundJob(QObject):
    """A running core function. Signals are delivered on the GUI thread."""

    progressed = Signal(object)  # Progress
    finished = Signal(object)  # the function's return value
    failed = Signal(str)  # one sentence
    cancelled = Signal()
    done = Signal()  # after any of finished / failed / cancelled

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        parent_widget: QWidget | None,
        label: str,
        show_dialog: bool,
        dialog_delay_ms: int,
    ) -> None:
        super().__init__()
        self.token = CancelToken()
        self.label = label
        self._parent_widget = parent_widget
        self._show_dialog = show_dialog
        self._dialog: QProgressDialog | None = None
        self._last_progress: Progress | None = None
        self._running = False

        self._relay = _Relay()
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.progressed.connect(self._on_worker_progressed, queued)
        self._relay.finished.connect(self._on_worker_finished, queued)
        self._relay.failed.connect(self._on_worker_failed, queued)
        self._relay.cancelled.connect(self._on_worker_cancelled, queued)
        self._runnable = _Runnable(fn, args, kwargs, self.token, self._relay)

        self._dialog_timer = QTimer(self)
        self._dialog_timer.setSingleShot(True)
        self._dialog_timer.setInterval(dialog_delay_ms)
        self._dialog_timer.timeout.connect(self._on_dialog_timer_timeout)

    # -- public -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    @property
    def dialog(self) -> QProgressDialog | None:
        """The progress dialog, once it has been shown (None for quick or dialog-less jobs)."""
        return self._dialog

    def cancel(self) -> None:
        """Ask the function to stop; it does so at its next ``cancel.check()``."""
        self.token.cancel()
        if self._dialog is not None and shiboken6.isValid(self._dialog):
            self._dialog.setLabelText("Cancelling…")

    def start(self, pool: QThreadPool | None = None) -> None:
        if self._running:
            raise RuntimeError("This job is already running.")
        self._running = True
        _RUNNING.add(self)
        if self._show_dialog:
            self._dialog_timer.start()
        (pool or QThreadPool.globalInstance()).start(self._runnable)

    # -- worker signals (GUI thread) ----------------------------------------------------------

    @Slot(object)
    def _on_worker_progressed(self, progress: Progress) -> None:
        self._last_progress = progress
        self._update_dialog()
        self.progressed.emit(progress)

    @Slot(object)
    def _on_worker_finished(self, result: object) -> None:
        self._end()
        self.finished.emit(result)
        self.done.emit()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._end()
        self.failed.emit(message)
        self.done.emit()

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._end()
        self.cancelled.emit()
        self.done.emit()

    # -- dialog -------------------------------------------------------------------------------

    @Slot()
    def _on_dialog_timer_timeout(self) -> None:
        if not self._running:
            return
        parent = self._parent_widget
        if parent is not None and not shiboken6.isValid(parent):
            parent = None
        dialog = QProgressDialog(self.label, "Cancel", 0, 0, parent)
        dialog.setWindowTitle("Tideline")
        dialog.setAccessibleName(f"Progress: {self.label}")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        # This class decides when to show and hide; the dialog's own timers would fight it.
        dialog.setMinimumDuration(0)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        dialog.canceled.connect(self._on_dialog_canceled)
        self._dialog = dialog
        self._update_dialog()
        if self.token.cancelled:
            dialog.setLabelText("Cancelling…")
        dialog.show()

    @Slot()
    def _on_dialog_canceled(self) -> None:
        self.cancel()

    def _update_dialog(self) -> None:
        dialog = self._dialog
        progress = self._last_progress
        if dialog is None or progress is None or not shiboken6.isValid(dialog):
            return
        if self.token.cancelled:
            return
        if progress.total:
            dialog.setRange(0, progress.total)
            dialog.setValue(min(progress.done, progress.total))
        else:
            dialog.setRange(0, 0)  # busy indicator: the total is not known
        text = f"{self.label}\n{progress.label}" if progress.label else self.label
        dialog.setLabelText(text)

    def _end(self) -> None:
        self._running = False
        self._dialog_timer.stop()
        dialog, self._dialog = self._dialog, None
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.canceled.disconnect(self._on_dialog_canceled)
            dialog.hide()
            dialog.deleteLater()
        _RUNNING.discard(self)


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    parent: QWidget | None = None,
    label: str = "Working…",
    show_dialog: bool = True,
    dialog_delay_ms: int = DIALOG_DELAY_MS,
    pool: QThreadPool | None = None,
    **kwargs: Any,
) -> BackgroundJob:
    """Start ``fn(*args, progress=..., cancel=..., **kwargs)`` on a thread pool.

    Connect to the returned job's signals straight away; they are delivered through the GUI
    event loop, so nothing is emitted before control returns to it.
    """
    job = BackgroundJob(
        fn,
        args,
        kwargs,
        parent_widget=parent,
        label=label,
        show_dialog=show_dialog,
        dialog_delay_ms=dialog_delay_ms,
    )
    job.start(pool)
    return job


def running_jobs() -> list[BackgroundJob]:
    """Jobs that have not yet finished, failed or been cancelled."""
    return list(_RUNNING)


def cancel_all(wait_ms: int = 0, pool: QThreadPool | None = None) -> bool:
    """Cancel every running job; optionally wait for the pool to drain. True if it drained."""
    for job in list(_RUNNING):
        job.cancel()
    if wait_ms > 0:
        return (pool or QThreadPool.globalInstance()).waitForDone(wait_ms)
    return not _RUNNING
