"""The facet panel and the lazily fetched item list: a facet click filters, counts follow a tag,
rejected files are listed with reasons, and a large list never waits for SQLite."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from evidence import store
from evidence.case import Case
from evidence.importer import import_path
from gui.item_model import COLUMN, LOADING_TEXT, PAGE_SIZE, ItemListModel, PageFetcher
from gui.main_window import MainWindow


@pytest.fixture
def window(open_window, case_info):
    return open_window(case_info[0])


def _click(qtbot, ws, section: str, label_start: str) -> None:
    parent = ws.facets.sections[section]
    for n in range(parent.childCount()):
        child = parent.child(n)
        if child.text(0).startswith(label_start):
            ws.facets.tree.scrollToItem(child)
            rect = ws.facets.tree.visualItemRect(child)
            qtbot.mouseClick(ws.facets.tree.viewport(), Qt.MouseButton.LeftButton,
                             pos=rect.center())
            return
    raise AssertionError(f"no facet {label_start!r} in {section}: {ws.facets.entries(section)}")


def test_clicking_a_phone_facet_filters_the_list_and_again_clears_it(window, case_info, qtbot):
    _path, ids, e164, _shown = case_info
    ws = window.workstation
    assert ws.facets.entries("phones") == [(e164, "1", f"phone:{e164}")]
    _click(qtbot, ws, "phones", e164)
    assert ws.search_edit.text() == f"phone:{e164}"
    assert ws.model.ids() == [ids[1]]
    assert ws.result_label.text() == "1 of 4 items"
    _click(qtbot, ws, "phones", e164)
    assert ws.search_edit.text() == ""
    assert ws.model.rowCount() == 4


def test_facet_counts_follow_a_tag_and_combine_with_the_search(window, case_info, qtbot):
    _path, ids, _e164, _shown = case_info
    ws = window.workstation
    assert dict((lbl, n) for lbl, n, _t in ws.facets.entries("status"))["Untagged"] == "4"
    ws.select_ids(ids[:2])
    assert ws.tag_selection("boat")
    assert ws.facets.entries("tags") == [("boat", "2", "tag:boat")]
    status = {lbl: n for lbl, n, _t in ws.facets.entries("status")}
    assert status["Tagged"] == "2" and status["Untagged"] == "2"
    ws.search_edit.setText("status:tagged")
    qtbot.keyClick(ws.search_edit, Qt.Key.Key_Return)
    assert ws.model.ids() == ids[:2]
    _click(qtbot, ws, "sources", "1.")
    assert ws.search_edit.text() == "status:tagged source:1"
    assert ws.model.ids() == ids[:2]
    ws.undo_stack.undo()
    assert ws.facets.entries("tags") == [("boat", "0", "tag:boat")]


def test_clusters_are_computed_off_the_ui_thread_and_filter(window, case_info, qtbot):
    _path, ids, _e164, _shown = case_info
    ws = window.workstation
    assert store.manual_link(window.case, ids[0], ids[3], "same boat (fictional)")
    ws.facets.start_clusters()
    with qtbot.waitSignal(ws.facets.clusters_ready, timeout=10_000):
        pass
    entries = ws.facets.entries("clusters")
    assert entries == [(f"Cluster {ids[0]}", "2", f"cluster:{ids[0]}")]
    _click(qtbot, ws, "clusters", "Cluster")
    assert ws.model.ids() == [ids[0], ids[3]]


def test_rejected_files_are_listed_with_their_reasons(qtbot, settings, tmp_path, pngs,
                                                      monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(
        lambda *a, **k: QMessageBox.StandardButton.Ok))
    incoming = tmp_path / "incoming"
    pngs(incoming, 2)
    (incoming / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a picture")
    case = Case.create(tmp_path / "rejects", title="Rejects (fictional)", actor="fixture")
    import_path(case, incoming)
    path = case.path
    case.close()
    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    assert win.open_case(path)
    facets = win.workstation.facets
    texts = [facets.rejected_list.item(n).text() for n in range(facets.rejected_list.count())]
    assert len(texts) == 1 and texts[0].startswith("broken.png: ")
    assert len(texts[0]) > len("broken.png: ") + 5  # the reason is spelled out
    assert facets.rejected_label.text() == "Rejected or unreadable files (1)"
    win.close()


def test_large_lists_fetch_pages_in_the_background(qapp, qtbot, tmp_path, bulk_items):
    case = Case.create(tmp_path / "large", title="Large (fictional)", actor="fixture")
    bulk_items(case, 3 * PAGE_SIZE)
    reader = Case.open(case.path, readonly=True)
    fetcher = PageFetcher(reader.path)
    model = ItemListModel(reader, fetcher=fetcher)
    try:
        assert model.run_query("") == 3 * PAGE_SIZE and model.background
        row = PAGE_SIZE + 7
        index = model.index(row, COLUMN["snippet"])
        with qtbot.waitSignal(model.page_fetched, timeout=10_000) as blocker:
            assert index.data() == LOADING_TEXT  # answered at once, nothing read yet
            assert model.summary(row) is None
            assert model.pages_fetched == 0
        assert blocker.args == [1]
        assert index.data() == f"Fictional crossing advert number {row}"
        assert model.pages_fetched == 1
        # A search with free text shows the hit in the text column.
        store.index_items(case, store.item_ids(case))
        model.run_query("advert")
        with qtbot.waitSignal(model.page_fetched, timeout=10_000):
            assert model.index(0, COLUMN["snippet"]).data() == LOADING_TEXT
        assert "«advert»" in model.index(0, COLUMN["snippet"]).data()
    finally:
        fetcher.stop()
        reader.close()
        case.close()
