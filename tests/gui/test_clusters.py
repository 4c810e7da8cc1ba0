"""Clusters as an analyst uses them: the list, the timeline in time order with the earliest item
as the reference, the recurring numbers and pages, tagging and noting the whole cluster (and
undoing it), exporting it, and jumping from a timeline card to the item."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from PySide6.QtCore import Qt

from evidence import bundle, store, views
from evidence.case import Case
from evidence.importer import import_path
from gui.clusters import NO_PAGE, recurring, timeline_entries, when_text
from gui.main_window import MainWindow

SEA_STAR = "Sea Star Travel (fictional)"
BLUE_WAVE = "Blue Wave Tours (fictional)"


def _phone(last: int) -> tuple[str, str]:
    example = phonenumbers.example_number_for_type("TR", PhoneNumberType.MOBILE)
    national = str(example.national_number)
    number = phonenumbers.parse(f"+{example.country_code}{national[:-1]}{last % 10}")
    return (phonenumbers.format_number(number, PhoneNumberFormat.E164),
            phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))


def _add_phone(case: Case, item_id: int, e164: str, shown: str) -> None:
    with case.transaction() as db:
        db.execute(
            "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version,"
            " current, created_at) VALUES (?, 'phone', ?, ?, 'text', 'test', 1,"
            " '2026-01-01T00:00:00Z')", [item_id, e164, shown])


def build_cluster_case(tmp_path: Path, pngs) -> dict:
    """Five screenshots; the first four are one cluster through strong phone links.

    Times: A captured 03-05, B posted 03-03 (entered by the analyst), C posted 03-04,
    D captured 03-01 (the earliest, so the reference); E stands alone.
    """
    case = Case.create(tmp_path / "clusters", title="Sea Star crossings (fictional)",
                       actor="fixture")
    pngs(tmp_path / "incoming", 5)
    import_path(case, tmp_path / "incoming")
    a, b, c, d, e = store.item_ids(case)
    with case.transaction() as db:
        db.execute("UPDATE items SET posted_at = NULL, captured_at = NULL,"
                   " captured_at_source = NULL")
        db.execute("UPDATE items SET captured_at = '2026-03-05T09:00:00Z',"
                   " captured_at_source = 'filename' WHERE id = ?", [a])
        db.execute("UPDATE items SET captured_at = '2026-03-06T09:00:00Z',"
                   " captured_at_source = 'exif' WHERE id = ?", [b])
        db.execute("UPDATE items SET posted_at = '2026-03-04T12:00:00Z', author = ? WHERE id = ?",
                   [BLUE_WAVE, c])
        db.execute("UPDATE items SET captured_at = '2026-03-01T07:30:00Z',"
                   " captured_at_source = 'file_time' WHERE id = ?", [d])
    store.set_item_detail(case, b, "posted_at", "2026-03-03T18:00:00Z")
    store.set_item_detail(case, b, "author", SEA_STAR)
    e164, shown = _phone(3)
    other, other_shown = _phone(7)
    _add_phone(case, b, e164, shown)
    _add_phone(case, c, e164, shown)
    _add_phone(case, d, other, other_shown)
    found = [
        {"kind": "phone", "a": str(b), "b": str(c), "score": 1.0, "band": "strong",
         "why": f"both show {e164}", "details": {}},
        {"kind": "phone", "a": str(a), "b": str(b), "score": 1.0, "band": "strong",
         "why": "shared number", "details": {}},
        {"kind": "phone", "a": str(c), "b": str(d), "score": 1.0, "band": "strong",
         "why": "shared number", "details": {}},
    ]
    store.replace_auto_links(case, ["phone"], found)
    path = case.path
    case.close()
    return {"path": path, "a": a, "b": b, "c": c, "d": d, "e": e, "phone": e164,
            "other": other}


@pytest.fixture
def built(tmp_path: Path, pngs) -> dict:
    return build_cluster_case(tmp_path, pngs)


@pytest.fixture
def window(open_window, built) -> MainWindow:
    return open_window(built["path"])


def _open_clusters(window: MainWindow, qtbot):
    with qtbot.waitSignal(window.clusters.clusters_loaded, timeout=10_000):
        window.clusters_action.trigger()
    assert window.stack.currentWidget() is window.clusters
    return window.clusters


def test_timeline_orders_by_posted_time_else_capture_time_with_the_earliest_as_reference(
        window, built, qtbot):
    clusters = _open_clusters(window, qtbot)
    assert [c.id for c in clusters.clusters] == [built["d"]]
    assert clusters.table.rowCount() == 1
    assert clusters.table.item(0, 1).text() == "4"
    assert clusters.table.item(0, 4).text().startswith("2026-03-01 07:30")
    entries = clusters.timeline.entries
    assert [e.member.id for e in entries] == [built["d"], built["b"], built["c"], built["a"]]
    assert [e.reference for e in entries] == [True, False, False, False]
    assert [e.member.when_field for e in entries] == ["captured", "posted", "posted", "captured"]
    b_entry = entries[1]
    # The analyst-entered posted time wins over the later capture time, and says so.
    assert b_entry.member.when_source == "analyst"
    assert when_text(b_entry.member)[1] == "posted · analyst-entered"
    assert when_text(entries[0].member)[1] == "captured · file time"
    assert [e.lane for e in entries] == [NO_PAGE, SEA_STAR, BLUE_WAVE, NO_PAGE]
    assert all(x.column <= y.column for x, y in zip(entries, entries[1:], strict=False))
    assert f"#{built['d']}" in clusters.detail_label.text()
    assert "Reference" in clusters.detail_label.text()
    phones = {clusters.phones_table.item(r, 0).text(): clusters.phones_table.item(r, 1).text()
              for r in range(clusters.phones_table.rowCount())}
    assert phones == {built["phone"]: "2", built["other"]: "1"}
    assert clusters.pages_table.rowCount() == 2
    assert built["e"] not in clusters.current.items


def test_timeline_helpers_share_columns_without_going_back_in_time(built):
    with Case.open(built["path"], readonly=True) as case:
        members = views.cluster_members(case, [built["a"], built["b"], built["c"], built["d"]])
    entries = timeline_entries(members)
    # D and B sit in different lanes, so B can share D's column; C's lane is new too.
    assert [e.column for e in entries] == [0, 0, 0, 1]
    rec = recurring(members)
    assert rec.phones[0][0] == built["phone"] and rec.phones[0][2] == 2
    assert rec.pages == [(BLUE_WAVE, 1), (SEA_STAR, 1)]


def test_tagging_the_cluster_tags_every_member_and_undo_removes_it(window, built, qtbot):
    clusters = _open_clusters(window, qtbot)
    members = [built["a"], built["b"], built["c"], built["d"]]
    clusters.tag_edit.setText("crossing ring")
    qtbot.mouseClick(clusters.tag_button, Qt.MouseButton.LeftButton)
    tags = views.item_tag_names(window.reader, members + [built["e"]])
    assert all("crossing ring" in tags.get(i, set()) for i in members)
    assert "crossing ring" not in tags.get(built["e"], set())
    assert "Tags on every item: crossing ring" in clusters.detail_label.text()
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    tags = views.item_tag_names(window.reader, members)
    assert not any("crossing ring" in tags.get(i, set()) for i in members)
    assert "crossing ring" not in clusters.detail_label.text()
    window.redo_action.trigger()
    tags = views.item_tag_names(window.reader, members)
    assert all("crossing ring" in tags.get(i, set()) for i in members)


def test_a_cluster_note_goes_on_every_member_and_undo_takes_it_back(window, built, qtbot):
    clusters = _open_clusters(window, qtbot)
    members = [built["a"], built["b"], built["c"], built["d"]]
    assert clusters.note_cluster("Same crossing offer reposted (fictional case)")
    for item_id in members:
        assert [n.text for n in views.item_notes(window.reader, item_id)] == [
            "Same crossing offer reposted (fictional case)"]
    assert views.item_notes(window.reader, built["e"]) == []
    window.undo_action.trigger()
    assert all(views.item_notes(window.reader, i) == [] for i in members)
    assert not clusters.note_cluster("   ")  # an empty note is refused, nothing written


def test_export_cluster_writes_a_bundle_of_its_members(window, built, qtbot, tmp_path):
    clusters = _open_clusters(window, qtbot)
    out = tmp_path / "exports" / "cluster.zip"
    out.parent.mkdir()
    with qtbot.waitSignal(clusters.export_finished, timeout=30_000) as blocker:
        assert clusters.export_cluster(out) is not None
        assert not clusters.tag_button.isEnabled()  # one writer at a time
    assert blocker.args[0].items == 4
    qtbot.waitUntil(clusters.tag_button.isEnabled, timeout=5000)
    result = bundle.verify_bundle(out)
    assert result.payload_files > 0
    entries = [e for e in window.case.audit_entries() if e.action == "export.created"]
    assert entries and entries[-1].details["scope"] == "cluster"
    assert entries[-1].details["value"] == str(built["d"])
    # A second export to the same name is refused with a sentence, not a crash.
    errors: list[str] = []
    clusters.error.connect(errors.append)
    with qtbot.waitSignal(clusters.busy_changed, timeout=30_000,
                          check_params_cb=lambda busy: busy is False):
        clusters.export_cluster(out)
    assert errors and "already exists" in errors[-1]


def test_clicking_a_timeline_card_selects_the_item_in_the_workstation(window, built, qtbot):
    clusters = _open_clusters(window, qtbot)
    window.workstation.run_search("no such words anywhere")
    view = clusters.timeline
    pos = view.card_pos(built["c"])
    assert pos is not None
    view.ensureVisible(pos.x(), pos.y(), 10, 10)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(pos))
    assert window.stack.currentWidget() is window.workstation
    assert window.workstation.selected_ids() == [built["c"]]


def test_a_case_without_links_says_there_are_no_clusters(qtbot, settings, tmp_path, pngs):
    case = Case.create(tmp_path / "plain", title="Unlinked (fictional)", actor="fixture")
    pngs(tmp_path / "in", 2)
    import_path(case, tmp_path / "in")
    path = case.path
    case.close()
    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    assert win.open_case(path)
    clusters = _open_clusters(win, qtbot)
    assert clusters.clusters == []
    assert "No clusters yet" in clusters.title_label.text()
    assert not clusters.export_button.isEnabled()
    win.close()


def test_a_screenshot_of_two_posts_is_shown_in_both_clusters(open_window, built, qtbot,
                                                              monkeypatch):
    # Which posts a screenshot shows is worked out in analysis/posts.py (tested there); here
    # the clusters it yields overlap on item a, as a two-post feed screenshot would.
    from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSimpleTextItem

    from analysis import linking

    a, b, c, d = built["a"], built["b"], built["c"], built["d"]
    # Item a was captured with a file-name time (a caveat line) and shows a number too: five
    # lines for a card that holds four.
    with Case.open(built["path"]) as case:
        _add_phone(case, a, built["phone"], built["phone"])
        with case.transaction() as db:
            db.execute("UPDATE items SET captured_at = '2026-03-05T09:00:00',"
                       " captured_at_source = 'filename (local time, zone unknown)'"
                       " WHERE id = ?", [a])
    found = [
        {"id": b, "items": [b, a, c], "media": [], "pages": [], "phones": [built["phone"]],
         "size": 3, "shared_items": [a]},
        {"id": d, "items": [d, a], "media": [], "pages": [], "phones": [built["other"]],
         "size": 2, "shared_items": [a]},
    ]
    monkeypatch.setattr(linking, "clusters", lambda case: found)
    window = open_window(built["path"])
    clusters = _open_clusters(window, qtbot)
    sizes = [clusters.table.item(r, 1).text() for r in range(clusters.table.rowCount())]
    assert sorted(sizes) == ["2 (1 shared)", "3 (1 shared)"]
    assert clusters.show_cluster(d)
    card = next(i for i in clusters.timeline.scene().items()
                if isinstance(i, QGraphicsRectItem) and i.data(0) == a)
    texts = [t.text() for t in card.childItems() if isinstance(t, QGraphicsSimpleTextItem)]
    assert f"Also in #{b}" in texts
    assert any(built["phone"] in t for t in texts)  # the number still fits on the card
    assert "other clusters too" in clusters.detail_label.text()


def _member(item_id: int, page: str | None, when: str) -> views.ClusterMember:
    return views.ClusterMember(item_id, "screenshot" if page is None else "post", page, False,
                               when, "captured", "filename", "", {}, None, False)


def test_many_items_without_a_page_stack_into_rows_and_keep_time_order():
    # 28 screenshots and 4 posts of two pages, in time order: the screenshots must not spread
    # over 28 columns and push the pages' cards off to the right.
    members = []
    for n in range(32):
        page = (SEA_STAR if n % 16 == 7 else BLUE_WAVE) if n % 8 == 7 else None
        members.append(_member(n + 1, page, f"2026-03-02T08:{n:02d}:00Z"))
    entries = timeline_entries(members)
    loose = [e for e in entries if e.lane == NO_PAGE]
    assert len(loose) == 28
    assert max(e.row for e in loose) == 3  # four rows
    assert max(e.column for e in entries) + 1 <= 10
    # Read down each column, then across: the time order given.
    assert [e.member.id for e in sorted(loose, key=lambda e: (e.column, e.row))] == \
        [e.member.id for e in loose]
    columns = [e.column for e in entries]
    assert columns == sorted(columns)  # never back in time
    # A lane never holds two cards in one place; page lanes keep one row.
    assert len({(e.lane_index, e.row, e.column) for e in entries}) == len(entries)
    assert all(e.row == 0 for e in entries if e.lane != NO_PAGE)
    # The pages' lanes come first (in view without scrolling), the no-page lane last.
    assert {e.lane_index for e in loose} == {2}
    assert {e.lane: e.lane_index for e in entries if e.lane != NO_PAGE} == \
        {SEA_STAR: 0, BLUE_WAVE: 1}


def test_a_few_items_without_a_page_keep_one_row():
    members = [_member(n + 1, None, f"2026-03-02T08:{n:02d}:00Z") for n in range(5)]
    entries = timeline_entries(members)
    assert [e.row for e in entries] == [0] * 5
    assert [e.column for e in entries] == [0, 1, 2, 3, 4]
