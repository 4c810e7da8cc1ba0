"""Links between items: shared selectors (phone, handle, email), near-identical advert text,
and the clusters they make.

A value shared by hundreds of items links them through one representative (the earliest
item), not every pair. Text links are found with MinHash LSH over character shingles, never
all pairs, and each is verified on the real shingle sets before it is kept. Clusters are the
connected components over strong automatic links and confirmed links; rejected links never
join anything and weak links are shown but not chained through.

Screenshots of a feed often show two posts (analysis/posts.py): text is compared post by
post, interface text that recurs across unrelated items is left out, and clusters join posts,
not whole items, so a screenshot of two campaigns' posts sits in both campaigns' clusters
instead of chaining them into one.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
from datasketch import MinHash, MinHashLSH

from analysis import posts
from evidence import store
from evidence.case import Case
from evidence.textnorm import normalise_for_similarity, shingles

SELECTOR_LINK_KINDS = {"phone": "phone", "whatsapp": "phone", "telegram": "handle",
                       "handle": "handle", "email": "email"}
TEXT_THRESHOLD = 0.6  # Jaccard of 5-character shingles: same advert, a few words changed
TEXT_MIN_SHINGLES = 25  # shorter texts ("call now") say nothing about a shared advert
NUM_PERM = 96


@dataclass(frozen=True)
class ItemOrder:
    """What makes one item the earliest: its posted time, else its capture time, else its id."""

    when: str
    id: int


def item_order(case: Case) -> dict[int, ItemOrder]:
    edits = {
        r[0]: r[1]
        for r in case.db.execute(
            "SELECT item_id, value FROM item_edits WHERE current = 1 AND field = 'posted_at'"
        )
    }
    out = {}
    for item_id, posted, captured in case.db.execute(
        "SELECT id, posted_at, captured_at FROM items"
    ):
        when = edits.get(item_id) or posted or captured or "9999"
        out[item_id] = ItemOrder(when, item_id)
    return out


def _shown_phone(value: str) -> str:
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return value


def _where(found: Iterable[str]) -> str:
    names = {"text": "post text", "ocr": "OCR", "text_in_image": "image text"}
    return " / ".join(sorted({names.get(f, f) for f in found}))


def selector_links(case: Case) -> list[dict]:
    """Links for items that share a phone number, handle or email (through a representative)."""
    order = item_order(case)
    groups: dict[tuple[str, str], dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item_id, kind, value, found_in in case.db.execute(
        "SELECT s.item_id, s.kind, s.value, s.found_in FROM selectors s"
        " JOIN items i ON i.id = s.item_id WHERE s.current = 1"
    ):
        link_kind = SELECTOR_LINK_KINDS.get(kind)
        if link_kind:
            groups[(link_kind, value)][item_id].add(found_in)
    pairs: dict[tuple[str, int, int], list[tuple[str, set[str], set[str]]]] = defaultdict(list)
    for (kind, value), members in groups.items():
        if len(members) < 2:
            continue
        rep = min(members, key=lambda i: (order[i].when, i))
        for other in members:
            if other != rep:
                pairs[(kind, rep, other)].append((value, members[rep], members[other]))
    found = []
    for (kind, rep, other), shared in pairs.items():
        shown = [
            f"{_shown_phone(v) if kind == 'phone' else v} ({_where(fa | fb)})"
            for v, fa, fb in shared
        ]
        found.append({
            "kind": kind, "a": rep, "b": other, "score": 1.0, "band": "strong",
            "why": "both show " + " and ".join(shown),
            "details": {"values": [v for v, _, _ in shared], "representative": rep,
                        "found_in": {str(rep): sorted(set().union(*(fa for _, fa, _ in shared))),
                                     str(other): sorted(set().union(*(fb for _, _, fb in shared)))}},
        })
    return found


CHROME_MIN_GROUPS = 3  # an OCR line seen with this many unrelated numbers is the app's own text


def item_texts(case: Case) -> dict[int, str]:
    """Each item's advert text: post text, text found in the image, and its media's OCR
    (the posts of a split screenshot one after the other, interface text left out)."""
    texts: dict[int, list[str]] = defaultdict(list)
    for (item_id, _), text in sorted(part_texts(case).items()):
        texts[item_id].append(text)
    return {i: "\n".join(ts) for i, ts in texts.items()}


def part_texts(case: Case, parts: dict[int, posts.ItemPosts] | None = None
               ) -> dict[tuple[int, int], str]:
    """The advert text of each (item, part), without the interface's own text.

    A screenshot's text is the OCR inside each post's band and photo column, so the menus and
    search boxes beside the posts never make two screenshots look alike, and each post of a
    two-post feed is compared on its own text; a part with neither a photo nor a number is
    left out. Other items keep their own text, the text found in their image and all their
    media's OCR. OCR lines that are interface text anyway (``chrome_lines``) are left out.
    """
    parts = posts.item_posts(case) if parts is None else parts
    own: dict[tuple[int, int], list[str]] = defaultdict(list)
    for item_id, text, in_image in case.db.execute(
        "SELECT id, text, text_in_image FROM items WHERE json_extract(coalesce(extra, '{}'),"
        " '$.service') IS NOT 1"
    ):
        own[(item_id, 0)].extend(t for t in (text, in_image) if t)
    # A part of a screenshot with neither a photo nor a number is the app's header, a date
    # or a footer, not a post: it makes no text link.
    shown = {(i, k) for (i, _), ks in _selector_parts(case, parts).items() for k in ks}
    read: dict[tuple[int, int], list[str]] = defaultdict(list)
    for item_id, sha, text, words in case.db.execute(
        "SELECT DISTINCT s.item_id, s.media_sha256, o.text, o.words FROM sightings s JOIN ocr o"
        " ON o.media_sha256 = s.media_sha256 AND o.current = 1 WHERE s.item_id IS NOT NULL"
    ):
        ip = parts.get(item_id)
        mp = ip.media if ip else None
        if mp is not None and mp.sha256 == sha and any(p.regions for p in mp.parts):
            for k, part_text in enumerate(posts.part_texts(mp, posts.load_words(words))):
                if mp.parts[k].regions or (item_id, k) in shown:
                    read[(item_id, k)].extend(part_text.splitlines())
        elif text:
            read[(item_id, 0)].extend(text.splitlines())
    chrome = chrome_lines(case, read, parts)
    out = {}
    for unit in own.keys() | read.keys():
        lines = own.get(unit, []) + [ln for ln in read.get(unit, []) if line_key(ln) not in chrome]
        if lines:
            out[unit] = "\n".join(lines)
    return out


def line_key(line: str) -> str:
    """The words of an OCR line that say what it is: counters, clocks and OCR specks vary
    from one capture to the next, so digits and one- or two-letter tokens are left out."""
    return " ".join(re.findall(r"[^\W\d_]{3,}", normalise_for_similarity(line)))


def chrome_lines(case: Case, read: dict[tuple[int, int], list[str]],
                 parts: dict[int, posts.ItemPosts] | None = None) -> set[str]:
    """OCR lines that are the interface of an app, not an advert.

    Such a line ("Like Comment Share", "Search Facebook", "1.2K subscribers", compared on its
    words of three letters or more) recurs in screenshots of unrelated adverts. A line counts
    as interface text when the items showing it fall into at least ``CHROME_MIN_GROUPS``
    groups that share no phone number, handle or email; a reposted advert's lines recur in
    items that share its number. Measured on the demo case: bench/RESULTS-clusters.md.

    Groups are made of posts, not items (with ``parts``, each selector counts in the post
    that shows it): a feed screenshot showing two campaigns' numbers would otherwise join
    their groups, and a few such screenshots make every advert one group.
    """
    values: dict[tuple[int, int], set[str]] = defaultdict(set)
    if parts is None:
        for item_id, kind, value in case.db.execute(
            "SELECT item_id, kind, value FROM selectors WHERE current = 1"
        ):
            if kind in SELECTOR_LINK_KINDS:
                values[(item_id, 0)].add(value)
    else:
        for (item_id, value), ks in _selector_parts(case, parts, SELECTOR_LINK_KINDS).items():
            for k in ks:
                values[(item_id, k)].add(value)
    holders: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for unit, lines in read.items():
        if values.get(unit):
            for ln in lines:
                key = line_key(ln)
                if key:
                    holders[key].add(unit)
    return {key for key, units in holders.items()
            if len({u[0] for u in units}) >= CHROME_MIN_GROUPS
            and _unrelated_groups(units, values) >= CHROME_MIN_GROUPS}


def find_root(parent: dict, x):
    """The root of ``x`` in a union-find forest kept as a map from node to parent (a node
    missing from the map is its own root), shortening the path on the way."""
    while parent.get(x, x) != x:
        parent[x] = parent.get(parent[x], parent[x])
        x = parent[x]
    return x


def _unrelated_groups(items: set, values: dict) -> int:
    """How many groups ``items`` make when items sharing a selector value are one group."""
    parent = {i: i for i in items}

    def find(x: int) -> int:
        return find_root(parent, x)

    first: dict[str, int] = {}
    for i in items:
        for v in values[i]:
            if v in first:
                parent[find(i)] = find(first[v])
            else:
                first[v] = i
    return len({find(i) for i in items})


def shared_passage(a: str, b: str, limit: int = 120) -> str:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    m = matcher.find_longest_match(0, len(a), 0, len(b))
    passage = a[m.a : m.a + m.size].strip()
    return passage if len(passage) <= limit else passage[: limit - 1] + "…"


Unit = tuple[int, int]  # (item id, part index)


def text_links(case: Case, threshold: float = TEXT_THRESHOLD,
               parts: dict[int, posts.ItemPosts] | None = None) -> list[dict]:
    """Items whose normalised text is nearly the same advert, found with MinHash LSH.

    Each post of a split screenshot is compared on its own; a link records which parts
    matched (``details.part_pairs``) so clusters join those posts, not the whole screenshot.
    """
    order = item_order(case)
    norm: dict[Unit, str] = {}
    sets: dict[Unit, set[str]] = {}
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes: dict[Unit, MinHash] = {}
    for unit, text in part_texts(case, parts).items():
        n = normalise_for_similarity(text)
        sh = shingles(n)
        if len(sh) < TEXT_MIN_SHINGLES:
            continue
        mh = MinHash(num_perm=NUM_PERM, seed=7)
        mh.update_batch([s.encode("utf-8") for s in sh])
        norm[unit], sets[unit], hashes[unit] = n, sh, mh
        lsh.insert(f"{unit[0]}:{unit[1]}", mh)

    def jaccard(a: Unit, b: Unit) -> float:
        return len(sets[a] & sets[b]) / len(sets[a] | sets[b])

    def unit_of(key: str) -> Unit:
        i, k = key.split(":")
        return int(i), int(k)

    parent: dict[Unit, Unit] = {}

    def find(x: Unit) -> Unit:
        return find_root(parent, x)

    verified: dict[tuple[Unit, Unit], float] = {}
    for unit, mh in hashes.items():
        for other in map(unit_of, lsh.query(mh)):
            if other <= unit or other[0] == unit[0]:
                continue
            sim = jaccard(unit, other)
            if sim >= threshold:
                verified[(unit, other)] = sim
                parent[find(unit)] = find(other)
    groups: dict[Unit, list[Unit]] = defaultdict(list)
    for unit in {u for pair in verified for u in pair}:
        groups[find(unit)].append(unit)
    best: dict[tuple[int, int], dict] = {}
    for members in groups.values():
        rep = min(members, key=lambda u: (order[u[0]].when, u))
        for other in members:
            if other[0] == rep[0]:
                continue
            a, b = rep, other
            sim = verified.get((min(a, b), max(a, b)))
            if sim is None:
                sim = jaccard(a, b)
                if sim < threshold:
                    # Chained through a third copy: link to the copy it verified with.
                    pair, sim = max(
                        ((p, s) for p, s in verified.items() if other in p),
                        key=lambda ps: ps[1],
                    )
                    a = pair[0] if pair[1] == other else pair[1]
            key = (min(a[0], b[0]), max(a[0], b[0]))
            parts_ab = {str(a[0]): a[1], str(b[0]): b[1]}
            if key in best:
                # Two posts of one screenshot match two posts of another: one link, both pairs.
                if parts_ab not in best[key]["details"]["part_pairs"]:
                    best[key]["details"]["part_pairs"].append(parts_ab)
                if sim <= best[key]["score"]:
                    continue
                pairs = best[key]["details"]["part_pairs"]
            else:
                pairs = [parts_ab]
            passage = shared_passage(norm[a], norm[b])
            best[key] = {
                "kind": "text", "a": a[0], "b": b[0], "score": round(sim, 3),
                "band": "strong" if sim >= 0.8 else "weak",
                "why": f"nearly the same advert text (similarity {sim:.2f} of 5-character "
                       f"shingles, threshold {threshold:.2f}): «{passage}»",
                "details": {"similarity": round(sim, 4), "threshold": threshold,
                            "shared_passage": passage, "representative": rep[0],
                            "part_pairs": pairs},
            }
    return list(best.values())


def update_links(case: Case, kinds: Sequence[str] = ("phone", "handle", "email", "text")) -> dict:
    """Recompute automatic links of ``kinds``; decisions already made survive."""
    found: list[dict] = []
    selector_kinds = [k for k in kinds if k in ("phone", "handle", "email")]
    if selector_kinds:
        found += [f for f in selector_links(case) if f["kind"] in selector_kinds]
    if "text" in kinds:
        found += text_links(case)
    with case.transaction():
        changes = store.replace_auto_links(case, list(kinds), found)
        counts = defaultdict(int)
        for f in found:
            counts[f["kind"]] += 1
        case.audit("links.updated", {"kinds": list(kinds), "found": dict(counts)})
    return {"links": dict(counts), "changed": len(changes.links)}


# -- clusters ----------------------------------------------------------------------------------


def _joins(link: store.Link) -> bool:
    """Whether a link joins its ends into one cluster.

    Strong automatic phone, handle, email and image links join, and so does every link an
    analyst confirmed; rejected and weak ones never do. Two kinds of strong link are shown and
    reviewed like any other but do not join clusters by themselves (an analyst's confirmation
    makes them join), because measured on generated campaigns (bench/cluster_accuracy.py)
    they chained different campaigns together:

    - text links: adverts are copied between operations from the same templates; on a
      400-file collection 10 of 16 strong text links joined two different campaigns (cluster
      precision 0.651, 1.000 without them, recall 0.768 -> 0.764);
    - image links that rest on local features alone (found by visual words, not by a hash):
      the same drawn boat in two different photos matched with 29-53 inliers.

    An image link found through a window hash (part of a photo) and confirmed by features
    joins: on the same collections none crossed campaigns, and cluster recall rose from 0.764
    to 0.851 and from 0.734 to 0.877 at precision 1.000. So does one confirmed as the top or
    bottom strip of the other (``verification["strip"]``, analysis/features.py): its fine
    detail is measured at a fixed alignment, not one fitted to a shared boat, and no pair of
    different photos came near its limit (bench/RESULTS-linking.md).
    """
    if link.status == "rejected":
        return False
    if link.status == "confirmed":
        return True
    if link.status != "auto" or link.band != "strong" or link.kind == "text":
        return False
    return link.kind != "image" or image_pair_joins(link.details)


# Matches that cover less than this share of the areas' overlap, with no fine-detail check
# made (analysis/features.py measures it only below DETAIL_VETO_BELOW inliers), may all lie on
# one object: on a 400-file collection a window-hash candidate between two different photos
# with the same drawn boat was confirmed by 61 inliers covering 0.071 and chained two
# campaigns. Of 1,005 confirmed true pairs on the 600-file bench, one had such bunched matches
# without fine detail; of the 190 joining partial links on three cluster collections, only the
# false one.
JOIN_MIN_COVERAGE = 0.1


def image_pair_joins(details: dict) -> bool:
    """Whether a strong automatic image link with these details joins clusters by itself
    (``_joins``): not when it rests on local features alone, unless it is partial (found
    through a window hash) or confirmed as a strip; and not when its matching features bunch
    on one small part of the photo with no fine detail to vouch for the rest."""
    verification = details.get("verification")
    if not verification or verification.get("strip"):
        return True
    if not details.get("partial"):
        return False
    return not (verification.get("coverage", 1.0) < JOIN_MIN_COVERAGE
                and verification.get("detail") is None)


def held_back(link: store.Link) -> str | None:
    """Why a strong automatic link does not join clusters by itself (one sentence for the
    reviewer), or None when it does or is not a strong automatic link."""
    if link.status != "auto" or link.band != "strong" or _joins(link):
        return None
    if link.kind == "text":
        return ("Similar advert text does not join clusters by itself (adverts are copied "
                "between operations); confirm the link to join them.")
    if link.kind == "image" and link.details.get("partial"):
        return ("Its matching features cover only a small part of the photo, which one object "
                "such as the same boat can give in different photos, so it does not join "
                "clusters by itself; confirm the link to join them.")
    return ("A match on local features alone does not join clusters by itself (different "
            "photos of the same boat can match); confirm the link to join them.")


def _selector_parts(case: Case, parts: dict[int, posts.ItemPosts],
                    kinds: Iterable[str] | None = None) -> dict[tuple[int, str], set[int]]:
    """The parts of each item where each selector value (of ``kinds``, or any) is shown (by
    its OCR word boxes)."""
    wanted = set(kinds) if kinds is not None else None
    where: dict[tuple[int, str], set[int]] = defaultdict(set)
    for item_id, kind, value, sha, boxes in case.db.execute(
        "SELECT item_id, kind, value, media_sha256, boxes FROM selectors WHERE current = 1"
    ):
        ip = parts.get(item_id)
        if ip is None or (wanted is not None and kind not in wanted):
            continue
        try:
            loaded = json.loads(boxes) if boxes else None
        except ValueError:
            loaded = None
        k = ip.part_of_selector(sha, loaded)
        if k is not None:
            where[(item_id, value)].add(k)
    return where


def _assign_ids(found: list[tuple[list[int], int]],
                order: dict[int, ItemOrder]) -> list[int]:
    """Stable, unique cluster ids.

    A cluster's id is its earliest item. When a split screenshot is the earliest item of two
    clusters, the cluster holding its upper post (lower part index) keeps that id and the
    other takes its own earliest item not already used as an id, in cluster order.
    """
    taken: set[int] = set()
    ids = [0] * len(found)
    for n in sorted(range(len(found)), key=lambda n: (order[found[n][0][0]].when,
                                                       found[n][0][0], found[n][1])):
        ordered = found[n][0]
        ids[n] = next((i for i in ordered if i not in taken), ordered[0])
        taken.add(ids[n])
    return ids


def clusters(case: Case) -> list[dict]:
    """Connected components of posts over strong automatic and confirmed links.

    The nodes are the posts of items (a two-post feed screenshot has two, every other item
    one; analysis/posts.py) and the posts of media. A phone, handle or email link joins the
    posts where each item shows the value; an image link joins the posts holding the matched
    regions (a whole-image match of split screenshots joins post k to post k when both have as
    many posts, else their posts with photos in order when those agree, else nothing); a text
    link joins the posts whose text matched. A media joins each item that shows it, post by
    post. An item is in every cluster one of its posts is in, and such items are listed in
    ``shared_items`` (``parts`` says which posts of a split item are in the cluster); a manual
    or confirmed link without a post named joins every post of both items, as the analyst
    linked whole items.
    """
    order = item_order(case)
    media_posts, parts = posts.case_posts(case)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        return find_root(parent, x)

    def union(a: str, b: str) -> None:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    def item_parts(item: int) -> range:
        ip = parts.get(item)
        return range(ip.count if ip else 1)

    def media_count(sha: str) -> int:
        mp = media_posts.get(sha)
        return mp.count if mp else 1

    for sha, item_id in case.db.execute(
        "SELECT media_sha256, item_id FROM sightings WHERE item_id IS NOT NULL"
    ):
        ip = parts.get(item_id)
        if ip is not None and ip.media is not None and ip.media.sha256 == sha:
            for k in range(ip.count):
                union(f"m:{sha}:{k}", f"i:{item_id}:{k}")
        else:
            for k in range(media_count(sha)):
                union(f"m:{sha}:{k}", f"i:{item_id}:0")
    where = _selector_parts(case, parts)
    for link in store.links(case, include_rejected=False):
        if not _joins(link):
            continue
        for a, b in _link_nodes(link, parts, media_posts, where, item_parts):
            union(a, b)
    components: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    media_of: dict[str, set[str]] = defaultdict(set)
    for node in list(parent):
        root = find(node)
        side, ref, k = node.split(":")
        if side == "i":
            components[root][int(ref)].add(int(k))
        else:
            media_of[root].add(ref)
    items = {
        r["id"]: r for r in case.db.query("SELECT id, author FROM items")
    }
    phones: dict[int, set[str]] = defaultdict(set)
    for item_id, value in case.db.execute(
        "SELECT item_id, value FROM selectors WHERE current = 1 AND kind IN ('phone', 'whatsapp')"
    ):
        phones[item_id].add(value)
    authors = {
        r[0]: r[1]
        for r in case.db.execute(
            "SELECT item_id, value FROM item_edits WHERE current = 1 AND field = 'author'"
        )
    }
    kept = [(root, members) for root, members in components.items() if len(members) >= 2]
    in_clusters: dict[int, int] = defaultdict(int)
    for _, members in kept:
        for i in members:
            in_clusters[i] += 1
    found = []
    for root, members in kept:
        ordered = sorted(members, key=lambda i: (order[i].when, i))
        found.append((ordered, min(members[ordered[0]]), root))
    ids = _assign_ids([(o, k) for o, k, _ in found], order)
    out = []
    for cid, (ordered, _, root) in zip(ids, found, strict=True):
        members = components[root]
        pages = sorted({p for i in ordered if (p := authors.get(i) or items[i]["author"])})
        split = {i: sorted(members[i]) for i in ordered if len(item_parts(i)) > 1}
        out.append({
            "id": cid,
            "items": ordered,
            "media": sorted(media_of.get(root, set())),
            "pages": pages,
            "phones": sorted(set().union(*(_part_phones(i, members[i], phones, where)
                                           for i in ordered))),
            "size": len(ordered),
            "shared_items": [i for i in ordered if in_clusters[i] > 1],
            "parts": {str(i): ks for i, ks in split.items()},
        })
    out.sort(key=lambda c: (-c["size"], c["id"]))
    return out


def _part_phones(item: int, ks: set[int], phones: dict[int, set[str]],
                 where: dict[tuple[int, str], set[int]]) -> set[str]:
    """The numbers an item shows in the given posts (all of them when it is one post)."""
    return {v for v in phones.get(item, ()) if not where.get((item, v)) or where[(item, v)] & ks}


def _link_nodes(link: store.Link, parts: dict[int, posts.ItemPosts],
                media_posts: dict[str, posts.MediaPosts],
                where: dict[tuple[int, str], set[int]], item_parts) -> list[tuple[str, str]]:
    """The pairs of post nodes a joining link unites."""
    details = link.details or {}
    if link.kind == "image":
        regions = details.get("regions") or {}
        ka = _region_part(media_posts.get(link.a), regions.get(link.a))
        kb = _region_part(media_posts.get(link.b), regions.get(link.b))
        if ka is not None and kb is not None:
            return [(f"m:{link.a}:{ka}", f"m:{link.b}:{kb}")]
        # A whole-image match of a split image: post k to post k when both have as many
        # posts, else the posts that hold photos, in order, when those agree.
        sides = []
        for sha, k in ((link.a, ka), (link.b, kb)):
            mp = media_posts.get(sha)
            if k is not None:
                sides.append(([k], [k]))
            elif mp is None:
                sides.append(([0], [0]))
            else:
                sides.append((list(range(mp.count)), [p.index for p in mp.parts if p.regions]))
        (all_a, photo_a), (all_b, photo_b) = sides
        pairs = (zip(all_a, all_b, strict=True) if len(all_a) == len(all_b)
                 else zip(photo_a, photo_b, strict=True) if len(photo_a) == len(photo_b)
                 else ())
        return [(f"m:{link.a}:{x}", f"m:{link.b}:{y}") for x, y in pairs]
        return []
    try:
        a, b = int(link.a), int(link.b)
    except ValueError:
        return []
    if link.kind == "text" and details.get("part_pairs"):
        return [(f"i:{a}:{int(p.get(str(a), 0))}", f"i:{b}:{int(p.get(str(b), 0))}")
                for p in details["part_pairs"] if isinstance(p, dict)]
    values = details.get("values") or []
    if link.kind in ("phone", "handle", "email") and values:
        pairs = []
        for v in values:
            pa = where.get((a, v)) or ({0} if len(item_parts(a)) == 1 else set())
            pb = where.get((b, v)) or ({0} if len(item_parts(b)) == 1 else set())
            pairs += [(f"i:{a}:{ka}", f"i:{b}:{kb}") for ka in pa for kb in pb]
        return pairs
    return [(f"i:{a}:{ka}", f"i:{b}:{kb}") for ka in item_parts(a) for kb in item_parts(b)]


def _region_part(mp: posts.MediaPosts | None, region: object) -> int | None:
    """The post holding a matched region; None for a whole-image match of a split image."""
    if mp is None:
        return 0
    if not isinstance(region, dict):
        return 0 if mp.count == 1 else None
    rid = region.get("region")
    if region.get("kind") == "photo" and isinstance(rid, int):
        k = mp.part_of_region(rid)
        if k is not None:
            return k
    box = region.get("box")
    if region.get("kind") != "whole" and isinstance(box, list) and len(box) == 4:
        return mp.part_of_box(box)
    return 0 if mp.count == 1 else None


def links_json(case: Case, kind: str | None = None) -> list[dict]:
    return [link.as_json() for link in store.links(case, kind)]


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
