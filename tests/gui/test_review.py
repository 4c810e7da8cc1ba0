"""Link review as an analyst uses it: the queue in order, confirm and reject by key, undo a
decision, filter the queue, and link two selected items by hand with a note."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from evidence import audit, store, views
from evidence.case import Case
from gui.main_window import MainWindow
from gui.review import REVIEW_HINT, ManualLinkDialog


def _load_builder():
    # The compare tests build the same fictional case; load them by path (tests are not a
    # package here).
    spec = importlib.util.spec_from_file_location(
        "tideline_test_compare_builder", Path(__file__).with_name("test_compare.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_linked_case


build_linked_case = _load_builder()


@pytest.fixture
def linked(tmp_path: Path) -> dict:
    return build_linked_case(tmp_path)


@pytest.fixture
def window(open_window, linked) -> MainWindow:
    return open_window(linked["path"])


def _status(window: MainWindow, link_id: int) -> str:
    return store.get_link(window.reader, link_id).status


def _press(qtbot, review, key: Qt.Key) -> None:
    review.table.setFocus()
    qtbot.waitUntil(review.table.hasFocus, timeout=2000)
    qtbot.keyClick(review.table, key)


def test_the_queue_lists_links_strongest_first_with_the_keys_shown(window, linked):
    window.review_action.trigger()
    review = window.review
    assert window.stack.currentWidget() is review
    assert REVIEW_HINT in review.hint_label.text() and "Y confirm" in review.hint_label.text()
    ids = [r.id for r in review.model.rows]
    assert ids == [linked["phone_link"], linked["image_link"]]  # score 1.0 before 0.9
    assert review.count_label.text() == "2 link(s)"
    assert review.current_link.id == linked["phone_link"]
    assert review.compare.link.id == linked["phone_link"]
    review.kind_combo.setCurrentIndex(review.kind_combo.findData("image"))
    assert [r.id for r in review.model.rows] == [linked["image_link"]]
    assert review.compare.link.id == linked["image_link"]


def test_confirm_and_reject_by_key_then_undo(window, linked, qtbot):
    window.review_action.trigger()
    review = window.review
    _press(qtbot, review, Qt.Key.Key_Y)
    assert _status(window, linked["phone_link"]) == "confirmed"
    assert review.current_link.id == linked["image_link"]  # moved on to the next
    assert review.model.rows[0].status == "confirmed"
    _press(qtbot, review, Qt.Key.Key_N)
    assert _status(window, linked["image_link"]) == "rejected"
    link = store.get_link(window.reader, linked["image_link"])
    assert link.decided_by == "analyst-test"
    decided = [e for e in audit.entries(window.reader.db) if e.action == "link.decided"]
    assert [(e.details["link"], e.details["to"]) for e in decided] == [
        (linked["phone_link"], "confirmed"), (linked["image_link"], "rejected")]
    assert all(e.actor == "analyst-test" for e in decided)
    # Ctrl+Z (the window's undo) gives the rejected link its previous status back
    assert window.undo_action.isEnabled()
    assert "Reject link" in window.undo_action.text()
    window.undo_action.trigger()
    assert _status(window, linked["image_link"]) == "auto"
    assert review.model.rows[1].status == "auto"
    assert _status(window, linked["phone_link"]) == "confirmed"
    window.redo_action.trigger()
    assert _status(window, linked["image_link"]) == "rejected"


def test_unsure_and_navigation_keys(window, linked, qtbot):
    window.review_action.trigger()
    review = window.review
    _press(qtbot, review, Qt.Key.Key_J)
    assert review.current_row() == 1
    _press(qtbot, review, Qt.Key.Key_K)
    assert review.current_row() == 0
    _press(qtbot, review, Qt.Key.Key_Right)
    assert review.current_row() == 1
    _press(qtbot, review, Qt.Key.Key_U)
    assert _status(window, linked["image_link"]) == "unsure"
    _press(qtbot, review, Qt.Key.Key_Left)
    assert review.current_row() == 0
    # the default queue holds undecided and unsure links; a fresh load still has both
    assert review.reload() == 2
    review.status_combo.setCurrentIndex(review.status_combo.findData("confirmed"))
    assert review.model.rows == []
    assert "No links match" in review.compare.reason_label.text()


def test_a_rejected_link_stops_counting_for_its_items(window, linked, qtbot):
    ws = window.workstation
    photo_row = ws.model.row_for(linked["photo"])
    assert ws.model.summary(photo_row).links == 2
    window.review_action.trigger()
    window.review.decide("rejected")
    assert ws.model.summary(photo_row).links == 1


def test_manual_link_from_two_selected_items(window, linked, qtbot, monkeypatch):
    ws = window.workstation
    window.items_action.trigger()
    ws.select_ids([linked["photo"]])
    window.link_items_action.trigger()
    assert "Select exactly two items" in window.statusBar().currentMessage()

    def fill_and_accept(dialog: ManualLinkDialog) -> int:
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        assert not ok.isEnabled()  # the note is required
        dialog.note_edit.setPlainText("same harbour in the background (fictional)")
        assert ok.isEnabled()
        return ManualLinkDialog.DialogCode.Accepted

    monkeypatch.setattr(ManualLinkDialog, "exec", fill_and_accept)
    ws.select_ids([linked["photo"], linked["other"]])
    window.link_items_action.trigger()
    manual = store.links(window.reader, kind="manual")
    assert len(manual) == 1
    assert manual[0].status == "confirmed"
    assert manual[0].decision_note == "same harbour in the background (fictional)"
    assert manual[0].decided_by == "analyst-test"
    assert {manual[0].a, manual[0].b} == {str(linked["photo"]), str(linked["other"])}
    other_row = ws.model.row_for(linked["other"])
    assert ws.model.summary(other_row).links == 1
    window.undo_action.trigger()
    assert store.links(window.reader, kind="manual")[0].status == "rejected"
    assert ws.model.summary(other_row).links == 0


def test_review_queue_orders_by_connection(tmp_path):
    info = build_linked_case(tmp_path)
    case = Case.open(info["path"], actor="tester")
    try:
        store.manual_link(case, info["shot"], info["other"], "same page layout (fictional)")
        rows = views.review_queue(case, order="connected")
        assert rows[0].degree >= rows[-1].degree
        assert {r.kind for r in views.review_queue(case, kinds=["manual"])} == {"manual"}
        assert views.review_queue(case, statuses=["rejected"]) == []
        with pytest.raises(views.QueryError, match="not a review order"):
            views.review_queue(case, order="newest")
        a, b = views.link_item_pair(case, store.get_link(case, info["image_link"]))
        assert sorted(a + b) == sorted([info["photo"], info["shot"]])
    finally:
        case.close()
