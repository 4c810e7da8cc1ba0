"""Image links: the same photo in two media, found by PDQ through the near-duplicate index and
confirmed by pHash, whole images and photos inside screenshots alike.

A screenshot's whole-image hash mostly describes the app around the photo (two screenshots of
different posts in the same app look alike), so an image in which photo regions were found
links only through those regions; an image without any links through its whole. Low-quality
(flat) regions never link on hash alone. A photo reposted many times links its copies to one
representative where they match it directly, not every pair, through a spanning forest over
the matched areas that keeps every area connected (``kept_strong_pairs``).

Region records carry, when hashed with ``hash_image(..., windows=True)``, window hashes of
parts of each area; a region that matches a window of another is a partial match (a crop, or
a photo half scrolled off a screen) with its own, stricter thresholds. ``pairs_from_regions``
works on any list of region records, so the benchmark runs it without a case.

Given a verifier (analysis/features.py: ORB keypoints and a RANSAC transform), candidates
outside the strong hash band, whole-area or partial, are checked by local features: confirmed
ones are strong, borderline ones weak, the rest dropped. Strong whole-area hash matches need
no second check. A second source of candidates does not go through hashes at all: areas that
share many visual words (analysis/retrieval.py), which finds copies showing different parts
of a photo. A third needs neither corners nor hashes: an area whose strip code is near that of
the top or bottom of another (a strip of sky and sea left on screen when the rest of the photo
was scrolled off). Verification runs in rounds (each media pair's best untried candidate per
round from each source: nearest hash candidates first, then the most similar by words, then
the nearest strips), in a process pool when the verifier has one, at most ``MAX_VERIFY``
region pairs in all.

Linking a case is incremental (``LinkCache``, kept in the case's cache/ folder): each area's
visual words and features, and each verified region pair, are kept between runs, keyed by the
media's SHA-256, the area's box and the verifier's version. A run with nothing new reuses the
previous run's pairs outright; a run with new media describes only the new areas and verifies
only pairs that involve a new or re-hashed area, reading every other verification back. The
candidate search is kept too (``search_candidates``): such a run searches only the hash
candidates and visual-word pairs that involve a new or re-hashed area and reads the rest back;
its hash candidates are exactly a full search's, its similar pairs differ only where adding
areas moved the visual-word weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from evidence import store
from evidence.atomic import write_atomic
from evidence.case import Case
from evidence.progress import CancelToken, ProgressCallback, check, report

from . import features, retrieval
from .hashing import ImageHashes, hex_to_bytes, popcount, to_words
from .linking import find_root, image_pair_joins, item_order
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
# Verification costs milliseconds per pair; past this many the rest stay unverified.
MAX_VERIFY = 40000
# The case's kept features (about 60 KB an area) are held under this size, least recently used
# dropped first: 100,000 areas would otherwise take about 6 GB. Dropped areas are described
# again when a verification needs them; their words and verifications stay.
FEATURES_MAX_BYTES = 2 * 1024 ** 3
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
    similarity: float | None = None  # found by shared visual words, not by hashes
    strip: int | None = None  # found by strip codes (their Hamming distance), not by hashes


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
    dihedral: dict[int, dict[int, str]] = defaultdict(dict)
    for rid, sha, kind, x0, y0, x1, y1, score, algo, value, variant in rows:
        r = by_id.get(rid)
        if r is None:
            # The pipeline stores a low-quality region with no score.
            r = by_id[rid] = RegionRecord(rid, sha, kind, (x0, y0, x1, y1), "", "", "", [],
                                          score is None)
        if algo == "pdq" and variant == "original":
            r.pdq = value
        elif algo == "pdq" and variant.startswith("dihedral"):
            # Kept in dihedral order (1..7), which the window search relies on for flips.
            dihedral[rid][int(variant[len("dihedral"):] or 0)] = value
        elif algo == "phash" and variant == "original":
            r.phash = value
        elif algo == "phash" and variant == "mirror":
            r.phash_mirror = value
        elif variant == "windows":
            # One row per region: "pdq:phash" of every window, space-separated.
            r.windows += [tuple(w.split(":", 1)) for w in value.split() if ":" in w]
    for rid, found in dihedral.items():
        by_id[rid].variants = [found[k] for k in sorted(found)]
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


def candidate_pairs(regions: list[RegionRecord], pdq_candidate: int = PDQ_CANDIDATE,
                    new: np.ndarray | None = None) -> list[Candidate]:
    """Every two regions of different media within ``pdq_candidate`` PDQ bits, as they are or
    through a dihedral variant (the nearer counts), with their pHash distance; then every
    region pair where one matches a window (a part) of the other.

    With ``new`` (one bool per region), only the pairs that involve at least one new region:
    exactly the candidates of the full search that touch them, so candidates kept from an
    earlier run for pairs of two old regions plus these are the full search's. Whole-area
    candidates come first, then partial ones, each sorted by (i, j), so the order is the same
    however the list was put together (``canonical_order``).
    """
    if len(regions) < 2:
        return []
    if new is not None:
        new = np.asarray(new, dtype=bool)
        if new.shape != (len(regions),):
            raise ValueError("One new-or-old flag is needed per region.")
        if not new.any():
            return []
        if new.all():
            new = None
    return canonical_order(_whole_candidates(regions, pdq_candidate, new)
                           + _window_candidates(regions, pdq_candidate, new))


def canonical_order(candidates: list[Candidate]) -> list[Candidate]:
    """Whole-area candidates before partial ones, each by (i, j): the order the pair finder
    takes them in, which decides between equally good region pairs."""
    return sorted(candidates, key=lambda c: (c.partial, c.i, c.j))


def _media_numbers(regions: list[RegionRecord]) -> np.ndarray:
    numbers: dict[str, int] = {}
    return np.asarray([numbers.setdefault(r.media, len(numbers)) for r in regions],
                      dtype=np.int64)


def _hits(index_ids: np.ndarray, index_hex: list[str], query_hex: list[str], radius: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query row, index id, distance) of every query within ``radius`` of an indexed hash."""
    if not index_hex or not query_hex:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    index = HammingIndex(256)
    index.add(np.asarray(index_ids, dtype=np.int64), hex_to_bytes(index_hex, 256))
    rows, ids, dists = index.query(hex_to_bytes(query_hex, 256), radius)
    return rows, ids, dists.astype(np.int64)


def _whole_candidates(regions: list[RegionRecord], radius: int,
                      new: np.ndarray | None) -> list[Candidate]:
    """Whole-area candidates (all, or those touching a ``new`` region)."""
    n = len(regions)
    pdq = [r.pdq for r in regions]
    var_owner = np.asarray([k for k, r in enumerate(regions) for _ in r.variants],
                           dtype=np.int64)
    var_hex = [h for r in regions for h in r.variants]
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []  # (i, j, d, variant)
    if new is None:
        index = HammingIndex(256)
        index.add(np.arange(n, dtype=np.int64), hex_to_bytes(pdq, 256))
        i, j, d = index.pairs_within(radius)
        parts.append((i, j, d.astype(np.int64), False))
        if var_hex:
            q, j, d = index.query(hex_to_bytes(var_hex, 256), radius)
            parts.append((var_owner[q], j, d.astype(np.int64), True))
    else:
        # Every original against the new originals; every variant against the new originals;
        # the old originals against the new regions' variants: each hit of the full search
        # that touches a new region, some twice (harmless: the nearest is kept).
        fresh = np.flatnonzero(new)
        q, j, d = _hits(fresh, [pdq[k] for k in fresh], pdq, radius)
        parts.append((q, j, d, False))
        q, j, d = _hits(fresh, [pdq[k] for k in fresh], var_hex, radius)
        parts.append((var_owner[q], j, d, True))
        fresh_var = np.flatnonzero(new[var_owner]) if len(var_owner) else var_owner
        old = np.flatnonzero(~new)
        q, v, d = _hits(fresh_var, [var_hex[k] for k in fresh_var], [pdq[k] for k in old],
                        radius)
        parts.append((var_owner[v], old[q], d, True))
    i = np.concatenate([p[0] for p in parts]).astype(np.int64)
    j = np.concatenate([p[1] for p in parts]).astype(np.int64)
    d = np.concatenate([p[2] for p in parts]).astype(np.int64)
    variant = np.concatenate([np.full(len(p[0]), p[3]) for p in parts]).astype(bool)
    media = _media_numbers(regions)
    keep = media[i] != media[j]
    i, j, d, variant = i[keep], j[keep], d[keep], variant[keep]
    if len(i) == 0:
        return []
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    # The nearest hit of each pair; on a tie the pair as it is, not through a variant.
    order = np.lexsort((variant, d, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    lo, hi, d, variant = lo[first], hi[first], d[first], variant[first]
    own = _phash_words([r.phash for r in regions])
    mirrored = _phash_words([r.phash_mirror or r.phash for r in regions])
    ph = popcount(own[lo] ^ own[hi]).astype(np.int64)
    ph_flip = np.minimum(popcount(mirrored[lo] ^ own[hi]), popcount(own[lo] ^ mirrored[hi]))
    ph = np.where(variant, np.minimum(ph, ph_flip), ph)
    return [Candidate(a, b, dd, pp, tt)
            for a, b, dd, pp, tt in zip(lo.tolist(), hi.tolist(), d.tolist(), ph.tolist(),
                                        variant.tolist(), strict=True)]


def _window_candidates(regions: list[RegionRecord], pdq_candidate: int,
                       new: np.ndarray | None = None) -> list[Candidate]:
    """Regions that match a part of another region: a crop, or a photo half off the screen
    (all, or those touching a ``new`` region)."""
    win_rows, win_pdq, win_ph = [], [], []
    for k, r in enumerate(regions):
        for pdq, ph in r.windows:
            win_rows.append(k)
            win_pdq.append(pdq)
            win_ph.append(ph)
    if not win_rows:
        return []
    # Each region as it is, and flipped (PDQ's two flip variants; which one is the left-right
    # mirror depends on the axis convention), so a mirrored crop finds the original's window.
    q_region, q_hex, q_flip = [], [], []
    for k, r in enumerate(regions):
        q_region.append(k)
        q_hex.append(r.pdq)
        q_flip.append(False)
        for h in r.variants[3:5]:
            q_region.append(k)
            q_hex.append(h)
            q_flip.append(True)
    win_owner = np.asarray(win_rows, dtype=np.int64)
    q_owner = np.asarray(q_region, dtype=np.int64)
    if new is None:
        q_rows, hits, dists = _hits(np.arange(len(win_rows)), win_pdq, q_hex, pdq_candidate)
    else:
        # Every query against the new regions' windows; the new regions' queries against the
        # old regions' windows: each hit of the full search that touches a new region, once.
        fresh_w = np.flatnonzero(new[win_owner])
        q1, h1, d1 = _hits(fresh_w, [win_pdq[k] for k in fresh_w], q_hex, pdq_candidate)
        fresh_q = np.flatnonzero(new[q_owner])
        old_w = np.flatnonzero(~new[win_owner])
        w2, q2, d2 = _hits(fresh_q, [q_hex[k] for k in fresh_q], [win_pdq[k] for k in old_w],
                           pdq_candidate)
        q_rows = np.concatenate([q1, q2])
        hits = np.concatenate([h1, old_w[w2]])
        dists = np.concatenate([d1, d2])
    if len(q_rows) == 0:
        return []
    # Vectorised: at wide radii the hits run to millions.
    media = _media_numbers(regions)
    i = q_owner[q_rows]
    j = win_owner[hits]
    flip = np.asarray(q_flip, dtype=bool)[q_rows]
    keep = media[i] != media[j]
    i, j, flip, d, hits = i[keep], j[keep], flip[keep], dists[keep], hits[keep]
    own = _phash_words([r.phash for r in regions])
    mirrored = _phash_words([r.phash_mirror or r.phash for r in regions])
    ph = popcount(np.where(flip, mirrored[i], own[i]) ^ _phash_words(win_ph)[hits]).astype(
        np.int64)
    # The nearest window match of each region pair, by PDQ and pHash together (d / 256 +
    # ph / 64, in integers so ties are exact), then the smaller PDQ distance, then unflipped:
    # a total order on what a candidate keeps, so the choice never depends on hit order.
    key = np.minimum(i, j) * len(regions) + np.maximum(i, j)
    order = np.lexsort((flip, d, d + 4 * ph, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    return [Candidate(min(a, b), max(a, b), dd, pp, ff, True)
            for a, b, dd, pp, ff in zip(i[first].tolist(), j[first].tolist(),
                                        d[first].tolist(), ph[first].tolist(),
                                        flip[first].tolist(), strict=True)]


def _phash_words(hexes: list[str]) -> np.ndarray:
    """64-bit hex hashes as uint64 values."""
    return hex_to_bytes(hexes, 64).view(">u8").astype(np.uint64).ravel()


def _why(first: RegionRecord, second: RegionRecord, c: Candidate, t: Thresholds, band: str,
         v: features.Verification | None) -> str:
    strong = band == "strong"
    if c.strip is not None:
        text = (f"{_describe(first, second)}: found by the light and shade of one laid over "
                f"the top or bottom of the other at its full width (strip codes "
                f"{c.strip} of {retrieval.STRIP_BITS} bits apart, candidates from "
                f"{retrieval.STRIP_RADIUS}), not by hashes (PDQ distance {c.pdq} of 256, pHash "
                f"distance {c.phash} of 64)")
    elif c.similarity is not None:
        text = (f"{_describe(first, second)}: found by shared local features (visual-word "
                f"similarity {c.similarity:.3f}, candidates from {retrieval.MIN_SIMILARITY:g}), "
                f"not by hashes (PDQ distance {c.pdq} of 256, pHash distance {c.phash} of 64)")
    else:
        text = _hash_why(first, second, c, t, strong)
    if v is not None and v.stripped:
        text += (f"; confirmed by alignment, not by matching features ({v.inliers} RANSAC "
                 f"inliers): the shorter area is the {v.strip} of the other at its full width, "
                 f"as a photo part scrolled off a screen shows (scale {v.scale:g}"
                 + (", mirrored" if v.mirrored else "")
                 + f"); aligned pixels correlate {v.correlation:.2f} and their fine edges "
                 f"{v.detail:.2f}, accepted from {features.STRIP_CONFIRM:g}")
    elif v is not None:
        text += (f"; {'confirmed' if strong else 'partly supported'} by {v.inliers} matching "
                 f"features (RANSAC inliers, minimum {features.MIN_INLIERS}"
                 + ("" if strong else f", review from {features.WEAK_INLIERS}")
                 + f"; scale {v.scale:g}" + (", mirrored" if v.mirrored else "")
                 + f"; aligned pixels correlate {v.correlation:.2f}"
                 + _detail_why(v, strong)
                 + ")")
    return text


def _detail_why(v: features.Verification, strong: bool) -> str:
    """Which rule confirmed (or refused) a verified pair, in words."""
    edges = "" if v.detail is None else f"; their fine edges correlate {v.detail:.2f}"
    if not strong:
        if v.confirmed:  # found without a hash, short of WORDS_ONLY_DETAIL
            return (edges + f", short of the {WORDS_ONLY_DETAIL:g} a pair found by visual "
                    f"words or strip codes alone needs with under {features.DETAIL_VETO_BELOW} "
                    "inliers")
        return edges + (f", too little to confirm (below {features.DETAIL_VETO:g})"
                        if v.vetoed else "")
    if v.by_rules and not v.homography_ok:
        return (f"; inliers in one band, {v.spread:.0%} of the area, accepted as dense "
                f"agreement from {features.DENSE_INLIERS} inliers at correlation "
                f"{features.DENSE_CORRELATION:g}" + edges)
    if v.by_rules and v.inliers < features.MIN_INLIERS:
        return (f"; {v.coverage:.0%} of the keypoints where they overlap match, accepted "
                f"from {features.COVERED_COVERAGE:.0%} with {features.COVERED_INLIERS} "
                "inliers" + edges)
    if not v.by_rules and v.detailed:
        return (edges + f", accepted from {features.DETAIL_CONFIRM:g} with "
                f"{features.DETAIL_INLIERS} inliers")
    return edges


def _hash_why(first: RegionRecord, second: RegionRecord, c: Candidate, t: Thresholds,
              strong: bool) -> str:
    return (f"{_describe(first, second)}: PDQ distance {c.pdq} of 256 (strong at "
            f"{t.pdq_partial if c.partial else t.pdq_strong} or less), pHash distance "
            f"{c.phash} of 64 (threshold "
            f"{t.phash_partial if c.partial else t.phash_strong if strong else t.phash_weak})"
            + (", as a mirrored or rotated copy" if c.transformed else "")
            + (", one showing only part of the other" if c.partial else ""))


def _verify_batch(verify: Verifier, pairs: list[tuple[RegionRecord, RegionRecord]]
                  ) -> list[features.Verification | None]:
    many = getattr(verify, "many", None)
    return many(pairs) if many is not None else [verify(a, b) for a, b in pairs]


def _hash_distances(regions: list[RegionRecord], i: np.ndarray, j: np.ndarray,
                    mirror: np.ndarray) -> tuple[list[int], list[int]]:
    """PDQ and pHash distances of region pairs (i, j) found some other way than by hashes,
    through the mirrored or rotated variants where ``mirror``."""
    # Vectorised: a case has tens of thousands of such pairs.
    pdq = to_words(hex_to_bytes([r.pdq for r in regions], 256))
    # Each area's seven variants; missing ones stand in as the area itself, which the
    # distance as it is already counts.
    variants = to_words(hex_to_bytes(
        [(r.variants[v] if v < len(r.variants) else r.pdq) for r in regions for v in range(7)],
        256)).reshape(len(regions), 7, -1)
    d = popcount(pdq[i] ^ pdq[j]).sum(axis=1, dtype=np.int64)
    d_var = popcount(pdq[i][:, None, :] ^ variants[j]).sum(axis=2, dtype=np.int64).min(axis=1)
    own = _phash_words([r.phash for r in regions])
    flipped = _phash_words([r.phash_mirror or r.phash for r in regions])
    ph = popcount(own[i] ^ own[j]).astype(np.int64)
    ph_mirror = np.minimum(popcount(own[i] ^ flipped[j]), popcount(flipped[i] ^ own[j]))
    d = np.where(mirror, np.minimum(d, d_var), d)
    ph = np.where(mirror, ph_mirror, ph)
    return d.tolist(), ph.tolist()


def _pair_arrays(pairs: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.asarray([p.i for p in pairs], dtype=np.int64),
            np.asarray([p.j for p in pairs], dtype=np.int64),
            np.asarray([p.mirrored for p in pairs], dtype=bool))


def similar_candidates(regions: list[RegionRecord],
                       similar: list[retrieval.SimilarPair]) -> list[Candidate]:
    """Candidates from pairs of areas that share visual words, with their hash distances."""
    pairs = [p for p in similar if regions[p.i].media != regions[p.j].media]
    if not pairs:
        return []
    d, ph = _hash_distances(regions, *_pair_arrays(pairs))
    return [Candidate(p.i, p.j, dd, pp, p.mirrored, False, p.similarity)
            for p, dd, pp in zip(pairs, d, ph, strict=True)]


def strip_candidates(regions: list[RegionRecord],
                     strips: list[retrieval.StripPair]) -> list[Candidate]:
    """Candidates from areas whose strip codes say one may be the top or bottom of the other
    (``retrieval.strip_pairs``), with their hash distances."""
    pairs = [p for p in strips if regions[p.i].media != regions[p.j].media]
    if not pairs:
        return []
    d, ph = _hash_distances(regions, *_pair_arrays(pairs))
    return [Candidate(p.i, p.j, dd, pp, p.mirrored, False, None, p.distance)
            for p, dd, pp in zip(pairs, d, ph, strict=True)]


def pairs_from_regions(regions: list[RegionRecord], thresholds: Thresholds | None = None,
                       verify: Verifier | None = None, max_verify: int = MAX_VERIFY,
                       similar: list[retrieval.SimilarPair] | None = None,
                       candidates: list[Candidate] | None = None,
                       strips: list[retrieval.StripPair] | None = None
                       ) -> dict[tuple[str, str], dict]:
    """The best matching region pair for every two media that show the same photo.

    ``regions`` should already be ``linkable``; keys are (media, media) in sorted order.
    Without ``verify`` the hash bands alone decide. With it, only strong whole-area hash
    matches are taken on hashes; other candidates within the verification radii, and the
    area pairs in ``similar`` (``retrieval.similar_pairs`` over the same regions) and in
    ``strips`` (``retrieval.strip_pairs``), are linked strong when ``verify`` confirms them,
    weak when it is borderline, and dropped otherwise.
    ``verify`` may return None (the areas could not be compared): the candidate is dropped.
    ``verify`` may have a ``many(pairs)`` method that verifies a list of pairs at once.
    ``candidates`` (``candidate_pairs`` over the same regions, within at least
    ``candidate_radius``, in ``canonical_order``) saves searching for them again.
    """
    t = thresholds or Thresholds()
    if candidates is None:
        candidates = candidate_pairs(regions, candidate_radius(t, verify is not None))
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
                                         "correlation": v.correlation,
                                         "coverage": v.coverage, "spread": v.spread,
                                         "detail": v.detail, "strip": v.strip,
                                         "min_inliers": features.MIN_INLIERS}

    queue: list[Candidate] = []
    for c in candidates:
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
    # Nearest hash candidates first, then the most similar by words, so the cap drops the
    # least likely; a region pair found both ways is verified once, as a hash candidate.
    queue.sort(key=lambda c: (c.pdq / 256 + c.phash / 64, c.i, c.j))
    queued = {(min(c.i, c.j), max(c.i, c.j)) for c in queue}
    for extra in (similar_candidates(regions, similar or []),
                  strip_candidates(regions, strips or [])):
        fresh = [c for c in extra if (min(c.i, c.j), max(c.i, c.j)) not in queued]
        queue += fresh
        queued |= {(min(c.i, c.j), max(c.i, c.j)) for c in fresh}
    # Each source of candidates gets its own tries per media pair: three near hash
    # candidates that fail must not hide the one area pair the visual words found.
    per_pair: dict[tuple[str, str], tuple[list[Candidate], ...]] = {}
    for c in queue:
        key = tuple(sorted((regions[c.i].media, regions[c.j].media)))
        source = 2 if c.strip is not None else 1 if c.similarity is not None else 0
        per_pair.setdefault(key, ([], [], []))[source].append(c)
    done = 0
    for round_ in range(_TRIES_PER_PAIR):
        batch = []
        for key, sources in per_pair.items():
            if key in best and best[key]["band"] == "strong":
                continue
            for mine in sources:
                if round_ < min(len(mine), _TRIES_PER_PAIR):
                    batch.append(mine[round_])
        batch = batch[:max(0, max_verify - done)]
        if not batch:
            break
        done += len(batch)
        results = _verify_batch(verify, [(regions[c.i], regions[c.j]) for c in batch])
        for c, v in zip(batch, results, strict=True):
            if v is not None and v.confirmed and not _words_only_doubt(c, v):
                keep(c, "strong", v)
            elif v is not None and (v.borderline or v.confirmed):
                keep(c, "weak", v)
    return best


# A pair that only the visual words or strip codes found (no hash brought the two areas near),
# confirmed by matching features with fewer than features.DETAIL_VETO_BELOW inliers, is strong
# only when the aligned areas' fine edges agree at least this much; otherwise it is shown as
# weak. Two different photos with the same drawn boat matched on the boat alone (29-53
# inliers, fine detail 0.61-0.82 on a 400-file collection, bench/RESULTS-linking.md); copies
# found by words agreed at 0.93 and more there. Two screenshots of different sea photos found
# by strip codes matched with 13 inliers at fine detail 0.75 on the 600-file collection. A pair
# confirmed as a strip is exempt: its alignment is fixed, not fitted to a shared boat.
WORDS_ONLY_DETAIL = 0.85


def _words_only_doubt(c: Candidate, v: features.Verification) -> bool:
    return ((c.similarity is not None or c.strip is not None) and not v.stripped
            and v.inliers < features.DETAIL_VETO_BELOW
            and (v.detail is None or v.detail < WORDS_ONLY_DETAIL))


def candidate_radius(t: Thresholds, verify: bool) -> int:
    """The PDQ radius the hash candidates must be searched within for these thresholds."""
    radius = max(t.pdq_candidate, t.pdq_partial)
    return max(radius, t.pdq_verify, t.pdq_partial_verify) if verify else radius


def area_key(r: RegionRecord) -> str:
    """An area's name in the link cache: its media and box (a new region engine that moves the
    box makes it another area)."""
    return f"{r.media}:{','.join(str(v) for v in r.box)}"


def _hash_key(r: RegionRecord) -> str:
    """A digest of an area's hashes: when the hash engine changes them, its pairs are
    candidates anew and are verified again."""
    text = "|".join([r.pdq, r.phash, r.phash_mirror, " ".join(r.variants),
                     " ".join(f"{a}:{b}" for a, b in r.windows)])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass
class LinkStats:
    """What one linking run did and how long each part took (seconds, wall clock).

    ``skipped`` counts region pairs of two areas already linked in earlier runs that became
    candidates only now (visual-word weights shift as areas are added) and were not verified.
    ``warnings`` are one sentence each (an unreadable cache file, recomputed).
    """

    areas: int = 0
    reused: bool = False  # nothing changed since the last run: its pairs were reused
    described: int = 0  # areas whose words were computed in this run
    words_cached: int = 0
    verified: int = 0  # region pairs verified in this run
    verify_cached: int = 0
    skipped: int = 0
    candidate_areas: int = 0  # areas whose candidates were searched (all without a cache)
    candidates_cached: int = 0  # hash candidates and similar pairs read back, not searched
    evicted: int = 0  # kept feature files dropped to hold the folder under FEATURES_MAX_BYTES
    seconds_words: float = 0.0
    seconds_candidates: float = 0.0
    seconds_verify: float = 0.0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


_CACHE_FORMAT = 1
_VERIFICATION_FIELDS = [f.name for f in fields(features.Verification)]


class LinkCache:
    """What image linking keeps between runs in ``folder`` (the case's cache/imagelinks):

    - ``features/``: each area's ORB features (``features.FeatureCache`` files), held under
      ``FEATURES_MAX_BYTES`` by dropping the least recently used (described again if needed);
    - ``words.npz``: each area's visual words and the digest of its hashes;
    - ``verified.json``: each verified region pair's measurements, under the verifier version;
    - ``candidates.npz``: the candidate search (hash candidates, similar pairs, each area's
      K-th best similarity) by area key and hash digest, under ``candidates_version``;
    - ``result.json``: the last run's pairs, under a digest of everything they depend on.

    Every file is written whole and then renamed into place. A missing file is a first run; an
    unreadable one is recomputed, with a one-sentence warning in ``warnings``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.features_dir = self.folder / "features"
        self.warnings: list[str] = []

    def _read(self, name: str, read: Callable[[Path], object]) -> object | None:
        path = self.folder / name
        if not path.exists():
            return None
        try:
            return read(path)
        except Exception:  # any damage to a cache file just means recomputing
            self.warnings.append(f"The image-link cache file {name} could not be read, so "
                                 "what it held was computed again.")
            return None

    def _write(self, name: str, write: Callable[[object], None]) -> bool:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / name, write)
            return True
        except OSError as exc:
            self.warnings.append(f"The image-link cache file {name} could not be written "
                                 f"({exc.strerror or exc}), so the next run recomputes it.")
            return False

    def _read_json(self, name: str) -> dict | None:
        def read(path: Path) -> dict:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT:
                raise ValueError("unknown cache format")
            return data

        return self._read(name, read)  # type: ignore[return-value]

    def _write_json(self, name: str, data: dict) -> bool:
        body = json.dumps({"format": _CACHE_FORMAT} | data, separators=(",", ":"))
        return self._write(name, lambda out: out.write(body.encode("utf-8")))

    def load_result(self, digest: str) -> dict[tuple[str, str], dict] | None:
        data = self._read_json("result.json")
        if data is None or data.get("digest") != digest:
            return None
        return {(a, b): p for a, b, p in data["pairs"]}

    def save_result(self, digest: str, pairs: dict[tuple[str, str], dict]) -> bool:
        return self._write_json("result.json", {"digest": digest,
                                         "pairs": [[a, b, p] for (a, b), p in pairs.items()]})

    def load_words(self) -> dict[str, tuple[str, retrieval.AreaWords]]:
        """Area key -> (hash digest, words) of the areas described in earlier runs."""
        def read(path: Path) -> dict[str, tuple[str, retrieval.AreaWords]]:
            with np.load(path, allow_pickle=False) as z:
                if str(z["version"]) != _words_version():
                    return {}
                keys, digests = z["keys"].tolist(), z["digests"].tolist()
                shown = np.split(z["shown"].astype(np.int64), z["shown_ends"][:-1])
                mirrored = np.split(z["mirrored"].astype(np.int64), z["mirrored_ends"][:-1])
                strips = np.split(z["strips"].astype(np.uint64), z["strips_ends"][:-1])
                aspects = z["aspects"].astype(np.float64).tolist()
            if not (len(keys) == len(digests) == len(shown) == len(mirrored) == len(strips)
                    == len(aspects)):
                raise ValueError("inconsistent lengths")
            return {k: (d, retrieval.AreaWords(s, m, c, a))
                    for k, d, s, m, c, a in zip(keys, digests, shown, mirrored, strips, aspects,
                                                strict=True)}

        return self._read("words.npz", read) or {}  # type: ignore[return-value]

    def save_words(self, words: dict[str, tuple[str, retrieval.AreaWords]]) -> bool:
        keys = sorted(words)
        shown = [words[k][1].shown for k in keys]
        mirrored = [words[k][1].mirrored for k in keys]
        strips = [words[k][1].strips for k in keys]

        def ends(parts: list[np.ndarray]) -> np.ndarray:
            return np.cumsum([len(p) for p in parts], dtype=np.int64)

        def cat(parts: list[np.ndarray]) -> np.ndarray:
            # Words fit 32 bits (table number above WORD_BITS bits): half the file.
            return (np.concatenate(parts) if parts else np.zeros(0, np.int64)).astype(np.int32)

        return self._write("words.npz", lambda out: np.savez(
            out, version=np.str_(_words_version()), keys=np.asarray(keys, dtype=str),
            digests=np.asarray([words[k][0] for k in keys], dtype=str),
            shown=cat(shown), shown_ends=ends(shown) if keys else np.zeros(1, np.int64),
            mirrored=cat(mirrored),
            mirrored_ends=ends(mirrored) if keys else np.zeros(1, np.int64),
            strips=(np.concatenate(strips) if keys else np.zeros(0)).astype(np.uint64),
            strips_ends=ends(strips) if keys else np.zeros(1, np.int64),
            aspects=np.asarray([words[k][1].aspect for k in keys], dtype=np.float64)))

    def load_candidates(self, version: str) -> CandidateSearch | None:
        """The candidate search kept by an earlier run, None when there is none made under
        ``version`` (a first run, other thresholds or engines, an unreadable file)."""
        def read(path: Path) -> CandidateSearch | None:
            with np.load(path, allow_pickle=False) as z:
                if str(z["version"]) != version:
                    return None
                out = CandidateSearch(z["keys"].tolist(), z["digests"].tolist(),
                                      z["kth"].astype(np.float32), z["hash"].astype(np.int64),
                                      z["similar"].astype(np.int64),
                                      z["similarity"].astype(np.float64),
                                      z["mirrored"].astype(bool))
            n = len(out.keys)
            if not (n == len(out.digests) == len(out.kth) and out.hash.ndim == 2
                    and out.hash.shape[1] == 6 and out.similar.ndim == 2
                    and out.similar.shape[1] == 2
                    and len(out.similar) == len(out.similarity) == len(out.mirrored)
                    and all(a.size == 0 or (a.min() >= 0 and a.max() < n)
                            for a in (out.hash[:, :2], out.similar))):
                raise ValueError("inconsistent candidate arrays")
            return out

        return self._read("candidates.npz", read)  # type: ignore[return-value]

    def save_candidates(self, version: str, search: CandidateSearch) -> bool:
        return self._write("candidates.npz", lambda out: np.savez(
            out, version=np.str_(version), keys=np.asarray(search.keys, dtype=str),
            digests=np.asarray(search.digests, dtype=str), kth=search.kth.astype(np.float32),
            hash=search.hash.astype(np.int64).reshape(-1, 6),
            similar=search.similar.astype(np.int64).reshape(-1, 2),
            similarity=search.similarity.astype(np.float64),
            mirrored=search.mirrored.astype(bool)))

    def load_verified(self) -> dict[str, features.Verification | None] | None:
        """Earlier verifications; None when there are none this verifier can use (a first
        run, another verifier version, an unreadable file)."""
        data = self._read_json("verified.json")
        if data is None or data.get("verifier") != features.VERIFIER_VERSION \
                or data.get("fields") != _VERIFICATION_FIELDS:
            return None
        return {k: (features.Verification(*v) if v is not None else None)
                for k, v in data["pairs"].items()}

    def save_verified(self, verified: dict[str, features.Verification | None]) -> bool:
        return self._write_json("verified.json", {
            "verifier": features.VERIFIER_VERSION, "fields": _VERIFICATION_FIELDS,
            "pairs": {k: (list(asdict(v).values()) if v is not None else None)
                      for k, v in verified.items()}})


def _words_version() -> str:
    return (f"{features.FEATURES_VERSION}-words{retrieval.WORD_TABLES}x{retrieval.WORD_BITS}"
            f"-{retrieval._SELECTION_SEED}-strips{retrieval.STRIP_GRID}"
            f"{retrieval.STRIP_FRACTIONS}{retrieval.STRIP_BITS}-{retrieval._STRIP_SEED}")


def _pair_key(a: RegionRecord, b: RegionRecord) -> str:
    # Ordered as verified: b is the one tried mirrored, so (a, b) and (b, a) may differ.
    return f"{area_key(a)}|{area_key(b)}"


@dataclass
class CandidateSearch:
    """A candidate search as kept between runs: areas by key and hash digest, each area's
    K-th best visual-word similarity (``retrieval.Similarities.kth``), hash candidates as rows
    (area a, area b, pdq, phash, transformed, partial) and similar pairs as rows (area a,
    area b) with their similarity and mirrored flag; areas are positions in ``keys``."""

    keys: list[str]
    digests: list[str]
    kth: np.ndarray
    hash: np.ndarray
    similar: np.ndarray
    similarity: np.ndarray
    mirrored: np.ndarray


@dataclass
class Candidates:
    """The candidates of one run over a list of regions: hash candidates in
    ``canonical_order``, similar pairs best first, and how much was searched anew."""

    hash: list[Candidate]
    similar: list[retrieval.SimilarPair]
    kth: np.ndarray
    searched_areas: int  # areas whose candidates were searched in this run
    reused: int = 0  # hash candidates and similar pairs read back from the cache
    seconds: float = 0.0
    strips: list[retrieval.StripPair] = field(default_factory=list)  # searched every run


# Bumped whenever the candidate search changes what it finds.
CANDIDATES_VERSION = 1


def candidates_version(radius: int, hash_engines: list[str]) -> str:
    """Everything a kept candidate search depends on besides the areas' own hashes."""
    return json.dumps([_CACHE_FORMAT, CANDIDATES_VERSION, radius, asdict(Thresholds()),
                       _words_version(), retrieval.MIN_SIMILARITY, retrieval.TOP_K,
                       retrieval.MAX_AREA_SHARE, retrieval._MIN_STOP_AREAS,
                       sorted(hash_engines)])


def search_candidates(regions: list[RegionRecord], words: list[retrieval.AreaWords | None],
                      radius: int, cache: LinkCache | None = None, version: str = "",
                      described: set[str] | None = None) -> Candidates:
    """Hash candidates within ``radius`` and visual-word similar pairs of ``regions``.

    Without ``cache`` everything is searched. With it (``version`` from
    ``candidates_version``), the search kept by an earlier run is read back: an area is old
    when it was there with the same hash digest and its words were not computed again in
    this run (``described``, by area key); candidates of two old areas are reused, those of
    areas gone or changed are dropped, and only pairs that involve a new area are searched.
    The hash candidates are then exactly those of a full search; strip pairs
    (``retrieval.strip_pairs``) are searched in full every time (a fraction of a second for a
    thousand areas). The similar pairs differ
    from a full search only where visual-word weights moved: a pair of two old areas keeps
    the similarity (and membership) of the run that found it, and an old area's side of
    "among its ``TOP_K``" is judged with its K-th best similarity from that run
    (``retrieval.similar_rows``). The new search is saved back to ``cache``.
    """
    started = time.perf_counter()
    keys = [area_key(r) for r in regions]
    digests = [_hash_key(r) for r in regions]
    media = [r.media for r in regions]
    if len(set(keys)) < len(keys):
        cache = None  # two areas under one key cannot be told apart in a kept search
    kept = cache.load_candidates(version) if cache is not None else None
    old = np.zeros(len(regions), dtype=bool)
    if kept is not None:
        where = {k: (a, d) for a, (k, d) in enumerate(zip(kept.keys, kept.digests,
                                                          strict=True))}
        fresh = described or set()
        at = np.full(len(kept.keys), -1, dtype=np.int64)
        for pos, (k, d) in enumerate(zip(keys, digests, strict=True)):
            found = where.get(k)
            if found is not None and found[1] == d and k not in fresh:
                old[pos] = True
                at[found[0]] = pos
    reused = 0
    if not old.any():
        rows = _candidate_rows(candidate_pairs(regions, radius))
        sims = retrieval.similar_rows(words, media)
    else:
        assert kept is not None
        new = ~old
        # Kept candidates of two old areas, moved to the areas' current positions.
        h = kept.hash
        a, b = at[h[:, 0]], at[h[:, 1]]
        both = (a >= 0) & (b >= 0)
        carried = np.column_stack([np.minimum(a, b), np.maximum(a, b), h[:, 2:]])[both]
        reused += len(carried)
        rows = np.concatenate([carried, _candidate_rows(candidate_pairs(regions, radius,
                                                                        new))])
        rows = rows[np.lexsort((rows[:, 1], rows[:, 0], rows[:, 5]))]  # canonical_order
        kth = np.full(len(regions), -1.0, dtype=np.float32)
        kth[at[at >= 0]] = kept.kth[at >= 0]
        sims = retrieval.similar_rows(words, media, np.flatnonzero(new), kth)
        sa, sb = at[kept.similar[:, 0]], at[kept.similar[:, 1]]
        both = (sa >= 0) & (sb >= 0)
        similar = [retrieval.SimilarPair(min(x, y), max(x, y), s, bool(m))
                   for x, y, s, m in zip(sa[both].tolist(), sb[both].tolist(),
                                         kept.similarity[both].tolist(),
                                         kept.mirrored[both].tolist(), strict=True)]
        reused += len(similar)
        sims.pairs = sorted(sims.pairs + similar, key=lambda p: (-p.similarity, p.i, p.j))
    hash_cands = [Candidate(i, j, pdq, ph, bool(tr), bool(pa))
                  for i, j, pdq, ph, tr, pa in rows.tolist()]
    out = Candidates(hash_cands, sims.pairs, sims.kth, int((~old).sum()), reused,
                     strips=retrieval.strip_pairs(words, media))
    unchanged = kept is not None and old.all() and len(kept.keys) == len(keys)
    if cache is not None and not unchanged:
        cache.save_candidates(version, CandidateSearch(
            keys, digests, sims.kth, rows,
            np.asarray([(p.i, p.j) for p in sims.pairs], dtype=np.int64).reshape(-1, 2),
            np.asarray([p.similarity for p in sims.pairs], dtype=np.float64),
            np.asarray([p.mirrored for p in sims.pairs], dtype=bool)))
    out.seconds = time.perf_counter() - started
    return out


def _candidate_rows(cands: list[Candidate]) -> np.ndarray:
    """Hash candidates as int64 rows (i, j, pdq, phash, transformed, partial)."""
    return np.asarray([(c.i, c.j, c.pdq, c.phash, c.transformed, c.partial) for c in cands],
                      dtype=np.int64).reshape(-1, 6)


class CaseVerifier:
    """Verifies region pairs by reading both areas from the case vault: one at a time in this
    process (features kept in ``cache``), or a list at once with ``many`` (in a spawn pool of
    ``workers`` processes when the list is long enough).

    With ``known`` (pair key -> earlier result), a pair verified before is read back and a new
    result is added to it; a pair not in ``known`` whose two areas are both in ``settled`` is
    not verified (it counts in ``skipped`` and gives None)."""

    def __init__(self, case: Case, cache: features.FeatureCache | None = None,
                 workers: int = 1, known: dict[str, features.Verification | None] | None = None,
                 settled: set[str] | None = None,
                 tick: Callable[[int], None] | None = None) -> None:
        self.case = case
        self.tick = tick
        self.cache = cache if cache is not None else features.FeatureCache()
        self.workers = workers
        self.known = known
        self.settled = settled or set()
        self.verified = self.reused = self.skipped = 0

    def _area(self, r: RegionRecord) -> features.Area:
        return self.case.vault.path_for(r.media), r.box

    def __call__(self, a: RegionRecord, b: RegionRecord) -> features.Verification | None:
        return self.many([(a, b)])[0]

    def many(self, pairs: list[tuple[RegionRecord, RegionRecord]]
             ) -> list[features.Verification | None]:
        out: list[features.Verification | None] = [None] * len(pairs)
        todo = []
        for k, (a, b) in enumerate(pairs):
            key = _pair_key(a, b)
            if self.known is not None and key in self.known:
                out[k] = self.known[key]
                self.reused += 1
            elif area_key(a) in self.settled and area_key(b) in self.settled:
                self.skipped += 1
            else:
                todo.append(k)
        results = features.verify_many([(self._area(pairs[k][0]), self._area(pairs[k][1]))
                                        for k in todo], self.workers, self.cache, self.tick)
        for k, v in zip(todo, results, strict=True):
            out[k] = v
            if self.known is not None:
                self.known[_pair_key(*pairs[k])] = v
        self.verified += len(todo)
        return out


def case_verifier(case: Case, cache: features.FeatureCache | None = None,
                  workers: int = 1) -> CaseVerifier:
    """A verifier that reads both areas from the case vault (features kept in ``cache``)."""
    return CaseVerifier(case, cache, workers)


def default_workers() -> int:
    """Processes for describing and verifying areas: the cores, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def _inputs_digest(regions: list[RegionRecord], max_verify: int) -> str:
    """Everything the pairs of a verified run depend on, as one digest."""
    h = hashlib.sha256()
    h.update(json.dumps([_CACHE_FORMAT, features.VERIFIER_VERSION, _words_version(),
                         retrieval.MIN_SIMILARITY, retrieval.TOP_K, retrieval.MAX_AREA_SHARE,
                         asdict(Thresholds()), max_verify, _TRIES_PER_PAIR,
                         WORDS_ONLY_DETAIL, retrieval.STRIP_RADIUS, retrieval.STRIP_TOP_K,
                         retrieval.STRIP_FRACTION_SLACK]).encode())
    for r in regions:
        h.update(f"{r.id} {r.kind} {area_key(r)} {_hash_key(r)} {r.low_quality}\n".encode())
    return h.hexdigest()


def find_image_pairs(case: Case, verify: bool = True, workers: int | None = None,
                     incremental: bool = True, stats: LinkStats | None = None,
                     progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None) -> dict[tuple[str, str], dict]:
    """The best matching region pair for every two media of the case that show the same photo.

    Unless ``verify`` is False, candidates outside the strong hash band, and pairs of areas
    that share visual words (analysis/retrieval.py), are checked by local features, in
    ``workers`` processes (``default_workers()`` when None). With ``incremental`` (and
    ``verify``), what earlier runs computed is read from the case's ``LinkCache`` and what this
    run computes is added to it; ``stats`` (when given) is filled in. ``progress`` hears how
    many areas are described and pairs checked; ``cancel`` stops between any two of them (the
    case's links are then left as they were)."""
    started = time.perf_counter()
    describe_tick = _ticker(progress, cancel, "Describing photos for matching")
    verify_tick = _ticker(progress, cancel, "Checking photo matches by local features")
    stats = stats if stats is not None else LinkStats()
    regions = _regions(case)
    stats.areas = len(regions)
    if not verify:
        return pairs_from_regions(regions)
    workers = default_workers() if workers is None else workers
    if not incremental:
        # Features still go to a folder for the run, so each area is described once however
        # many workers and rounds need it; the folder goes with the run.
        case.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=case.tmp_dir) as folder:
            t0 = time.perf_counter()
            words = retrieval.words_many(
                [(case.vault.path_for(r.media), r.box) for r in regions], workers, folder,
                describe_tick)
            stats.described = len(regions)
            stats.seconds_words = time.perf_counter() - t0
            verifier = CaseVerifier(case, features.FeatureCache(folder=folder), workers,
                                    tick=verify_tick)
            found = search_candidates(regions, words, candidate_radius(Thresholds(), True))
            pairs = _verified_pairs(regions, found, verifier, stats)
        stats.seconds = time.perf_counter() - started
        return pairs
    store_ = LinkCache(case.cache_dir / "imagelinks")
    digest = _inputs_digest(regions, MAX_VERIFY)
    pairs = store_.load_result(digest)
    if pairs is not None:
        stats.reused = True
        stats.warnings += store_.warnings
        stats.seconds = time.perf_counter() - started
        return pairs
    t0 = time.perf_counter()
    kept = store_.load_words()
    digests = [_hash_key(r) for r in regions]
    keys = [area_key(r) for r in regions]
    # Settled: described in an earlier run and hashed the same since, so every candidate pair
    # of two settled areas was already a candidate (and verified, when it needed to be) then.
    settled = {k for k, d in zip(keys, digests, strict=True) if k in kept and kept[k][0] == d}
    todo = sorted({k for k in keys if k not in kept})
    by_key = {k: r for k, r in zip(keys, regions, strict=True)}
    fresh = retrieval.words_many([(case.vault.path_for(by_key[k].media), by_key[k].box)
                                  for k in todo], workers, store_.features_dir, describe_tick)
    for k, w in zip(todo, fresh, strict=True):
        if w is not None:
            kept[k] = ("", w)
    words = [kept[k][1] if k in kept else None for k in keys]
    stats.described, stats.words_cached = len(todo), len(regions) - len(todo)
    stats.seconds_words = time.perf_counter() - t0
    known = store_.load_verified()
    if known is None:
        # Earlier verifications are gone or obsolete: no pair counts as done.
        known, settled = {}, set()
    verifier = CaseVerifier(case, features.FeatureCache(folder=store_.features_dir), workers,
                            known, settled, verify_tick)
    radius = candidate_radius(Thresholds(), True)
    found = search_candidates(regions, words, radius, store_,
                              candidates_version(radius, _hash_engines(case)), set(todo))
    pairs = _verified_pairs(regions, found, verifier, stats)
    current = set(keys)
    # Verifications first, words after: an area in words.npz is settled, so its pairs must
    # already be kept (a run stopped in between describes nothing again, only reads back).
    if store_.save_verified({k: v for k, v in known.items()
                             if all(part in current for part in k.split("|"))}):
        # Only current areas are kept, so the file does not grow with areas gone from the case.
        store_.save_words({k: (d, kept[k][1]) for k, d in zip(keys, digests, strict=True)
                           if k in kept})
    _prune_features(verifier.cache, [(str(case.vault.path_for(r.media)), r.box)
                                     for r in regions])
    stats.evicted = features.bound_folder(store_.features_dir, FEATURES_MAX_BYTES).removed
    store_.save_result(digest, pairs)
    stats.warnings += store_.warnings
    stats.seconds = time.perf_counter() - started
    return pairs


def _hash_engines(case: Case) -> list[str]:
    """The hash engine versions of the case's current regions."""
    return [v for (v,) in case.db.execute(
        "SELECT DISTINCT engine_version FROM regions WHERE current = 1 ORDER BY 1")]


def _ticker(progress: ProgressCallback | None, cancel: CancelToken | None, label: str
            ) -> Callable[[int], None] | None:
    """A counter for long checks: reports the running total and honours a cancel."""
    if progress is None and cancel is None:
        return None
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        report(progress, done[0], None, label)
        check(cancel)

    return tick


def _prune_features(cache: features.FeatureCache, areas: list[tuple[str, tuple]]) -> None:
    """Drop kept features of areas no longer in the case (re-detected regions, another
    features version), so the folder holds the current areas only."""
    if cache.folder is None or not cache.folder.is_dir():
        return
    keep = {cache.file_for(path, tuple(box)) for path, box in areas}
    for file in cache.folder.glob("*/*.npz"):
        if file not in keep:
            file.unlink(missing_ok=True)


def _verified_pairs(regions: list[RegionRecord], found: Candidates, verifier: CaseVerifier,
                    stats: LinkStats) -> dict[tuple[str, str], dict]:
    t0 = time.perf_counter()
    timed = _TimedVerifier(verifier)
    pairs = pairs_from_regions(regions, verify=timed, similar=found.similar,
                               candidates=found.hash, strips=found.strips)
    stats.seconds_verify = timed.seconds
    stats.seconds_candidates = found.seconds + time.perf_counter() - t0 - timed.seconds
    stats.candidate_areas, stats.candidates_cached = found.searched_areas, found.reused
    stats.verified, stats.verify_cached, stats.skipped = (verifier.verified, verifier.reused,
                                                          verifier.skipped)
    return pairs


class _TimedVerifier:
    """A verifier that adds up the time spent in it, so candidates and checks time apart."""

    def __init__(self, inner: CaseVerifier) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __call__(self, a: RegionRecord, b: RegionRecord) -> features.Verification | None:
        return self.many([(a, b)])[0]

    def many(self, pairs: list[tuple[RegionRecord, RegionRecord]]
             ) -> list[features.Verification | None]:
        t0 = time.perf_counter()
        try:
            return self.inner.many(pairs)
        finally:
            self.seconds += time.perf_counter() - t0


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


def image_links(case: Case, workers: int | None = None, incremental: bool = True,
                stats: LinkStats | None = None, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> list[dict]:
    pairs = find_image_pairs(case, workers=workers, incremental=incremental, stats=stats,
                             progress=progress, cancel=cancel)
    kept = kept_strong_pairs(pairs, _media_order(case))
    kept |= {k for k, p in pairs.items() if p["band"] == "weak"}
    found = []
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


def kept_strong_pairs(pairs: dict[tuple[str, str], dict],
                      order: dict[str, tuple[str, int]]) -> set[tuple[str, str]]:
    """The strong pairs stored as links: a spanning forest over the matched areas.

    The nodes are areas (a media and the region matched in it), not media: a feed screenshot
    showing two campaigns' photos is two nodes, and clusters join posts, not files. Within each
    group of areas connected by strong pairs the representative is the earliest media's area;
    pairs are taken, as long as they join two parts not yet connected, first those that join
    clusters by themselves (linking.image_pair_joins), among them first those that touch the
    representative, then by score. So a photo reposted hundreds of times links its copies to
    one representative where they match it directly, every area stays connected, and a path
    of links that join clusters is never replaced by one that does not.
    """
    strong = {k: p for k, p in pairs.items() if p["band"] == "strong"}

    def node(sha: str, p: dict) -> tuple[str, int]:
        region = (p.get("regions") or {}).get(sha) or {}
        return (sha, int(region.get("region", -1)))

    def earliest(n: tuple[str, int]) -> tuple:
        return (order.get(n[0], ("9999", 0)), n)

    ends = {k: (node(k[0], p), node(k[1], p)) for k, p in strong.items()}
    groups: dict = {}
    for a, b in ends.values():
        groups[find_root(groups, a)] = find_root(groups, b)
    reps: dict = {}
    for n in {n for pair in ends.values() for n in pair}:
        root = find_root(groups, n)
        reps[root] = min(reps.get(root, n), n, key=earliest)
    rank = sorted(strong, key=lambda k: (
        not image_pair_joins(strong[k]), reps[find_root(groups, ends[k][0])] not in ends[k],
        -strong[k]["score"], k))
    forest: dict = {}
    kept: set[tuple[str, str]] = set()
    for k in rank:
        a, b = (find_root(forest, n) for n in ends[k])
        if a != b:
            forest[a] = b
            kept.add(k)
    return kept


def update_image_links(case: Case, workers: int | None = None, incremental: bool = True,
                       stats: LinkStats | None = None, progress: ProgressCallback | None = None,
                       cancel: CancelToken | None = None) -> dict:
    """Find the case's image links and store them (analyst decisions stay). Incremental unless
    ``incremental`` is False (then everything is described and verified again and the link
    cache is left alone); ``stats``, when given, says what the run did and its warnings."""
    stats = stats if stats is not None else LinkStats()
    found = image_links(case, workers, incremental, stats, progress, cancel)
    with case.transaction():
        store.replace_auto_links(case, ["image"], found)
        case.audit("links.updated", {
            "kinds": ["image"], "found": {"image": len(found)},
            "image_work": {"reused": stats.reused, "described": stats.described,
                           "verified": stats.verified, "verify_cached": stats.verify_cached,
                           "skipped": stats.skipped, "evicted": stats.evicted,
                           "candidate_areas": stats.candidate_areas,
                           "candidates_cached": stats.candidates_cached,
                           "seconds": round(stats.seconds, 2)},
            **({"warnings": stats.warnings} if stats.warnings else {})})
    return {"image": len(found)}
