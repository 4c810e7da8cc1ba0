import json
import sqlite3

import pytest

from evidence import audit
from evidence.case import Case


@pytest.fixture
def logged(case: Case):
    for i in range(4):
        case.audit("tag.added", {"item": i, "tag": "boat"})
    assert case.verify_audit().ok
    case.close()
    return case.path


def _raw(path):
    return sqlite3.connect(path / "case.db")


def _check(path):
    with Case.open(path, readonly=True) as c:
        return c.verify_audit()


def test_chain_is_intact_and_canonical(case: Case):
    case.audit("note.added", {"text": "قارب", "item": 3})
    entries = case.audit_entries()
    assert [e.seq for e in entries] == [1, 2]
    e = entries[-1]
    assert e.actor == "tester" and e.details == {"text": "قارب", "item": 3}
    assert e.hash == audit.entry_hash(entries[0].hash, e.body())
    head = json.loads(case.head_path.read_text())
    assert head == {"seq": 2, "hash": e.hash}


def test_edit_is_caught(logged):
    with _raw(logged) as db:
        db.execute("UPDATE audit SET details = '{\"item\":99,\"tag\":\"boat\"}' WHERE seq = 3")
    result = _check(logged)
    assert not result.ok and result.bad_seq == 3
    assert "entry 3" in result.problem


def test_delete_in_the_middle_is_caught(logged):
    with _raw(logged) as db:
        db.execute("DELETE FROM audit WHERE seq = 2")
    result = _check(logged)
    assert not result.ok and result.bad_seq == 2


def test_reorder_is_caught(logged):
    with _raw(logged) as db:
        rows = db.execute("SELECT * FROM audit WHERE seq IN (2, 3) ORDER BY seq").fetchall()
        db.execute("DELETE FROM audit WHERE seq IN (2, 3)")
        cols = len(rows[0])
        # Swap the contents of entries 2 and 3 but keep the sequence numbers in place.
        for seq, row in ((2, rows[1]), (3, rows[0])):
            db.execute(f"INSERT INTO audit VALUES ({','.join('?' * cols)})", (seq, *row[1:]))
    result = _check(logged)
    assert not result.ok and result.bad_seq == 2


def test_truncation_is_caught_by_the_head(logged):
    with _raw(logged) as db:
        db.execute("DELETE FROM audit WHERE seq >= 4")
    result = _check(logged)
    assert not result.ok
    assert "removed from the end" in result.problem


def test_missing_head_is_caught(logged):
    (logged / "audit.head").unlink()
    assert not _check(logged).ok


def test_a_failed_transaction_leaves_no_entry(case: Case):
    with pytest.raises(RuntimeError), case.transaction():
        case.audit("tag.added", {"item": 1})
        raise RuntimeError("boom")
    assert [e.action for e in case.audit_entries()] == ["case.created"]
    assert case.verify_audit().ok


def test_head_left_behind_by_a_crash_is_repaired_on_open(case: Case):
    head_before = case.head_path.read_text()
    case.audit("tag.added", {"item": 1})
    # Simulate a kill between the commit and the head write.
    case.head_path.write_text(head_before)
    case.close()
    with Case.open(case.path) as again:
        assert again.verify_audit().ok
        assert again.audit_entries()[-1].action == "audit.head.repaired"
