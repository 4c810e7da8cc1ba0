"""Read queries behind the workstation: search filters, ordering, row summaries, links."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from PIL import Image

from evidence import store, views
from evidence.case import Case
from evidence.importer import import_path


def _phone(last: int) -> tuple[str, str]:
    example = phonenumbers.example_number_for_type("TR", PhoneNumberType.MOBILE)
    national = str(example.national_number)[:-1] + str(last)
    number = phonenumbers.parse(f"+{example.country_code}{national}")
    return (phonenumbers.format_number(number, PhoneNumberFormat.E164),
            phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))


@pytest.fixture
def case(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n, colour in enumerate(("#1f6feb", "#e0a030", "#46a37a")):
        Image.new("RGB", (200 + n, 120), colour).save(folder / f"advert-{n}.png")
    c = Case.create(tmp_path / "views", title="Views (fictional)", actor="test")
    import_path(c, folder)
    ids = store.item_ids(c)
    e164, shown = _phone(7)
    c.db.execute(
        "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version, current,"
        " created_at) VALUES (?, 'phone', ?, ?, 'text', 't', 1, '2026-01-01T00:00:00Z')",
        [ids[0], e164, shown],
    )
    with c.transaction() as db:
        db.execute("UPDATE items SET text = 'Boat leaves Friday (fictional)', posted_at ="
                   " '2026-02-01T09:00:00Z' WHERE id = ?", [ids[2]])
        db.execute("UPDATE items SET posted_at = '2026-01-01T09:00:00Z' WHERE id = ?", [ids[1]])
    store.index_items(c, ids)
    c.e164 = e164  # type: ignore[attr-defined]
    yield c
    c.close()


def test_parse_query_splits_filters_from_text():
    q = views.parse_query('boat tag:"to check" phone:+90-501 kind:Screenshot has:links source:2')
    assert q.text == "boat"
    assert q.phones == ["90501"]
    assert q.tags == ["to check"] and q.kinds == ["screenshot"] and q.has == ["links"]
    assert q.sources == [2]
    for bad, words in (("kind:boat", "not a kind"), ("source:x", "number of an import"),
                       ("has:cats", "not a filter"), ("tag:", "needs a value"),
                       ("phone:12", "too few digits")):
        with pytest.raises(views.QueryError, match=words):
            views.parse_query(bad)


def test_filters_and_full_text(case):
    ids = store.item_ids(case)
    assert views.matching_ids(case, f"phone:{case.e164}") == [ids[0]]
    assert views.matching_ids(case, f"phone:{case.e164[-7:]}") == [ids[0]]  # a partial number
    assert views.matching_ids(case, "friday") == [ids[2]]
    assert views.matching_ids(case, "friday kind:post") == []
    assert views.matching_ids(case, "kind:screenshot") == ids
    assert views.matching_ids(case, "has:tags") == []
    store.add_tag(case, [ids[1]], "Boat")
    assert views.matching_ids(case, "tag:boat") == [ids[1]]
    assert views.matching_ids(case, "source:1") == ids
    assert views.matching_ids(case, "source:99") == []


def test_sorting_by_time_puts_posted_items_in_order(case):
    ids = store.item_ids(case)
    by_time = views.matching_ids(case, "", sort="time")
    assert by_time.index(ids[1]) < by_time.index(ids[2])
    assert views.matching_ids(case, "", sort="id", descending=True) == ids[::-1]
    with pytest.raises(views.QueryError):
        views.matching_ids(case, "", sort="colour")


def test_row_summaries_links_and_notes(case):
    ids = store.item_ids(case)
    store.add_tag(case, [ids[0]], "boat")
    store.add_note(case, ids[0], "Seen before (fictional)")
    link_id, _ = store.manual_link(case, ids[0], ids[1], "same boat")
    rows = views.row_summaries(case, ids)
    first = rows[ids[0]]
    assert first.phones == [case.e164]
    assert [name for name, _c in first.tags] == ["boat"]
    assert first.links == 1 and first.notes == 1
    assert first.original_name == "advert-0.png" and first.media_readable
    assert rows[ids[2]].snippet == "Boat leaves Friday (fictional)"
    assert rows[ids[2]].when_source == "posted"
    assert views.matching_ids(case, "has:links") == [ids[0], ids[1]]
    assert [link.id for link in views.item_links(case, ids[1])] == [link_id]
    store.decide(case, link_id, "rejected")
    assert views.link_counts(case, [ids[0]]) == {}
    assert [n.text for n in views.item_notes(case, ids[0])] == ["Seen before (fictional)"]
    facets = views.facets(case)
    assert facets.total == 3 and facets.kinds == {"screenshot": 3} and facets.tags == {"boat": 1}


def test_image_links_on_media_count_for_every_item_showing_it(case):
    ids = store.item_ids(case)
    shas = [views.row_summaries(case, [i])[i].media_sha256 for i in ids[:2]]
    store.replace_auto_links(case, ["image"], [
        {"kind": "image", "a": shas[0], "b": shas[1], "score": 0.93, "band": "strong",
         "why": "pHash distance 3 (fictional)"}])
    assert views.link_counts(case, ids) == {ids[0]: 1, ids[1]: 1}
    assert views.item_links(case, ids[0])[0].why == "pHash distance 3 (fictional)"
    assert views.regions(case, shas[0]) == []


def test_cluster_and_status_filters(case):
    ids = store.item_ids(case)
    store.add_tag(case, [ids[0]], "boat")
    store.replace_auto_links(case, ["phone"], [
        {"kind": "phone", "a": ids[1], "b": ids[2], "score": 1.0, "why": "same number"}])
    q = views.parse_query("cluster:7 status:Untagged boat")
    assert q.clusters == [7] and q.statuses == ["untagged"] and q.text == "boat"
    with pytest.raises(views.QueryError, match="review status"):
        views.parse_query("status:done")
    with pytest.raises(views.QueryError, match="number of a cluster"):
        views.parse_query("cluster:x")
    with pytest.raises(views.QueryError, match="no cluster 9"):
        views.matching_ids(case, "cluster:9", clusters={7: [ids[0]]})
    assert views.matching_ids(case, "cluster:7", clusters={7: [ids[0], ids[2]]}) == \
        [ids[0], ids[2]]
    assert views.matching_ids(case, "status:untagged") == [ids[1], ids[2]]
    assert views.matching_ids(case, "status:tagged") == [ids[0]]
    assert views.matching_ids(case, "status:unreviewed") == [ids[1], ids[2]]
    assert views.matching_ids(case, "status:linked status:untagged") == [ids[1], ids[2]]
    counts = views.facet_counts(case)
    assert counts.statuses == {"untagged": 2, "tagged": 1, "linked": 2, "unreviewed": 2}
    assert counts.phones == [(case.e164, 1)]
    assert counts.tags == [("boat", counts.tags[0][1], 1)]
    assert [(s.id, s.items) for s in counts.sources] == [(1, 3)]
    link_id = store.links(case)[0].id
    store.decide(case, link_id, "confirmed")
    assert views.status_counts(case)["unreviewed"] == 0


def test_search_snippets_mark_hits_and_audit_pages(case):
    ids = store.item_ids(case)
    hits = views.search_snippets(case, "friday kind:screenshot", ids)
    assert list(hits) == [ids[2]]
    assert f"{views.HIT_OPEN}friday{views.HIT_CLOSE}" in hits[ids[2]].lower()
    total = views.audit_count(case)
    assert total >= 2
    page = views.audit_page(case, 1, 2)
    assert [e.seq for e in page] == [2, 3][: len(page)]
    assert views.audit_page(case, total, 10) == []
