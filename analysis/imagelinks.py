"""Image links: the same photo in two media, found by PDQ through the near-duplicate index and
confirmed by pHash, whole images and photos inside screenshots alike.

A screenshot's whole-image hash mostly describes the app around the photo (two screenshots of
different posts in the same app look alike), so an image in which photo regions were found
links only through those regions; an image without any links through its whole. Low-quality
(flat) regions never link on hash alone. A photo reposted many times links its copies to one
representative, not every pair.

Region records carry, when hashed with ``hash_image(..., windows=True)``, window hashes of
parts of each area; a region that matches a window of another is a partial match (a crop, or
a photo half scrolled off a screen) with its own, stricter thresholds. ``pairs_from_regions``
works on any list of region records, so the benchmark runs it without a case.

Given a verifier (analysis/features.py: ORB keypoints and a RANSAC transform), candidates
outside the strong hash band, whole-area or partial, are checked by local features: confirmed
ones are strong, borderline ones weak, the rest dropped. Strong whole-area hash matches need
no second check. Verification runs in the calling process, nearest candidates first, at most
``MAX_VERIFY`` of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from evidence import store
from evidence.case import Case

from . import features
from .hashing import ImageHashes, hamming_hex, hex_to_bytes
from .linking import item_order
from .ndindex import HammingIndex

# Calibrated by bench/link_accuracy.py on the synthetic generator's labelled collection, on
# pairs outside its held-out layout (figures and the command in bench/RESULTS-linking.md): the
# highest recall at strong precision >= 0.995 and strong + weak precision >= 0.95. A pair is a
# candidate within PDQ_CANDIDATE and is kept only when pHash agrees within PHASH_WEAK; strong
# pairs join clusters, weak ones are shown for review.
PDQ_CANDIDATE = 104
PDQ_STRONG = 72
PHASH_STRONG = 10
PHASH_WEAK = 10
# A region matching only a part (window) of another is strong within these and never weak:
# parts of different photos (sky, sea, hull) are alike more often than whole photos are.
PDQ_PARTIAL = 72
PHASH_PARTIAL = 6
# With local-feature verification, candidates within these are checked by ORB + RANSAC: any
# whole-area pair within PDQ_VERIFY and PHASH_VERIFY, any partial one within the partial pair.
# Chosen on the labelled collection's non-held-out pairs for the most same-photo pairs per
# verification (bench/RESULTS-linking.md): past these, candidates grow far faster than finds.
PDQ_VERIFY = 104
PHASH_VERIFY = 16
PDQ_PARTIAL_VERIFY = 104
PHASH_PARTIAL_VERIFY = 12
# Verification costs milliseconds per pair; past this many the rest stay hash-only.
MAX_VERIFY = 20000
# Region pairs tried per media pair before it is given up.
_TRIES_PER_PAIR = 3

Verifier = Callable[["RegionRecord", "RegionRecord"], "features.Verification | None"]


@dataclass
class RegionRecord:
    """One hashed area of one media, as the pair finder sees it.

    ``media`` names the media (its SHA-256 in a case, any key elsewhere); ``variants`` are the
    PDQ hashes of the seven other dihedral transforms; ``low_quality`` areas never link.
    """

    id: int
    media: str
    kind: str  # "whole" or "photo"
    box: tuple[int, int, int, int]
    pdq: str
    phash: str
    phash_mirror: str
    variants: list[str] = field(default_factory=list)
    low_quality: bool = False
    windows: list[tuple[str, str]] = field(default_factory=list)  # (pdq, phash) of parts


@dataclass
class Candidate:
    """Two regions of different media within the PDQ candidate radius, with both distances."""

    i: int  # positions in the region list given
    j: int
    pdq: int
    phash: int
    transformed: bool  # matched through a mirrored or rotated variant
    partial: bool = False  # one region matched a window (a part) of the other


@dataclass
class Thresholds:
    """The bands: a candidate within ``pdq_candidate`` is kept when pHash <= ``phash_weak``
    and is strong when PDQ <= ``pdq_strong`` and pHash <= ``phash_strong``; a partial one
    (through a window hash) is strong within the partial thresholds or dropped."""

    pdq_candidate: int = PDQ_CANDIDATE
    pdq_strong: int = PDQ_STRONG
    phash_strong: int = PHASH_STRONG
    phash_weak: int = PHASH_WEAK
    pdq_partial: int = PDQ_PARTIAL
    phash_partial: int = PHASH_PARTIAL
    pdq_verify: int = PDQ_VERIFY
    phash_verify: int = PHASH_VERIFY
    pdq_partial_verify: int = PDQ_PARTIAL_VERIFY
    phash_partial_verify: int = PHASH_PARTIAL_VERIFY

    def to_verify(self, pdq: int, phash: int, partial: bool = False) -> bool:
        """Whether a candidate outside the strong hash band is worth a local-feature check."""
        if partial:
            return pdq <= self.pdq_partial_verify and phash <= self.phash_partial_verify
        return pdq <= self.pdq_verify and phash <= self.phash_verify

    def band(self, pdq: int, phash: int, partial: bool = False) -> str | None:
        if partial:
            return "strong" if pdq <= self.pdq_partial and phash <= self.phash_partial else None
        if pdq > self.pdq_candidate or phash > self.phash_weak:
            return None
        return "strong" if pdq <= self.pdq_strong and phash <= self.phash_strong else "weak"


def records_from_hashes(media: str, hashes: ImageHashes, first_id: int = 0) -> list[RegionRecord]:
    """Region records of one image hashed in memory (``hash_image``), ids from ``first_id``."""
    return [
        RegionRecord(first_id + k, media, r.kind, r.box, r.pdq, r.phash, r.phash_mirror,
                     list(r.pdq_dihedral[1:]), r.low_quality, list(r.windows))
        for k, r in enumerate(hashes.regions)
    ]


def linkable(records: list[RegionRecord]) -> list[RegionRecord]:
    """The regions that may link: no flat ones, and no whole screenshot that has photos."""
    with_photos = {r.media for r in records if r.kind == "photo"}
    return [r for r in records if not r.low_quality
            and not (r.kind == "whole" and r.media in with_photos)]


def _regions(case: Case) -> list[RegionRecord]:
    rows = case.db.execute(
        """SELECT r.id, r.media_sha256, r.kind, r.x0, r.y0, r.x1, r.y1, r.score, h.algo,
                  h.value, h.variant
           FROM regions r JOIN hashes h ON h.region_id = r.id
           WHERE r.current = 1 ORDER BY r.id"""
    ).fetchall()
    by_id: dict[int, RegionRecord] = {}
    for rid, sha, kind, x0, y0, x1, y1, score, algo, value, variant in rows:
        r = by_id.get(rid)
        if r is None:
            # The pipeline stores a low-quality region with no score.
            r = by_id[rid] = RegionRecord(rid, sha, kind, (x0, y0, x1, y1), "", "", "", [],
                                          score is None)
        if algo == "pdq" and variant == "original":
            r.pdq = value
        elif algo == "pdq" and variant.startswith("dihedral"):
            r.variants.append(value)
        elif algo == "phash" and variant == "original":
            r.phash = value
        elif algo == "phash" and variant == "mirror":
            r.phash_mirror = value
        elif variant == "windows":
            # One row per region: "pdq:phash" of every window, space-separated.
            r.windows += [tuple(w.split(":", 1)) for w in value.split() if ":" in w]
    out = []
    for r in linkable(list(by_id.values())):
        if not r.pdq or not r.phash:
            continue
        r.phash_mirror = r.phash_mirror or r.phash
        out.append(r)
    return out


def _describe(a: RegionRecord, b: RegionRecord) -> str:
    def what(r: RegionRecord, this: str) -> str:
        return f"the photo inside {this} screenshot" if r.kind == "photo" else f"{this} image"

    return f"{what(a, 'this')} matches {what(b, 'that')}"


def candidate_pairs(regions: list[RegionRecord],
                    pdq_candidate: int = PDQ_CANDIDATE) -> list[Candidate]:
    """Every two regions of different media within ``pdq_candidate`` PDQ bits, as they are or
    through a dihedral variant (the nearer counts), with their pHash distance."""
    if len(regions) < 2:
        return []
    ids = np.arange(len(regions), dtype=np.int64)
    index = HammingIndex(256)
    index.add(ids, hex_to_bytes([r.pdq for r in regions], 256))
    found: dict[tuple[int, int], tuple[int, bool]] = {}
    i_ids, j_ids, dists = index.pairs_within(pdq_candidate)
    for i, j, d in zip(i_ids.tolist(), j_ids.tolist(), dists.tolist(), strict=True):
        found[(min(i, j), max(i, j))] = (d, False)
    # Mirrored and rotated copies: their dihedral variants against the originals.
    var_rows, var_hex = [], []
    for k, r in enumerate(regions):
        for h in r.variants:
            var_rows.append(k)
            var_hex.append(h)
    if var_hex:
        q_rows, hits, dists = index.query(hex_to_bytes(var_hex, 256), pdq_candidate)
        for q, j, d in zip(q_rows.tolist(), hits.tolist(), dists.tolist(), strict=True):
            i = var_rows[q]
            if i == j:
                continue
            key = (min(i, j), max(i, j))
            if key not in found or found[key][0] > d:
                found[key] = (d, True)
    out = []
    for (i, j), (pdq_d, transformed) in found.items():
        a, b = regions[i], regions[j]
        if a.media == b.media:
            continue
        ph = hamming_hex(a.phash, b.phash)
        if transformed:
            ph = min(ph, hamming_hex(a.phash_mirror, b.phash), hamming_hex(a.phash, b.phash_mirror))
        out.append(Candidate(i, j, pdq_d, ph, transformed))
    out += _window_candidates(regions, pdq_candidate)
    return out


def _window_candidates(regions: list[RegionRecord], pdq_candidate: int) -> list[Candidate]:
    """Regions that match a part of another region: a crop, or a photo half off the screen."""
    win_rows, win_pdq, win_ph = [], [], []
    for k, r in enumerate(regions):
        for pdq, ph in r.windows:
            win_rows.append(k)
            win_pdq.append(pdq)
            win_ph.append(ph)
    if not win_rows:
        return []
    index = HammingIndex(256)
    index.add(np.arange(len(win_rows), dtype=np.int64), hex_to_bytes(win_pdq, 256))
    q_rows, hits, dists = index.query(hex_to_bytes([r.pdq for r in regions], 256), pdq_candidate)
    best: dict[tuple[int, int], tuple[int, int]] = {}
    for i, w, d in zip(q_rows.tolist(), hits.tolist(), dists.tolist(), strict=True):
        j = win_rows[w]
        if regions[i].media == regions[j].media:
            continue
        ph = hamming_hex(regions[i].phash, win_ph[w])
        key = (min(i, j), max(i, j))
        if key not in best or (d / 256 + ph / 64) < (best[key][0] / 256 + best[key][1] / 64):
            best[key] = (d, ph)
    return [Candidate(i, j, d, ph, False, True) for (i, j), (d, ph) in best.items()]


def _why(first: RegionRecord, second: RegionRecord, c: Candidate, t: Thresholds, band: str,
         v: features.Verification | None) -> str:
    strong = band == "strong"
    text = (f"{_describe(first, second)}: PDQ distance {c.pdq} of 256 (strong at "
            f"{t.pdq_partial if c.partial else t.pdq_strong} or less), pHash distance "
            f"{c.phash} of 64 (threshold "
            f"{t.phash_partial if c.partial else t.phash_strong if strong else t.phash_weak})"
            + (", as a mirrored or rotated copy" if c.transformed else "")
            + (", one showing only part of the other" if c.partial else ""))
    if v is not None:
        text += (f"; {'confirmed' if strong else 'partly supported'} by {v.inliers} matching "
                 f"features (RANSAC inliers, minimum {features.MIN_INLIERS}"
                 + ("" if strong else f", review from {features.WEAK_INLIERS}")
                 + f"; scale {v.scale:g}" + (", mirrored" if v.mirrored else "") + ")")
    return text


def pairs_from_regions(regions: list[RegionRecord], thresholds: Thresholds | None = None,
                       verify: Verifier | None = None,
                       max_verify: int = MAX_VERIFY) -> dict[tuple[str, str], dict]:
    """The best matching region pair for every two media that show the same photo.

    ``regions`` should already be ``linkable``; keys are (media, media) in sorted order.
    Without ``verify`` the hash bands alone decide. With it, only strong whole-area hash
    matches are taken on hashes; other candidates within the verification radii are linked
    strong when ``verify`` confirms them, weak when it is borderline, and dropped otherwise.
    ``verify`` may return None (the areas could not be compared): the candidate is dropped.
    """
    t = thresholds or Thresholds()
    radius = max(t.pdq_candidate, t.pdq_partial)
    if verify is not None:
        radius = max(radius, t.pdq_verify, t.pdq_partial_verify)
    best: dict[tuple[str, str], dict] = {}

    def keep(c: Candidate, band: str, v: features.Verification | None) -> None:
        a, b = regions[c.i], regions[c.j]
        key = tuple(sorted((a.media, b.media)))
        score = round(1.0 - (c.pdq / 256 + c.phash / 64) / 2, 4)
        # A strong region pair outranks a weak one whatever their scores.
        rank = (band == "strong", score)
        if key in best and (best[key]["band"] == "strong", best[key]["score"]) >= rank:
            return
        first, second = (a, b) if a.media == key[0] else (b, a)
        best[key] = {
            "score": score, "band": band, "pdq": c.pdq, "phash": c.phash,
            "transformed": c.transformed, "partial": c.partial,
            "regions": {first.media: {"region": first.id, "kind": first.kind, "box": first.box},
                        second.media: {"region": second.id, "kind": second.kind,
                                       "box": second.box}},
            "why": _why(first, second, c, t, band, v),
        }
        if v is not None:
            best[key]["verification"] = {"matches": v.matches, "inliers": v.inliers,
                                         "scale": v.scale, "rotation": v.rotation,
                                         "mirrored": v.mirrored,
                                         "min_inliers": features.MIN_INLIERS}

    queue: list[Candidate] = []
    for c in candidate_pairs(regions, radius):
        band = t.band(c.pdq, c.phash, c.partial)
        if verify is None:
            if band is not None:
                keep(c, band, None)
        elif band == "strong" and not c.partial:
            keep(c, band, None)
        elif t.to_verify(c.pdq, c.phash, c.partial):
            queue.append(c)
    if verify is None:
        return best
    # Nearest first, so the cap drops the least likely candidates.
    queue.sort(key=lambda c: (c.pdq / 256 + c.phash / 64, c.i, c.j))
    tries: dict[tuple[str, str], int] = defaultdict(int)
    done = 0
    for c in queue:
        if done >= max_verify:
            break
        key = tuple(sorted((regions[c.i].media, regions[c.j].media)))
        if (key in best and best[key]["band"] == "strong") or tries[key] >= _TRIES_PER_PAIR:
            continue
        tries[key] += 1
        done += 1
        v = verify(regions[c.i], regions[c.j])
        if v is not None and v.confirmed:
            keep(c, "strong", v)
        elif v is not None and v.borderline:
            keep(c, "weak", v)
    return best


def case_verifier(case: Case, cache: features.FeatureCache | None = None) -> Verifier:
    """A verifier that reads both areas from the case vault (features kept in ``cache``)."""
    cache = cache or features.FeatureCache()

    def verify(a: RegionRecord, b: RegionRecord) -> features.Verification | None:
        try:
            return features.verify_features(cache, case.vault.path_for(a.media), a.box,
                                            case.vault.path_for(b.media), b.box)
        except features.FeatureError:
            return None

    return verify


def find_image_pairs(case: Case, verify: bool = True) -> dict[tuple[str, str], dict]:
    """The best matching region pair for every two media of the case that show the same photo,
    candidates outside the strong hash band checked by local features unless ``verify`` is
    False."""
    return pairs_from_regions(_regions(case), verify=case_verifier(case) if verify else None)


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
            "details": {k: p[k] for k in ("pdq", "phash", "transformed", "partial", "regions")}
            | {"pdq_strong": PDQ_STRONG, "phash_strong": PHASH_STRONG}
            | ({"verification": p["verification"]} if "verification" in p else {}),
        })
    return found


def update_image_links(case: Case) -> dict:
    found = image_links(case)
    with case.transaction():
        store.replace_auto_links(case, ["image"], found)
        case.audit("links.updated", {"kinds": ["image"], "found": {"image": len(found)}})
    return {"image": len(found)}
