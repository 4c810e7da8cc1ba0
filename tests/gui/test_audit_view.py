"""The audit log viewer: entries in a lazily filled table and one sentence on verification."""

from __future__ import annotations

import sqlite3

from evidence import store
from evidence.case import Case
from gui.audit_view import BAD_COLOUR, OK_COLOUR, PAGE, AuditLogDialog
from gui.main_window import MainWindow


def test_the_audit_log_shows_entries_and_a_green_sentence(qtbot, settings, case_info):
    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    assert win.open_case(case_info[0])
    store.add_tag(win.case, [case_info[1][0]], "boat")
    dialog = win.show_audit_log()
    qtbot.addWidget(dialog)
    model = dialog.model
    assert model.rowCount() > 0
    actions = [model.index(r, 3).data() for r in range(model.rowCount())]
    assert actions[0] == "case.created" and actions[-1] == "tag.added"
    assert [model.index(r, 0).data() for r in range(2)] == ["1", "2"]
    last = model.rowCount() - 1
    assert model.index(last, 2).data().startswith("analyst-test")
    assert "boat" in model.index(last, 4).data()
    assert dialog.ok
    assert dialog.status_label.text().startswith("✔ The audit log verifies")
    assert OK_COLOUR in dialog.status_label.styleSheet()
    win.close()


def test_a_tampered_entry_turns_the_sentence_red_and_names_it(qtbot, case_info):
    path = case_info[0]
    con = sqlite3.connect(path / "case.db")
    con.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 2")
    con.commit()
    con.close()
    reader = Case.open(path, readonly=True)
    try:
        dialog = AuditLogDialog(reader)
        qtbot.addWidget(dialog)
        assert not dialog.ok
        text = dialog.status_label.text()
        assert text.startswith("✖ The audit log does NOT verify")
        assert "entry 2" in text and "first bad entry is 2" in text
        assert BAD_COLOUR in dialog.status_label.styleSheet()
        assert dialog.model.index(1, 2).data().startswith("someone else")
    finally:
        reader.close()


def test_a_long_log_is_read_a_page_at_a_time(qtbot, tmp_path):
    case = Case.create(tmp_path / "long", title="Long (fictional)", actor="fixture")
    with case.transaction():
        for n in range(PAGE + 20):
            case.audit("test.entry", {"n": n})
    try:
        dialog = AuditLogDialog(case)
        qtbot.addWidget(dialog)
        model = dialog.model
        assert model.total >= PAGE + 21
        assert model.rowCount() <= 2 * PAGE
        while model.canFetchMore():
            model.fetchMore()
        assert model.rowCount() == model.total
        assert model.index(model.total - 1, 4).data() == f"n: {PAGE + 19}"
    finally:
        case.close()
