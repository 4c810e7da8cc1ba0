"""Clusters: strong and confirmed links join, rejected never, weak links are not chained."""

from analysis.linking import clusters, held_back, selector_links
from evidence import store
from evidence.case import Case


def _items(case: Case, n: int) -> list[int]:
    with case.transaction() as db:
        db.execute("INSERT INTO sources (kind, path, fingerprint, importer_version, started_at,"
                   " status, actor) VALUES ('csv', 'x.csv', 'fp', '1', 'now', 'finished', 't')")
        return [
            db.execute("INSERT INTO items (source_id, source_ref, kind, author, posted_at,"
                       " created_at) VALUES (1, ?, 'post', ?, ?, 'now')",
                       [f"r{i}", f"Page {i % 2} (fictional)", f"2026-03-{10 - i:02d}T00:00:00Z"]
                       ).lastrowid
            for i in range(n)
        ]


def _link(case, kind, a, b, band="strong"):
    store.replace_auto_links(case, [kind], [
        {"kind": kind, "a": a, "b": b, "score": 1.0, "band": band, "why": "test"}])


def test_weak_links_do_not_merge_and_rejected_never_join(case: Case):
    ids = _items(case, 4)
    store.replace_auto_links(case, ["email"], [
        {"kind": "email", "a": ids[0], "b": ids[1], "score": 0.9, "band": "strong", "why": "t"},
        {"kind": "email", "a": ids[1], "b": ids[2], "score": 0.65, "band": "weak", "why": "t"},
        {"kind": "email", "a": ids[2], "b": ids[3], "score": 0.9, "band": "strong", "why": "t"},
    ])
    found = clusters(case)
    assert sorted(sorted(c["items"]) for c in found) == [ids[:2], ids[2:]]
    # The cluster id is its earliest item (posted time), not its lowest id.
    assert {c["id"] for c in found} == {ids[1], ids[3]}
    strong = [lk for lk in store.links(case, "email") if lk.band == "strong"]
    store.decide(case, strong[0].id, "rejected")
    assert [sorted(c["items"]) for c in clusters(case)] == [ids[2:]]
    weak = next(lk for lk in store.links(case, "email") if lk.band == "weak")
    store.decide(case, weak.id, "confirmed")
    assert [sorted(c["items"]) for c in clusters(case)] == [ids[1:]]


def test_a_shared_number_links_through_one_representative(case: Case):
    ids = _items(case, 6)
    with case.transaction() as db:
        for i in ids:
            db.execute("INSERT INTO selectors (item_id, kind, value, shown, found_in,"
                       " engine_version, created_at) VALUES (?, 'phone', '+905012345678',"
                       " '+90 501 234 56 78', 'text', 'v', 'now')", [i])
    found = selector_links(case)
    assert len(found) == 5
    rep = ids[-1]  # the earliest posted
    assert all(rep in (f["a"], f["b"]) for f in found)
    assert all("+90 501 234 56 78" in f["why"] for f in found)


def test_a_watchlisted_photo_hash_flags_the_item_showing_it(case, tmp_path):
    from PIL import Image, ImageDraw

    from analysis.hashing import hash_image
    from analysis.pipeline import analyse
    from analysis.watch import hash_watch_hits
    from evidence.importer import import_path

    folder = tmp_path / "shots"
    folder.mkdir()
    img = Image.new("RGB", (400, 300), (40, 90, 150))
    d = ImageDraw.Draw(img)
    d.polygon([(80, 200), (320, 200), (280, 250), (120, 250)], fill=(240, 240, 240))
    d.rectangle([190, 120, 200, 200], fill=(60, 40, 30))
    d.ellipse([300, 30, 350, 80], fill=(250, 220, 120))
    img.save(folder / "boat.png")
    Image.new("RGB", (400, 300), (200, 30, 30)).save(folder / "red.png")
    partner_pdq = hash_image(folder / "boat.png").regions[0].pdq
    import_path(case, folder)
    store.watchlist_add(case, "partner-hashes", [("pdq", partner_pdq, "fictional list")])
    analyse(case, ocr_langs=None)
    hits = hash_watch_hits(case)
    boat = next(i["id"] for i in store.items_json(case) if i["source_ref"] == "boat.png")
    assert [(h["item_id"], h["list_name"]) for h in hits] == [(boat, "partner-hashes")]


def _two_screenshots(case: Case) -> tuple[list[int], str, str]:
    ids = _items(case, 2)
    with case.transaction() as db:
        for n, item_id in enumerate(ids):
            sha = f"{n:064x}"
            db.execute("INSERT INTO media (sha256, size, readable, added_at)"
                       " VALUES (?, 1, 1, 'now')", [sha])
            db.execute("INSERT INTO sightings (media_sha256, source_id, item_id, path_in_source,"
                       " original_name, role, created_at) VALUES (?, 1, ?, ?, ?, 'screenshot',"
                       " 'now')", [sha, item_id, f"f{n}", f"f{n}"])
    return ids, f"{0:064x}", f"{1:064x}"


def test_image_links_resting_on_local_features_alone_join_clusters_only_when_confirmed(
        case: Case):
    ids, a, b = _two_screenshots(case)
    store.replace_auto_links(case, ["image"], [
        {"kind": "image", "a": a, "b": b, "score": 0.8, "band": "strong", "why": "same boat",
         "details": {"partial": False, "verification": {"inliers": 40}}}])
    assert clusters(case) == []
    link = store.links(case, "image")[0]
    store.decide(case, link.id, "confirmed")
    assert [sorted(c["items"]) for c in clusters(case)] == [sorted(ids)]


def test_image_links_on_part_of_a_photo_confirmed_by_features_join_clusters(case: Case):
    ids, a, b = _two_screenshots(case)
    store.replace_auto_links(case, ["image"], [
        {"kind": "image", "a": a, "b": b, "score": 0.8, "band": "strong", "why": "crop",
         "details": {"partial": True, "verification": {"inliers": 80}}}])
    assert [sorted(c["items"]) for c in clusters(case)] == [sorted(ids)]
    store.decide(case, store.links(case, "image")[0].id, "rejected")
    assert clusters(case) == []


def test_partial_image_links_with_bunched_matches_join_only_with_fine_detail(case: Case):
    # Two different photos with the same drawn boat: a window hash brought them near and 61
    # matching features, all on the boat, confirmed them.
    ids, a, b = _two_screenshots(case)
    bunched = {"inliers": 61, "coverage": 0.071, "correlation": 0.75, "detail": None}
    for verification, joins in ((bunched, False), (bunched | {"detail": 0.8}, True),
                                (bunched | {"coverage": 0.3}, True)):
        store.replace_auto_links(case, ["image"], [
            {"kind": "image", "a": a, "b": b, "score": 0.6, "band": "strong", "why": "boat",
             "details": {"partial": True, "verification": verification}}])
        assert [sorted(c["items"]) for c in clusters(case)] == ([sorted(ids)] if joins else [])
        reason = held_back(store.links(case, "image")[0])
        assert reason is None if joins else "small part of the photo" in reason


def test_image_links_confirmed_as_a_strip_of_the_photo_join_clusters(case: Case):
    # Found by strip codes (no hash, so not partial) and confirmed by fine detail at the
    # fixed alignment of a photo scrolled part way off a screen.
    ids, a, b = _two_screenshots(case)
    store.replace_auto_links(case, ["image"], [
        {"kind": "image", "a": a, "b": b, "score": 0.5, "band": "strong", "why": "strip",
         "details": {"partial": False, "verification": {"inliers": 3, "strip": "bottom",
                                                        "detail": 0.81}}}])
    assert [sorted(c["items"]) for c in clusters(case)] == [sorted(ids)]
    assert held_back(store.links(case, "image")[0]) is None


def test_text_links_join_clusters_only_when_confirmed(case: Case):
    # The same advert template is copied between operations: similar text alone must not
    # merge two campaigns.
    ids = _items(case, 2)
    store.replace_auto_links(case, ["text"], [
        {"kind": "text", "a": str(ids[0]), "b": str(ids[1]), "score": 0.95, "band": "strong",
         "why": "nearly the same advert text", "details": {"similarity": 0.95}}])
    assert clusters(case) == []
    store.decide(case, store.links(case, "text")[0].id, "confirmed")
    assert [sorted(c["items"]) for c in clusters(case)] == [sorted(ids)]



def test_held_back_says_why_a_strong_link_does_not_join(case: Case):
    ids, a, b = _two_screenshots(case)
    store.replace_auto_links(case, ["image", "text"], [
        {"kind": "image", "a": a, "b": b, "score": 0.8, "band": "strong", "why": "same boat",
         "details": {"partial": False, "verification": {"inliers": 40}}},
        {"kind": "text", "a": str(ids[0]), "b": str(ids[1]), "score": 0.95, "band": "strong",
         "why": "nearly the same advert text", "details": {"similarity": 0.95}},
        {"kind": "email", "a": str(ids[0]), "b": str(ids[1]), "score": 1.0, "band": "strong",
         "why": "both show ring@example.org"}])
    by_kind = {lk.kind: lk for lk in store.links(case)}
    assert "local features alone" in held_back(by_kind["image"])
    assert "Similar advert text" in held_back(by_kind["text"])
    assert held_back(by_kind["email"]) is None
    store.decide(case, by_kind["text"].id, "confirmed")
    assert held_back(store.links(case, "text")[0]) is None
