"""The workstation as an analyst uses it: open a case, search, select, tag by key, undo, enter a
screenshot's page, read the details; and the item model staying lazy on a large case."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from evidence import store
from evidence.case import Case
from gui.item_model import COLUMN, PAGE_SIZE, ItemListModel
from gui.main_window import MainWindow
from gui.workstation import WorkstationWidget

TITLE = "Sea Star Travel (fictional)"


@pytest.fixture
def window(open_window, case_info) -> MainWindow:
    return open_window(case_info[0])


def _focus_list(qtbot, ws: WorkstationWidget) -> None:
    view = ws.current_view()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=2000)


def test_a_case_with_items_opens_on_the_workstation(window, case_info):
    ws = window.workstation
    assert window.stack.currentWidget() is ws
    assert window.windowTitle() == f"Tideline - {TITLE}"
    assert ws.model.rowCount() == 4
    assert ws.result_label.text() == "4 items"
    assert ws.views.currentWidget() is ws.grid


def test_search_for_a_phone_number_finds_the_one_item(window, case_info, qtbot):
    _path, ids, e164, shown = case_info
    ws = window.workstation
    qtbot.keyClicks(ws.search_edit, f"phone:{e164}")
    qtbot.keyClick(ws.search_edit, Qt.Key.Key_Return)
    assert ws.model.ids() == [ids[1]]
    assert ws.result_label.text() == "1 of 4 items"
    assert ws.model.index(0, COLUMN["phones"]).data() == e164
    # free text goes to the full-text index; a bad filter is explained, not a crash
    assert ws.run_search("crossing")
    assert ws.model.ids() == [ids[1]]
    assert not ws.run_search("kind:boat")
    assert "is not a kind of item" in ws.result_label.toolTip()
    assert ws.model.ids() == [ids[1]]  # the last good result stays


def test_selecting_shows_details_with_the_phone_highlighted(window, case_info, qtbot):
    _path, ids, e164, shown = case_info
    ws = window.workstation
    ws.select_ids([ids[1]])
    detail = ws.detail
    assert detail.item["id"] == ids[1]
    assert detail.heading.text() == "advert-2.png"
    html = detail.text_view.toHtml()
    assert shown in detail.text_view.toPlainText()
    assert "#fde68a" in html  # the selector is marked
    facts = detail.facts_view.toPlainText()
    assert detail.item["media"][0]["sha256"] in facts
    assert "advert-2.png" in facts and "360 × 240 px" in facts
    # the preview is made off the GUI thread, then shown
    qtbot.waitUntil(lambda: detail.image._pixmap_item is not None, timeout=10_000)
    sha = detail.item["media"][0]["sha256"]
    cached = list((case_info[0] / "cache" / "thumbs").rglob(f"{sha}-*.png"))
    assert cached


def test_key_press_tags_the_selection_and_undo_takes_it_off(window, case_info, qtbot):
    _path, ids, _e164, _shown = case_info
    ws = window.workstation
    ws.select_ids([ids[0], ids[2]])
    ws.detail.tag_edit.setText("boat")
    qtbot.keyClick(ws.detail.tag_edit, Qt.Key.Key_Return)
    ws.select_ids([ids[3]])
    _focus_list(qtbot, ws)
    qtbot.keyClick(ws.current_view(), Qt.Key.Key_1)
    reader = window.reader
    tagged = store.items_json(reader, ids)
    assert [i["id"] for i in tagged if "boat" in i["tags"]] == [ids[0], ids[2], ids[3]]
    assert ws.tag_buttons[0].text() == "1  boat  (3)"
    row = ws.model.row_for(ids[3])
    assert ws.model.index(row, COLUMN["tags"]).data() == "boat"

    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert "boat" not in store.items_json(reader, [ids[3]])[0]["tags"]
    assert ws.model.index(row, COLUMN["tags"]).data() == ""
    window.redo_action.trigger()
    assert "boat" in store.items_json(reader, [ids[3]])[0]["tags"]
    # pressing the key again on an item that has the tag takes it off
    qtbot.keyClick(ws.current_view(), Qt.Key.Key_1)
    assert "boat" not in store.items_json(reader, [ids[3]])[0]["tags"]
    actions = [e.action for e in window.case.audit_entries()]
    assert actions.count("tag.added") == 3 and actions.count("tag.removed") == 2


def test_entering_a_screenshots_page_is_shown_audited_and_undoable(window, case_info, qtbot):
    _path, ids, _e164, _shown = case_info
    ws = window.workstation
    ws.select_ids([ids[0]])
    detail = ws.detail
    detail.tabs.setCurrentIndex(1)  # the Source tab
    assert detail.details_box.isVisibleTo(detail)
    detail.detail_edits["author"].setText("Sea Star Travel (fictional)")
    qtbot.mouseClick(detail.save_details_button, Qt.MouseButton.LeftButton)
    assert detail.item["author"] == "Sea Star Travel (fictional)"
    assert "entered by an analyst" in detail.facts_view.toPlainText()
    row = ws.model.row_for(ids[0])
    assert ws.model.index(row, COLUMN["author"]).data() == "Sea Star Travel (fictional)"
    assert window.case.audit_entries()[-1].action == "item.detail.set"
    window.undo_action.trigger()
    assert ws.detail.item["author"] is None
    assert ws.model.index(row, COLUMN["author"]).data() == ""


def test_notes_are_added_removed_and_undone(window, case_info, qtbot):
    _path, ids, _e164, _shown = case_info
    ws = window.workstation
    ws.select_ids([ids[2]])
    qtbot.keyClicks(ws.detail.note_edit, "Same boat as the Blue Wave advert (fictional)")
    qtbot.keyClick(ws.detail.note_edit, Qt.Key.Key_Return)
    assert ws.detail.notes_list.count() == 1
    assert ws.detail.tabs.tabText(2) == "Notes (1)"
    ws.detail.notes_list.setCurrentRow(0)
    qtbot.mouseClick(ws.detail.remove_note_button, Qt.MouseButton.LeftButton)
    assert ws.detail.notes_list.count() == 0
    window.undo_action.trigger()
    assert ws.detail.notes_list.count() == 1
    window.undo_action.trigger()
    assert ws.detail.notes_list.count() == 0


def test_table_view_and_safe_view_are_remembered(window, case_info, settings):
    ws = window.workstation
    ws.table_button.click()
    assert ws.views.currentWidget() is ws.table
    ws.safe_check.setChecked(True)
    assert ws.model.safe_view and ws.detail.safe_view
    assert settings.value("view/mode") == "table"
    assert str(settings.value("view/safe")) == "true"
    window.close_case()
    window.open_case(case_info[0])
    assert window.workstation.views.currentWidget() is window.workstation.table
    assert window.workstation.safe_check.isChecked()


def test_an_empty_case_opens_on_its_summary_with_the_workstation_ready(qtbot, settings,
                                                                     tmp_path, errors):
    case = Case.create(tmp_path / "empty", title="Empty (fictional)", actor="fixture")
    path = case.path
    case.close()
    win = MainWindow(settings=settings, check_ocr_on_start=False)
    qtbot.addWidget(win)
    win.open_case(path)
    assert win.stack.currentWidget() is win.summary
    assert win.workstation.model.rowCount() == 0
    win.items_action.trigger()
    assert win.stack.currentWidget() is win.workstation
    assert "no items yet" in win.workstation.empty_label.text()
    win.close()


def test_import_folder_through_the_menu_lists_rejected_files(window, tmp_path, qtbot, pngs):
    incoming = tmp_path / "more"
    incoming.mkdir()
    pngs(incoming, 2)
    (incoming / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a picture")
    job = window.import_paths([incoming])
    with qtbot.waitSignal(job.done, timeout=30_000):
        pass
    assert window.workstation.model.rowCount() >= 6
    box = window.import_summary
    assert "item(s) added" in box.text()
    assert "broken.png" in box.detailedText()
    box.close()


def test_the_model_of_a_100000_item_case_opens_lazily(qapp, tmp_path, bulk_items):
    case = Case.create(tmp_path / "large", title="Large (fictional)", actor="fixture")
    bulk_items(case, 100_000)
    reader = Case.open(case.path, readonly=True)
    try:
        model = ItemListModel(reader)
        assert model.run_query("") == 100_000
        assert model.rowCount() == 100_000
        assert model.pages_fetched == 0
        text = model.index(54_321, COLUMN["snippet"]).data()
        assert text == "Fictional crossing advert number 54321"
        assert model.pages_fetched == 1 and model.cached_pages == 1
        model.index(54_321 - 54_321 % PAGE_SIZE, COLUMN["kind"]).data()
        assert model.pages_fetched == 1  # same page, no new query
        assert model.run_query("source:1 kind:post") == 100_000
        model.sort(COLUMN["when"], Qt.SortOrder.DescendingOrder)
        first = model.index(0, COLUMN["when"]).data()
        assert first.startswith("2026-01-28")
    finally:
        reader.close()
        case.close()


def test_workstation_on_a_read_only_case_refuses_writes(qtbot, case_info):
    path = case_info[0]
    reader = Case.open(path, readonly=True)
    settings = QSettings(str(path.parent / "ro.ini"), QSettings.Format.IniFormat)
    ws = WorkstationWidget(reader, reader, settings)
    qtbot.addWidget(ws)
    messages: list[str] = []
    ws.error.connect(messages.append)
    ws.select_ids([case_info[1][0]])
    assert not ws.tag_selection("boat")
    assert "read-only" in messages[-1]
    assert not ws.detail.tag_edit.isEnabled()
    ws.shutdown()
    reader.close()


def test_repainting_the_views_does_not_leak_references_to_none(window):
    """PySide6 6.12 takes a reference from None for every empty QVariant read from Python;
    the delegates must not read model data that way or the interpreter aborts after a few
    thousand paints."""
    import sys

    ws = window.workstation
    before = sys.getrefcount(None)
    for mode in ("grid", "table") * 20:
        ws.set_view_mode(mode)
        ws.current_view().viewport().grab()
    assert sys.getrefcount(None) >= before - 20


# -- painting a large list without stalls ---------------------------------------------------------


def test_thumbnails_finishing_together_repaint_the_list_once(window, case_info, qtbot):
    from gui.thumbnails import THUMB_SIZE

    ws = window.workstation
    model = ws.model
    shas = []
    for row in range(model.rowCount()):
        summary = model.summary(row)
        assert summary is not None and summary.media_sha256
        shas.append(summary.media_sha256)
    assert ws.loader.wait()  # the thumbnails the grid asked for are made and announced
    qtbot.wait(200)
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, _roles=(): changes.append(
        (first.row(), last.row())))
    for sha in shas:
        ws.loader.ready.emit(sha, THUMB_SIZE, False)
    assert changes == []  # gathered, not announced one by one
    qtbot.waitUntil(lambda: bool(changes), timeout=2000)
    qtbot.wait(100)
    assert changes == [(0, len(shas) - 1)]


def test_the_table_paints_rows_once_and_then_reuses_them(window, case_info, qtbot):
    _path, ids, _e164, _shown = case_info
    ws = window.workstation
    ws.set_view_mode("table")
    table = ws.table
    qtbot.waitUntil(lambda: ws.model.summary(0) is not None, timeout=5000)
    table.viewport().grab()
    cache = table.cell_delegate.cache
    misses, hits = cache.misses, cache.hits
    table.viewport().grab()
    assert cache.misses == misses  # nothing changed: every row came from the cache
    assert cache.hits >= hits + len(ids)
    # Selecting a row paints it anew, in the highlight colour, across the whole row.
    ws.select_ids([ids[1]])
    image = table.viewport().grab().toImage()
    assert cache.misses > misses
    y = table.rowViewportPosition(1) + 5
    highlight = table.palette().color(table.palette().ColorRole.Highlight)
    for x in (table.columnViewportPosition(COLUMN["kind"]) + 2,
              table.columnViewportPosition(COLUMN["when"]) + 2):
        assert image.pixelColor(x, y).name() == highlight.name()
    unselected = image.pixelColor(table.columnViewportPosition(COLUMN["kind"]) + 2,
                                  table.rowViewportPosition(2) + 5)
    assert unselected.name() != highlight.name()


def test_a_fast_scroll_never_leaves_a_page_waiting(qapp, qtbot, tmp_path, bulk_items):
    from gui.item_model import LOADING_TEXT, PageFetcher

    case = Case.create(tmp_path / "large", title="Large (fictional)", actor="fixture")
    bulk_items(case, 30 * PAGE_SIZE)
    reader = Case.open(case.path, readonly=True)
    fetcher = PageFetcher(reader.path)
    model = ItemListModel(reader, fetcher=fetcher)
    dropped: list[int] = []
    fetcher.page_dropped.connect(lambda _g, page: dropped.append(page))
    try:
        assert model.run_query("") == 30 * PAGE_SIZE
        rows = [page * PAGE_SIZE + 3 for page in range(30)]
        for row in rows:  # thirty pages asked for at once, as a flung scroll bar does
            assert model.index(row, COLUMN["snippet"]).data() == LOADING_TEXT
        qtbot.waitUntil(lambda: not model._pending, timeout=20_000)
        assert model.pages_fetched + len(dropped) >= 30
        # A dropped page is asked for again when a view needs it, and then arrives.
        for row in rows:
            model.index(row, COLUMN["snippet"]).data()
        qtbot.waitUntil(lambda: all(
            model.index(r, COLUMN["snippet"]).data() == f"Fictional crossing advert number {r}"
            for r in rows[-4:]), timeout=20_000)
    finally:
        fetcher.stop()
        reader.close()
        case.close()


# -- drag and drop ----------------------------------------------------------------------------


def _drag_events(paths_or_urls: list) -> tuple:
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([u if isinstance(u, QUrl) else QUrl.fromLocalFile(str(u)) for u in paths_or_urls])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    return mime, enter, drop


def test_dropping_a_folder_and_a_file_imports_them_like_the_menu(window, tmp_path, qtbot, pngs):
    from PySide6.QtWidgets import QApplication

    incoming = tmp_path / "dropped"
    pngs(incoming, 2)
    (incoming / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a picture")
    single = pngs(tmp_path / "single", 1)[0]
    single = single.rename(tmp_path / "single" / "on-its-own.png")
    before = window.workstation.model.rowCount()
    _mime, enter, drop = _drag_events([incoming, single])
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    job = window._import_job
    assert job is not None
    with qtbot.waitSignal(job.done, timeout=60_000):
        pass
    assert window.workstation.model.rowCount() >= before + 3
    box = window.import_summary
    assert "item(s) added" in box.text()
    assert "broken.png" in box.detailedText()
    box.close()
    sources = window.case.db.execute("SELECT path FROM sources").fetchall()
    assert any("dropped" in s[0] for s in sources) and any("on-its-own" in s[0] for s in sources)


def test_dropping_web_links_is_refused_and_without_a_case_explained(qtbot, settings, errors,
                                                                  tmp_path, pngs):
    from PySide6.QtCore import QUrl
    from PySide6.QtWidgets import QApplication

    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    win.show()
    _mime, enter, drop = _drag_events([QUrl("https://example.org/advert.png")])
    QApplication.sendEvent(win, enter)
    assert not enter.isAccepted()
    QApplication.sendEvent(win, drop)
    assert not drop.isAccepted() and errors == []
    _mime, enter, drop = _drag_events(pngs(tmp_path / "loose", 1))
    QApplication.sendEvent(win, enter)  # Qt delivers a drop only after an accepted enter
    assert enter.isAccepted()
    QApplication.sendEvent(win, drop)
    assert win._import_job is None
    assert errors and "Open or create a case first" in errors[-1][1]
    win.close()
