"""Links between items: shared selectors (phone, handle, email), near-identical advert text,
and the clusters they make.

A value shared by hundreds of items links them through one representative (the earliest
item), not every pair. Text links are found with MinHash LSH over character shingles, never
all pairs, and each is verified on the real shingle sets before it is kept. Clusters are the
connected components over strong automatic links and confirmed links; rejected links never
join anything and weak links are shown but not chained through.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
from datasketch import MinHash, MinHashLSH

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


def item_texts(case: Case) -> dict[int, str]:
    """Each item's advert text: post text, text found in the image, and its media's OCR."""
    texts: dict[int, list[str]] = defaultdict(list)
    for item_id, text, in_image in case.db.execute(
        "SELECT id, text, text_in_image FROM items WHERE json_extract(coalesce(extra, '{}'),"
        " '$.service') IS NOT 1"
    ):
        texts[item_id].extend(t for t in (text, in_image) if t)
    for item_id, text in case.db.execute(
        "SELECT DISTINCT s.item_id, o.text FROM sightings s JOIN ocr o"
        " ON o.media_sha256 = s.media_sha256 AND o.current = 1 WHERE s.item_id IS NOT NULL"
    ):
        if text:
            texts[item_id].append(text)
    return {i: "\n".join(parts) for i, parts in texts.items()}


def shared_passage(a: str, b: str, limit: int = 120) -> str:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    m = matcher.find_longest_match(0, len(a), 0, len(b))
    passage = a[m.a : m.a + m.size].strip()
    return passage if len(passage) <= limit else passage[: limit - 1] + "…"


def text_links(case: Case, threshold: float = TEXT_THRESHOLD) -> list[dict]:
    """Items whose normalised text is nearly the same advert, found with MinHash LSH."""
    order = item_order(case)
    norm: dict[int, str] = {}
    sets: dict[int, set[str]] = {}
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes: dict[int, MinHash] = {}
    for item_id, text in item_texts(case).items():
        n = normalise_for_similarity(text)
        sh = shingles(n)
        if len(sh) < TEXT_MIN_SHINGLES:
            continue
        mh = MinHash(num_perm=NUM_PERM, seed=7)
        mh.update_batch([s.encode("utf-8") for s in sh])
        norm[item_id], sets[item_id], hashes[item_id] = n, sh, mh
        lsh.insert(str(item_id), mh)

    def jaccard(a: int, b: int) -> float:
        return len(sets[a] & sets[b]) / len(sets[a] | sets[b])

    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    verified: dict[tuple[int, int], float] = {}
    for item_id, mh in hashes.items():
        for other in map(int, lsh.query(mh)):
            if other <= item_id:
                continue
            sim = jaccard(item_id, other)
            if sim >= threshold:
                verified[(item_id, other)] = sim
                parent[find(item_id)] = find(other)
    groups: dict[int, list[int]] = defaultdict(list)
    for item_id in {i for pair in verified for i in pair}:
        groups[find(item_id)].append(item_id)
    found = []
    for members in groups.values():
        rep = min(members, key=lambda i: (order[i].when, i))
        for other in members:
            if other == rep:
                continue
            a, b = rep, other
            sim = verified.get((min(a, b), max(a, b)))
            if sim is None:
                sim = jaccard(a, b)
                if sim < threshold:
                    # Chained through a third copy: link to the copy it verified with.
                    best = max(
                        ((p, s) for p, s in verified.items() if other in p),
                        key=lambda ps: ps[1],
                    )
                    a = best[0][0] if best[0][1] == other else best[0][1]
                    sim = best[1]
            passage = shared_passage(norm[a], norm[b])
            found.append({
                "kind": "text", "a": a, "b": b, "score": round(sim, 3),
                "band": "strong" if sim >= 0.8 else "weak",
                "why": f"nearly the same advert text (similarity {sim:.2f} of 5-character "
                       f"shingles, threshold {threshold:.2f}): «{passage}»",
                "details": {"similarity": round(sim, 4), "threshold": threshold,
                            "shared_passage": passage, "representative": rep},
            })
    return found


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

    An image link that rests on part of a photo (a window hash) or on local features alone is
    shown and reviewed like any strong link but does not join clusters by itself: measured on
    the generator's labelled reposts, such links chained unrelated campaigns together (cluster
    pairwise precision fell from 0.56 to 0.07; bench/RESULTS-linking.md). An analyst's
    confirmation makes it join.
    """
    if link.status == "rejected":
        return False
    if link.status == "confirmed":
        return True
    if link.status != "auto" or link.band != "strong":
        return False
    return not (link.kind == "image"
                and (link.details.get("partial") or link.details.get("verification")))


def clusters(case: Case) -> list[dict]:
    """Connected components of items over strong automatic and confirmed links.

    Image links join media, so every item that shows either photo is joined; items that
    show the very same file are joined through it.
    """
    order = item_order(case)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    media_items: dict[str, set[int]] = defaultdict(set)
    for sha, item_id in case.db.execute(
        "SELECT media_sha256, item_id FROM sightings WHERE item_id IS NOT NULL"
    ):
        media_items[sha].add(item_id)
        union(f"m:{sha}", f"i:{item_id}")
    for link in store.links(case, include_rejected=False):
        if not _joins(link):
            continue
        if link.kind == "image":
            union(f"m:{link.a}", f"m:{link.b}")
        else:
            union(f"i:{link.a}", f"i:{link.b}")
    components: dict[str, set[int]] = defaultdict(set)
    media_of: dict[str, set[str]] = defaultdict(set)
    for node in list(parent):
        root = find(node)
        if node.startswith("i:"):
            components[root].add(int(node[2:]))
        else:
            media_of[root].add(node[2:])
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
    out = []
    for root, members in components.items():
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda i: (order[i].when, i))
        pages = sorted({p for i in ordered if (p := authors.get(i) or items[i]["author"])})
        out.append({
            "id": ordered[0],
            "items": ordered,
            "media": sorted(media_of.get(root, set())),
            "pages": pages,
            "phones": sorted(set().union(*(phones[i] for i in ordered))),
            "size": len(ordered),
        })
    out.sort(key=lambda c: (-c["size"], c["id"]))
    return out


def links_json(case: Case, kind: str | None = None) -> list[dict]:
    return [link.as_json() for link in store.links(case, kind)]


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
