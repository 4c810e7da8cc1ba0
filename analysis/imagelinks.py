"""Image links: the same photo in two media, found by PDQ through the near-duplicate index and
confirmed by pHash, whole images and photos inside screenshots alike.

A screenshot's whole-image hash mostly describes the app around the photo (two screenshots of
different posts in the same app look alike), so an image in which photo regions were found
links only through those regions; an image without any links through its whole. Low-quality
(flat) regions never link on hash alone. A photo reposted many times links its copies to one
representative, not every pair.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from evidence import store
from evidence.case import Case

from .hashing import hamming_hex, hex_to_bytes
from .linking import item_order
from .ndindex import HammingIndex

# Calibrated on the synthetic generator's labelled reposts (not its held-out layout); see
# bench/RESULTS.md. A pair is a candidate within PDQ_CANDIDATE and is kept only when pHash
# agrees; strong pairs join clusters, weak ones are shown for review.
PDQ_CANDIDATE = 90
PDQ_STRONG = 56
PHASH_STRONG = 14
PHASH_WEAK = 20


@dataclass
class _Region:
    id: int
    sha: str
    kind: str
    box: tuple[int, int, int, int]
    pdq: str
    phash: str
    phash_mirror: str
    variants: list[str]


def _regions(case: Case) -> list[_Region]:
    rows = case.db.execute(
        """SELECT r.id, r.media_sha256, r.kind, r.x0, r.y0, r.x1, r.y1, r.score, h.algo,
                  h.value, h.variant
           FROM regions r JOIN hashes h ON h.region_id = r.id
           WHERE r.current = 1 ORDER BY r.id"""
    ).fetchall()
    by_id: dict[int, dict] = {}
    for rid, sha, kind, x0, y0, x1, y1, score, algo, value, variant in rows:
        d = by_id.setdefault(rid, {"sha": sha, "kind": kind, "box": (x0, y0, x1, y1),
                                   "ok": score is not None, "variants": []})
        if algo == "pdq" and variant == "original":
            d["pdq"] = value
        elif algo == "pdq":
            d["variants"].append(value)
        elif algo == "phash" and variant == "original":
            d["phash"] = value
        elif algo == "phash" and variant == "mirror":
            d["phash_mirror"] = value
    with_photos = {d["sha"] for d in by_id.values() if d["kind"] == "photo"}
    out = []
    for rid, d in by_id.items():
        if not d["ok"] or "pdq" not in d or "phash" not in d:
            continue
        if d["kind"] == "whole" and d["sha"] in with_photos:
            continue
        out.append(_Region(rid, d["sha"], d["kind"], d["box"], d["pdq"], d["phash"],
                           d.get("phash_mirror", d["phash"]), d["variants"]))
    return out


def _describe(a: _Region, b: _Region) -> str:
    def what(r: _Region, this: str) -> str:
        return f"the photo inside {this} screenshot" if r.kind == "photo" else f"{this} image"

    return f"{what(a, 'this')} matches {what(b, 'that')}"


def find_image_pairs(case: Case) -> dict[tuple[str, str], dict]:
    """The best matching region pair for every two media that show the same photo."""
    regions = _regions(case)
    if len(regions) < 2:
        return {}
    ids = np.arange(len(regions), dtype=np.int64)
    index = HammingIndex(256)
    index.add(ids, hex_to_bytes([r.pdq for r in regions], 256))
    candidates: dict[tuple[int, int], tuple[int, bool]] = {}
    i_ids, j_ids, dists = index.pairs_within(PDQ_CANDIDATE)
    for i, j, d in zip(i_ids.tolist(), j_ids.tolist(), dists.tolist(), strict=True):
        candidates[(min(i, j), max(i, j))] = (d, False)
    # Mirrored and rotated copies: their dihedral variants against the originals.
    var_rows, var_hex = [], []
    for k, r in enumerate(regions):
        for h in r.variants:
            var_rows.append(k)
            var_hex.append(h)
    if var_hex:
        q_rows, hits, dists = index.query(hex_to_bytes(var_hex, 256), PDQ_CANDIDATE)
        for q, j, d in zip(q_rows.tolist(), hits.tolist(), dists.tolist(), strict=True):
            i = var_rows[q]
            if i == j:
                continue
            key = (min(i, j), max(i, j))
            if key not in candidates or candidates[key][0] > d:
                candidates[key] = (d, True)
    best: dict[tuple[str, str], dict] = {}
    for (i, j), (pdq_d, transformed) in candidates.items():
        a, b = regions[i], regions[j]
        if a.sha == b.sha:
            continue
        ph = hamming_hex(a.phash, b.phash)
        if transformed:
            ph = min(ph, hamming_hex(a.phash_mirror, b.phash), hamming_hex(a.phash, b.phash_mirror))
        if ph > PHASH_WEAK:
            continue
        strong = pdq_d <= PDQ_STRONG and ph <= PHASH_STRONG
        key = tuple(sorted((a.sha, b.sha)))
        score = round(1.0 - (pdq_d / 256 + ph / 64) / 2, 4)
        if key in best and best[key]["score"] >= score:
            continue
        first, second = (a, b) if a.sha == key[0] else (b, a)
        best[key] = {
            "score": score, "band": "strong" if strong else "weak", "pdq": pdq_d, "phash": ph,
            "transformed": transformed,
            "regions": {first.sha: {"region": first.id, "kind": first.kind, "box": first.box},
                        second.sha: {"region": second.id, "kind": second.kind,
                                     "box": second.box}},
            "why": (f"{_describe(first, second)}: PDQ distance {pdq_d} of 256 (strong at "
                    f"{PDQ_STRONG} or less), pHash distance {ph} of 64 (threshold "
                    f"{PHASH_STRONG if strong else PHASH_WEAK})"
                    + (", as a mirrored or rotated copy" if transformed else "")),
        }
    return best


def _media_order(case: Case) -> dict[str, tuple[str, int]]:
    order = item_order(case)
    out: dict[str, tuple[str, int]] = {}
    for sha, item_id in case.db.execute(
        "SELECT media_sha256, item_id FROM sightings WHERE item_id IS NOT NULL"
    ):
        o = order.get(item_id)
        if o and (sha not in out or (o.when, o.id) < out[sha]):
            out[sha] = (o.when, o.id)
    return out


def image_links(case: Case) -> list[dict]:
    pairs = find_image_pairs(case)
    order = _media_order(case)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    neighbours: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (a, b), p in pairs.items():
        if p["band"] == "strong":
            parent[find(a)] = find(b)
            neighbours[a].append((p["score"], b))
            neighbours[b].append((p["score"], a))
    groups: dict[str, list[str]] = defaultdict(list)
    for sha in {s for pair in pairs for s in pair if pairs[pair]["band"] == "strong"}:
        groups[find(sha)].append(sha)
    found = []
    kept: set[tuple[str, str]] = set()
    for members in groups.values():
        rep = min(members, key=lambda s: (order.get(s, ("9999", 0)), s))
        for sha in members:
            if sha == rep:
                continue
            key = tuple(sorted((sha, rep)))
            if key not in pairs or pairs[key]["band"] != "strong":
                key = tuple(sorted((sha, max(neighbours[sha])[1])))
            kept.add(key)
    kept |= {k for k, p in pairs.items() if p["band"] == "weak"}
    for key in sorted(kept):
        p = pairs[key]
        found.append({
            "kind": "image", "a": key[0], "b": key[1], "score": p["score"], "band": p["band"],
            "why": p["why"],
            "details": {k: p[k] for k in ("pdq", "phash", "transformed", "regions")}
            | {"pdq_strong": PDQ_STRONG, "phash_strong": PHASH_STRONG},
        })
    return found


def update_image_links(case: Case) -> dict:
    found = image_links(case)
    with case.transaction():
        store.replace_auto_links(case, ["image"], found)
        case.audit("links.updated", {"kinds": ["image"], "found": {"image": len(found)}})
    return {"image": len(found)}
