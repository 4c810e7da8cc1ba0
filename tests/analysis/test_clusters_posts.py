"""Clusters over posts: a two-post feed screenshot joins each campaign through the post that
shows it, sits in both clusters, and cluster ids stay unique; interface text makes no link."""

from __future__ import annotations

import json

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from analysis.linking import (
    chrome_lines,
    clusters,
    line_key,
    part_texts,
    selector_links,
    text_links,
)
from evidence import store
from evidence.case import Case


def _numbers(region: str, n: int) -> list[str]:
    base = phonenumbers.format_number(
        phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE),
        PhoneNumberFormat.E164)
    return [base[:-1] + str((int(base[-1]) + k) % 10) for k in range(n)]


class Builder:
    def __init__(self, case: Case) -> None:
        self.case = case
        with case.transaction() as db:
            db.execute("INSERT INTO sources (kind, path, fingerprint, importer_version,"
                       " started_at, status, actor) VALUES ('folder', 'x', 'fp', '1', 'now',"
                       " 'finished', 't')")
        self.n = 0

    def item(self, kind: str, day: int, size=(1080, 2000), photos=(), words=()) -> tuple:
        self.n += 1
        sha = f"{self.n:064x}"
        with self.case.transaction() as db:
            item = db.execute(
                "INSERT INTO items (source_id, source_ref, kind, author, posted_at, created_at)"
                " VALUES (1, ?, ?, ?, ?, 'now')",
                [f"r{self.n}", kind, f"Sea Star Travel {self.n} (fictional)",
                 f"2026-03-{day:02d}T00:00:00Z"]).lastrowid
            db.execute("INSERT INTO media (sha256, size, width, height, readable, added_at)"
                       " VALUES (?, 1, ?, ?, 1, 'now')", [sha, *size])
            db.execute("INSERT INTO sightings (media_sha256, source_id, item_id, path_in_source,"
                       " original_name, role, created_at) VALUES (?, 1, ?, ?, ?, 'file', 'now')",
                       [sha, item, f"f{self.n}", f"f{self.n}"])
            regions = [
                db.execute("INSERT INTO regions (media_sha256, engine, engine_version, settings,"
                           " kind, x0, y0, x1, y1, created_at) VALUES (?, 'h', '1', '{}',"
                           " 'photo', ?, ?, ?, ?, 'now')", [sha, *box]).lastrowid
                for box in photos
            ]
            if words:
                db.execute("INSERT INTO ocr (media_sha256, engine, engine_version, settings, text,"
                           " words, created_at) VALUES (?, 't', '5', '{}', ?, ?, 'now')",
                           [sha, "\n".join(w["text"] for w in words), json.dumps(words)])
        return item, sha, regions

    def phone(self, item: int, sha: str, value: str, box=None) -> None:
        with self.case.transaction() as db:
            db.execute("INSERT INTO selectors (item_id, media_sha256, kind, value, shown,"
                       " found_in, boxes, engine_version, created_at) VALUES (?, ?, 'phone', ?,"
                       " ?, ?, ?, 'v', 'now')",
                       [item, sha, value, value, "ocr" if box else "text",
                        json.dumps([box]) if box else None])


def _two_post_case(case: Case, screenshot_day: int = 5):
    b = Builder(case)
    a_num, b_num = _numbers("TR", 2)
    shot, shot_sha, shot_regions = b.item("screenshot", screenshot_day,
                                          photos=[(0, 200, 1080, 800), (0, 1200, 1080, 1800)])
    b.phone(shot, shot_sha, a_num, [40, 120, 500, 160])  # above the upper photo
    b.phone(shot, shot_sha, b_num, [40, 1100, 500, 1140])  # above the lower photo
    posts_a = [b.item("post", 6 + k, size=(800, 600)) for k in range(2)]
    posts_b = [b.item("post", 8 + k, size=(800, 600)) for k in range(2)]
    for item, sha, _ in posts_a:
        b.phone(item, sha, a_num)
    for item, sha, _ in posts_b:
        b.phone(item, sha, b_num)
    store.replace_auto_links(case, ["phone", "handle", "email"], selector_links(case))
    return b, (shot, shot_sha, shot_regions), posts_a, posts_b


def test_a_two_post_screenshot_is_in_both_campaigns_clusters(case: Case):
    _, (shot, _, _), posts_a, posts_b = _two_post_case(case)
    found = clusters(case)
    groups = sorted(sorted(c["items"]) for c in found)
    assert groups == [sorted([shot, *(p[0] for p in posts_a)]),
                      sorted([shot, *(p[0] for p in posts_b)])]
    assert all(c["shared_items"] == [shot] for c in found)
    assert sorted(tuple(c["parts"][str(shot)]) for c in found) == [(0,), (1,)]
    a_num, b_num = _numbers("TR", 2)
    # Each cluster lists only the number its own post shows.
    assert sorted(tuple(c["phones"]) for c in found) == [(a_num,), (b_num,)]


def test_cluster_ids_stay_unique_when_one_screenshot_is_earliest_in_both(case: Case):
    _, (shot, _, _), posts_a, posts_b = _two_post_case(case, screenshot_day=1)
    found = clusters(case)
    by_part = {c["parts"][str(shot)][0]: c for c in found}
    # The cluster of the upper post keeps the screenshot's id; the other takes its own
    # earliest item that is no cluster's id yet.
    assert by_part[0]["id"] == shot
    assert by_part[1]["id"] == posts_b[0][0]
    assert by_part[1]["items"][0] == shot
    assert [c["id"] for c in clusters(case)] == [c["id"] for c in found]


def test_image_links_join_the_post_holding_the_matched_photo(case: Case):
    b, (shot, shot_sha, regions), posts_a, posts_b = _two_post_case(case)
    photo, photo_sha, _ = b.item("post", 20, size=(800, 600))
    other, other_sha, _ = b.item("screenshot", 21,
                                 photos=[(0, 100, 1080, 700), (0, 1000, 1080, 1600)])
    store.replace_auto_links(case, ["image"], [
        {"kind": "image", "a": photo_sha, "b": shot_sha, "score": 0.9, "band": "strong",
         "why": "t", "details": {"regions": {
             photo_sha: {"kind": "whole", "box": [0, 0, 800, 600], "region": 1},
             shot_sha: {"kind": "photo", "box": [0, 1200, 1080, 1800], "region": regions[1]}}}},
        # A whole-image match of two screenshots of two posts each: post k to post k.
        {"kind": "image", "a": shot_sha, "b": other_sha, "score": 0.9, "band": "strong",
         "why": "t", "details": {"regions": {
             shot_sha: {"kind": "whole", "box": [0, 0, 1080, 2000], "region": 1},
             other_sha: {"kind": "whole", "box": [0, 0, 1080, 2000], "region": 2}}}},
    ])
    found = {frozenset(c["items"]) for c in clusters(case)}
    assert frozenset([shot, other, *(p[0] for p in posts_a)]) in found
    assert frozenset([shot, other, photo, *(p[0] for p in posts_b)]) in found


def test_a_rejected_phone_link_splits_again_and_manual_links_join_whole_items(case: Case):
    _, (shot, _, _), posts_a, posts_b = _two_post_case(case)
    link = next(lk for lk in store.links(case, "phone")
                if {int(lk.a), int(lk.b)} == {shot, posts_b[0][0]})
    store.decide(case, link.id, "rejected")
    assert sorted(len(c["items"]) for c in clusters(case)) == [2, 3]
    store.manual_link(case, posts_b[0][0], posts_b[1][0], "same driver")
    assert sorted(len(c["items"]) for c in clusters(case)) == [3, 3]
    # An analyst's link to the screenshot itself names no post: it joins every post of it.
    store.manual_link(case, shot, posts_a[0][0], "same captain")
    assert [len(c["items"]) for c in clusters(case)] == [5]


def _w(text: str, y: int, line: int, x: int = 40) -> list[dict]:
    out = []
    for k, word in enumerate(text.split()):
        out.append({"text": word, "conf": 95.0, "box": [x + k * 90, y, x + k * 90 + 80, y + 30],
                    "block": 1, "par": 1, "line": line, "word": k + 1})
    return out


ADVERT = "Trips to Lampedusa every Friday. Departure from the coast. Big boat, life jackets."
OTHERS = ("Lost grey cat near the harbour, reward offered", "Fresh fish market opens at dawn",
          "Football match moved to Sunday evening")
CHROME = "Like Comment Share Write a comment Most relevant Follow Page Send message now"


def test_interface_lines_make_no_text_link_but_a_reposted_advert_does(case: Case):
    b = Builder(case)
    nums = _numbers("IT", 5)
    shots = []
    for k in range(5):
        words = _w(CHROME, 900, 1) + _w(f"{k + 1}.{k}K comments {k * 7} shares", 950, 2)
        if k < 2:
            words += _w(ADVERT, 100, 3)
        else:
            words += _w(OTHERS[k - 2], 100, 3)
        item, sha, _ = b.item("screenshot", 1 + k, photos=[(0, 200, 1080, 800)], words=words)
        b.phone(item, sha, nums[0] if k < 2 else nums[k], [40, 150, 400, 180])
        shots.append(item)
    read = {(i, 0): [CHROME, ADVERT] for i in shots[:2]}
    read.update({(i, 0): [CHROME, OTHERS[k]] for k, i in enumerate(shots[2:])})
    assert chrome_lines(case, read) == {line_key(CHROME)}
    found = text_links(case)
    assert [sorted((f["a"], f["b"])) for f in found] == [sorted(shots[:2])]
    assert found[0]["details"]["part_pairs"] == [{str(shots[0]): 0, str(shots[1]): 0}]
    texts = part_texts(case)
    assert "Like Comment Share" not in texts[(shots[3], 0)]
    assert "Fresh fish" in texts[(shots[3], 0)]
    assert "Lampedusa" in texts[(shots[0], 0)]


def test_the_report_says_which_items_are_in_two_clusters():
    from evidence.report_html import ReportInput, render_report

    items = [{"id": i, "kind": "screenshot", "media": [], "selectors": []} for i in (1, 2, 3)]
    clusters_in = [{"id": "1", "items": [1, 2]}, {"id": "3", "items": [1, 3]}]
    html = render_report(ReportInput("Sea Star (fictional)", "all", "now", "t", "1",
                                     (1, "ab"), items, [], [], {}, clusters=clusters_in))
    assert html.count("Items showing posts of other clusters too") == 2
    assert 'item 1</a> (also in <a href="#cluster-3">cluster 3</a>)' in html
    assert 'item 1</a> (also in <a href="#cluster-1">cluster 1</a>)' in html


def test_feed_screenshots_showing_two_numbers_do_not_hide_interface_lines(case: Case):
    # Five adverts with numbers of their own share an interface line. Three feed screenshots each
    # show two of them, one per post: counted per item they would join the five
    # into two groups and the line would look like a reposted advert's.
    from analysis import posts

    b = Builder(case)
    nums = _numbers("IT", 5)
    read: dict[tuple[int, int], list[str]] = {}
    for k in range(5):
        item, sha, _ = b.item("screenshot", 1 + k, photos=[(0, 200, 1080, 800)],
                              words=_w(CHROME, 900, 1))
        b.phone(item, sha, nums[k], [40, 150, 400, 180])
        read[(item, 0)] = [CHROME, OTHERS[k % 3]]
    for first, second in ((0, 1), (2, 3), (3, 4)):
        item, sha, _ = b.item("screenshot", 8, photos=[(0, 200, 1080, 800),
                                                       (0, 1200, 1080, 1800)])
        b.phone(item, sha, nums[first], [40, 120, 500, 160])
        b.phone(item, sha, nums[second], [40, 1100, 500, 1140])
        read[(item, 0)] = [CHROME]
        read[(item, 1)] = [CHROME]
    parts = posts.item_posts(case)
    assert chrome_lines(case, read, parts) == {line_key(CHROME)}
