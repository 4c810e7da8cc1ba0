"""The background worker helper: progress, results, errors, cancel and the delayed dialog."""

from __future__ import annotations

import threading
import time

from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from evidence.progress import CancelToken, Progress, ProgressCallback
from gui.workers import run_in_background, running_jobs


def count_to(n: int, *, progress: ProgressCallback, cancel: CancelToken, step_s: float = 0.0):
    for i in range(1, n + 1):
        cancel.check()
        if step_s:
            time.sleep(step_s)
        progress(Progress(i, n, f"step {i}"))
    return n * 2


def fail_with(message: str, *, progress: ProgressCallback, cancel: CancelToken):
    raise ValueError(message)


def loop_until_cancelled(started: threading.Event, *, progress, cancel: CancelToken):
    started.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cancel.check()
        time.sleep(0.01)
    return "never cancelled"


def test_result_is_delivered(qtbot):
    job = run_in_background(count_to, 5, show_dialog=False)
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [10]
    assert not job.running
    assert job not in running_jobs()


def test_progress_is_delivered_and_ends_on_the_last_step(qtbot):
    seen: list[Progress] = []
    job = run_in_background(count_to, 3, show_dialog=False, step_s=0.08)
    job.progressed.connect(seen.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen, "no progress was delivered"
    assert seen[-1] == Progress(3, 3, "step 3")
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_progress_is_throttled_for_chatty_functions(qtbot):
    seen: list[Progress] = []
    job = run_in_background(count_to, 50_000, show_dialog=False)
    job.progressed.connect(seen.append)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    # 50 000 reports arrive in well under a few seconds; only a handful may reach the GUI.
    assert 1 <= len(seen) < 500
    assert seen[-1].done == 50_000


def test_error_is_delivered_as_its_sentence(qtbot):
    job = run_in_background(fail_with, "The archive is damaged.", show_dialog=False)
    finished: list[object] = []
    job.finished.connect(finished.append)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["The archive is damaged."]
    assert finished == []


def test_cancel_is_honoured_and_not_an_error(qtbot):
    started = threading.Event()
    job = run_in_background(loop_until_cancelled, started, show_dialog=False)
    failed: list[str] = []
    finished: list[object] = []
    job.failed.connect(failed.append)
    job.finished.connect(finished.append)
    assert started.wait(5)
    job.cancel()
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        pass
    assert failed == [] and finished == []
    assert not job.running


def test_slow_job_shows_a_cancellable_dialog(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    started = threading.Event()
    job = run_in_background(
        loop_until_cancelled, started, parent=parent, label="Importing…", dialog_delay_ms=150
    )
    assert started.wait(5)
    qtbot.waitUntil(lambda: job.dialog is not None and job.dialog.isVisible(), timeout=5000)
    dialog = job.dialog
    assert isinstance(dialog, QProgressDialog)
    assert "Importing…" in dialog.labelText()
    button = dialog.findChild(QPushButton)
    assert button is not None and button.text() == "Cancel"
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        button.click()
    assert job.dialog is None


def test_quick_job_never_shows_a_dialog(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    job = run_in_background(count_to, 3, parent=parent, dialog_delay_ms=300)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    qtbot.wait(450)  # past the delay: the dialog must still not appear
    assert job.dialog is None
    assert not [w for w in parent.findChildren(QProgressDialog) if w.isVisible()]


def raise_bare(*, progress, cancel):
    raise RuntimeError()


def test_an_error_without_a_message_still_gives_a_sentence(qtbot):
    job = run_in_background(raise_bare, show_dialog=False)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["The operation failed (RuntimeError)."]


def test_done_follows_every_outcome_and_extra_kwargs_are_passed(qtbot):
    job = run_in_background(count_to, 2, show_dialog=False, step_s=0.001)
    order: list[str] = []
    job.finished.connect(lambda _r: order.append("finished"))
    job.done.connect(lambda: order.append("done"))
    with qtbot.waitSignal(job.done, timeout=5000):
        pass
    assert order == ["finished", "done"]
