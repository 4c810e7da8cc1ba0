"""Tags, notes, analyst-entered details, links and decisions, the watchlist: all audited."""

import pytest

from evidence import store
from evidence.case import Case
from evidence.errors import TidelineError


@pytest.fixture
def items(case: Case) -> list[int]:
    with case.transaction() as db:
        db.execute("INSERT INTO sources (kind, path, fingerprint, importer_version, started_at,"
                   " status, actor) VALUES ('csv', 'x.csv', 'fp', '1', 'now', 'finished', 't')")
        ids = []
        for n in range(3):
            cur = db.execute(
                "INSERT INTO items (source_id, source_ref, kind, author, text, posted_at,"
                " created_at) VALUES (1, ?, 'post', ?, ?, ?, 'now')",
                [f"row{n}", f"Page {n} (fictional)", f"advert {n}", f"2026-03-0{n + 1}T10:00:00Z"],
            )
            ids.append(cur.lastrowid)
    return ids


def _actions(case: Case) -> list[str]:
    return [e.action for e in case.audit_entries()]


def test_tags_are_created_on_the_fly_and_audited(case: Case, items):
    changes = store.add_tag(case, items[:2], "boat")
    assert changes.items == set(items[:2]) and changes.tags
    assert store.add_tag(case, items[:2], "boat").items == set()  # already tagged
    assert [t["name"] for t in store.tags(case)] == ["boat"]
    assert store.tags(case)[0]["items"] == 2
    store.remove_tag(case, [items[0]], "boat")
    assert store.items_json(case, [items[0]])[0]["tags"] == []
    assert store.items_json(case, [items[1]])[0]["tags"] == ["boat"]
    assert {"tag.created", "tag.added", "tag.removed"} <= set(_actions(case))
    assert case.verify_audit().ok


def test_notes_and_details(case: Case, items):
    note_id, _ = store.add_note(case, items[0], "Same boat as the harbour page.")
    store.set_item_detail(case, items[1], "author", "Blue Wave Trips (fictional)")
    first, second = store.items_json(case, items[:2])
    assert first["notes"][0]["text"] == "Same boat as the harbour page."
    assert first["notes"][0]["actor"] == "tester"
    assert second["author"] == "Blue Wave Trips (fictional)"
    assert second["analyst_entered"] == ["author"]
    store.remove_note(case, note_id)
    assert store.items_json(case, [items[0]])[0]["notes"] == []
    with pytest.raises(TidelineError):
        store.set_item_detail(case, items[0], "sha256", "x")
    with pytest.raises(TidelineError):
        store.add_note(case, 999, "x")


def test_decisions_survive_replacement_of_auto_links(case: Case, items):
    a, b, c = (str(i) for i in items)
    found = [
        {"kind": "phone", "a": a, "b": b, "score": 1.0, "band": "strong", "why": "both show x"},
        {"kind": "phone", "a": a, "b": c, "score": 1.0, "band": "strong", "why": "both show x"},
    ]
    store.replace_auto_links(case, ["phone"], found)
    ab, ac = store.links(case, "phone")
    store.decide(case, ab.id, "rejected", "different people")
    store.decide(case, ac.id, "confirmed")
    # The next analysis finds a-b again but no longer a-c.
    store.replace_auto_links(case, ["phone"], found[:1])
    after = {lk.id: lk for lk in store.links(case, "phone")}
    assert after[ab.id].status == "rejected"  # never comes back as auto
    assert after[ac.id].status == "confirmed"  # never dropped
    assert after[ab.id].decided_by == "tester"
    # An automatic link not found again drops out.
    store.decide(case, ab.id, "auto")
    store.replace_auto_links(case, ["phone"], [])
    assert [lk.id for lk in store.links(case, "phone")] == [ac.id]


def test_manual_link_needs_a_note(case: Case, items):
    with pytest.raises(TidelineError):
        store.manual_link(case, items[0], items[1], " ")
    link_id, _ = store.manual_link(case, items[0], items[1], "same phone seen in a video")
    link = store.get_link(case, link_id)
    assert link.kind == "manual" and link.status == "confirmed"
    assert "same phone seen in a video" in link.why


def test_watchlist(case: Case, items):
    assert store.watchlist_add(case, "partner", [("phone", "+905012345678", None)]) == 1
    assert store.watchlist_add(case, "partner", [("phone", "+905012345678", None)]) == 0
    with pytest.raises(TidelineError):
        store.watchlist_add(case, "partner", [("colour", "red", None)])
    with case.transaction() as db:
        db.execute("INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version,"
                   " created_at) VALUES (?, 'phone', '+905012345678', '0501 234 56 78', 'text',"
                   " 'v', 'now')", [items[2]])
    hits = store.watchlist_hits(case)
    assert [(h["item_id"], h["list_name"]) for h in hits] == [(items[2], "partner")]
    assert store.watchlist_remove(case, "partner", "phone", "+905012345678") == 1
