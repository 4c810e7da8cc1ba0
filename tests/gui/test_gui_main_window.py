"""The main window shell as an analyst sees it: welcome panel, open case, errors, recent list."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from evidence.case import Case
from gui import main_window as main_window_module
from gui.main_window import MainWindow
from gui.new_case_dialog import NewCaseDialog, case_folder_problem
from gui.recent import MAX_RECENT, RecentCases

TITLE = "Sea Star Travel (fictional)"


@pytest.fixture
def window(qtbot, settings, errors) -> MainWindow:
    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    win.show()
    return win


def make_case(folder: Path, title: str = TITLE) -> Path:
    case = Case.create(folder, title=title, actor="fixture")
    path = case.path
    case.close()  # release the write lock so the window can take it
    return path


def test_starts_on_the_welcome_panel(window):
    assert window.windowTitle() == "Tideline"
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.recent_empty.isVisibleTo(window)
    assert not window.close_action.isEnabled()
    assert window.lock_label.text() == "No case open."


def test_opens_a_case_and_shows_title_folder_and_counts(window, tmp_path, errors):
    path = make_case(tmp_path / "sea-star")
    assert window.open_case(path)
    assert errors == []
    assert window.windowTitle() == f"Tideline - {TITLE}"
    assert window.stack.currentWidget() is window.summary
    assert window.summary.title_label.text() == TITLE
    assert window.summary.folder_label.toolTip() == str(path)
    for key in ("items", "media", "sources", "links", "import_errors"):
        assert window.summary.tiles[key].value_label.text() == "0"
    assert window.summary.tiles["import_errors"].accessibleName() == "Rejected files: 0"
    assert "Nothing has been imported" in window.summary.hint_label.text()
    assert "open for writing" in window.lock_label.text()
    assert window.close_action.isEnabled()


def test_counts_are_shown_readably(window, tmp_path, monkeypatch):
    path = make_case(tmp_path / "counts")
    counts = {"items": 1234, "media": 980, "sources": 3, "links": 57, "import_errors": 2}
    monkeypatch.setattr(Case, "counts", lambda self: dict(counts))
    window.open_case(path)
    shown = {
        k: t.value_label.text().replace("\u00a0", ",") for k, t in window.summary.tiles.items()
    }
    assert shown["items"] in {"1,234", "1.234", "1234"}
    assert shown["links"] == "57"
    assert window.summary.tiles["import_errors"].accessibleName() == "Rejected files: 2"
    assert "2 received files could not be read" in window.summary.hint_label.text()


def test_opening_a_folder_that_is_not_a_case_shows_the_sentence(window, tmp_path, errors):
    plain = tmp_path / "holiday-photos"
    plain.mkdir()
    assert not window.open_case(plain)
    assert len(errors) == 1
    title, text = errors[0]
    assert title == "The case could not be opened."
    assert text == f"{plain} is not a Tideline case (it has no case.db)."
    assert window.stack.currentWidget() is window.welcome
    assert window.case is None


def test_a_case_locked_by_another_writer_is_refused_with_the_reason(window, tmp_path, errors):
    path = make_case(tmp_path / "locked")
    holder = Case.open(path, actor="someone-else")
    try:
        assert not window.open_case(path)
    finally:
        holder.close()
    assert len(errors) == 1
    assert "open for writing elsewhere" in errors[0][1]
    assert window.open_case(path)  # once released, it opens


def test_close_case_returns_to_welcome_and_releases_the_lock(window, tmp_path):
    path = make_case(tmp_path / "closing")
    window.open_case(path)
    window.close_action.trigger()
    assert window.case is None
    assert window.windowTitle() == "Tideline"
    assert window.stack.currentWidget() is window.welcome
    assert window.lock_label.text() == "No case open."
    Case.open(path).close()  # would raise CaseError if the window still held the lock


def test_recent_cases_are_listed_newest_first_and_pruned(window, tmp_path):
    first = make_case(tmp_path / "first")
    second = make_case(tmp_path / "second")
    window.open_case(first)
    window.open_case(second)
    window.close_case()
    assert window.welcome.recent_paths() == [second.resolve(), first.resolve()]

    window.recent_menu.aboutToShow.emit()
    labels = [a.text() for a in window.recent_menu.actions() if a.text()]
    assert labels[:2] == ["&1 second", "&2 first"]

    # Background readers of the closed case may still be letting go of their connections;
    # the last one to close removes the database's -shm file, possibly while rmtree walks the
    # folder: a file already gone is no failure here.
    QThreadPool.globalInstance().waitForDone(5000)
    gc.collect()

    def gone_already(function, path, exc_info):
        if not issubclass(exc_info[0], FileNotFoundError):
            raise exc_info[1]

    shutil.rmtree(second, onerror=gone_already)
    assert not second.exists()
    window.recent_menu.aboutToShow.emit()
    assert [a.text() for a in window.recent_menu.actions() if a.text()][0] == "&1 first"
    window.close_case()
    window._refresh_recent()
    assert window.welcome.recent_paths() == [first.resolve()]


def test_activating_a_recent_case_opens_it(window, tmp_path):
    path = make_case(tmp_path / "again")
    window.open_case(path)
    window.close_case()
    item = window.welcome.recent_list.item(0)
    window.welcome.recent_list.itemActivated.emit(item)
    assert window.case is not None and window.case.path == path


def test_recent_list_keeps_at_most_eight(settings, tmp_path):
    recent = RecentCases(settings)
    folders = []
    for i in range(MAX_RECENT + 3):
        folder = tmp_path / f"c{i}.tideline"
        folder.mkdir()
        folders.append(folder)
        recent.add(folder)
    assert recent.paths() == [f.resolve() for f in reversed(folders)][:MAX_RECENT]


def test_create_case_opens_it(window, tmp_path):
    assert window.create_case(tmp_path / "new-one.tideline", "Blue Wave Trips (fictional)")
    assert window.windowTitle() == "Tideline - Blue Wave Trips (fictional)"
    assert (tmp_path / "new-one.tideline" / "case.db").is_file()


def test_create_case_on_a_taken_folder_shows_the_sentence(window, tmp_path, errors):
    taken = tmp_path / "taken.tideline"
    taken.mkdir()
    (taken / "something.txt").write_text("x")
    assert not window.create_case(taken)
    assert errors and "already exists and is not empty" in errors[0][1]


def test_new_case_dialog_validates_and_builds_the_path(qtbot, tmp_path):
    dialog = NewCaseDialog(tmp_path)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.name_edit.setText("coastal/pages")
    assert not ok.isEnabled() and "cannot contain" in dialog.result_label.text()
    dialog.name_edit.setText("coastal-pages.tideline")
    dialog.title_edit.setText("  Coastal pages (fictional) ")
    assert ok.isEnabled()
    assert dialog.case_path() == tmp_path / "coastal-pages.tideline"
    assert dialog.case_title() == "Coastal pages (fictional)"
    assert case_folder_problem(tmp_path / "missing", "x") is not None


def test_new_case_menu_creates_through_the_dialog(window, tmp_path, monkeypatch):
    def fake_exec(dialog):
        dialog.location_edit.setText(str(tmp_path))
        dialog.name_edit.setText("from-menu")
        return NewCaseDialog.DialogCode.Accepted

    monkeypatch.setattr(NewCaseDialog, "exec", fake_exec)
    window.new_action.trigger()
    assert window.case is not None
    assert window.case.path == tmp_path / "from-menu.tideline"
    assert window.summary.title_label.text() == "from-menu"


def test_ocr_status_is_shown_in_one_sentence(qtbot, settings, monkeypatch):
    monkeypatch.setattr(
        main_window_module, "check_ocr", lambda **kw: "OCR is ready for eng, ara, fas, fra, tur."
    )
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.ocr_label.text().startswith("OCR is ready"), timeout=5000)


def test_check_ocr_gives_a_sentence_even_without_the_ocr_module():
    message = main_window_module.check_ocr()
    assert message.endswith(".") and "OCR" in message


def test_window_geometry_is_restored(qtbot, settings):
    first = MainWindow(settings=settings, check_ocr_on_start=False)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 520)  # fits the 800x600 offscreen screen
    first.close()
    second = MainWindow(settings=settings, check_ocr_on_start=False)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 520)


def test_run_gui_opens_the_given_case_and_returns_when_closed(qtbot, tmp_path):
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app import run_gui

    path = make_case(tmp_path / "from-command-line")
    seen: dict[str, object] = {}

    def inspect_and_close() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        window = next(w for w in windows if w.isVisible())
        seen["title"] = window.windowTitle()
        seen["app"] = QCoreApplication.applicationName()
        window.close()

    QTimer.singleShot(300, inspect_and_close)
    assert run_gui(path, actor="analyst-test") == 0
    assert seen == {"title": f"Tideline - {TITLE}", "app": "Tideline"}
    Case.open(path).close()  # the window released the lock on closing
