"""Image-link candidates found by shared local features, not by whole-area hashes.

A perceptual hash describes a whole area, so two copies that show different parts of a photo
(a crop against a photo half scrolled off a screen, a mirrored crop under a banner) are far
apart in every hash and never become candidates. This module finds them another way: each
area's ORB descriptors (analysis/features.py) are quantised into visual words, areas become
sparse TF-IDF vectors, and two areas that share many rare words (cosine similarity) are a
candidate, whatever part of the photo each shows. The ORB + RANSAC check then decides.

Words are bit samples of the 256-bit ORB descriptor: ``WORD_TABLES`` fixed selections of
``WORD_BITS`` bits each. They need no training, so the same area always gets the same words
in every case, and a near match of a descriptor (a few bits flipped) still shares a word in
at least one table with good odds. Words found in a large share of areas (generic corners,
text strokes) carry no weight.

The mirror image of every area is described too, so a mirrored repost is found by comparing
one area's words with the other's mirrored words. Similarities are computed in row blocks
with a sparse product (scipy), keeping at most ``TOP_K`` partners per area.

A strip of sky and sea (a photo mostly scrolled off a screen) has too few corners to share
words with anything. Its candidates come from *strip codes* instead: the area's blurred
thumbnail, shrunk to a STRIP_GRID of cells and centred on its mean, is hashed by the signs of
its products with fixed random directions (a SimHash: the Hamming distance of two codes
follows the angle between the two grids, so areas whose pixels correlate get near codes).
Every area also codes its top and bottom parts at STRIP_FRACTIONS of its height, at full
width; ``strip_pairs`` finds, through the Hamming index (analysis/ndindex.py), each area whose
own code (as shown or mirrored) is near a part of another area of the matching shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import scipy.sparse as sp

from . import features
from .ndindex import HammingIndex
from .worker import end_with_parent, spawn_context

WORD_TABLES = 4
WORD_BITS = 20
# A fixed seed: the bit selections, hence the words, are part of the method and must not vary.
_SELECTION_SEED = 20260301
# Words present in more than this share of areas (and in more than _MIN_STOP_AREAS areas, so a
# small collection keeps them) get no weight: they match everything.
MAX_AREA_SHARE = 0.05
_MIN_STOP_AREAS = 100
# Calibrated by bench/link_accuracy.py on non-held-out pairs (bench/RESULTS-linking.md): below
# this similarity, verified pairs are almost all different photos; past TOP_K partners per area
# the extra candidates cost more verification than they find (40 partners: 15,574 word
# candidates and recall 0.9629 on the 600-file bench; 20: 5,936 and 0.9620, the held-out layout
# level at 0.9520, with window hashes and strip codes bringing the rest).
MIN_SIMILARITY = 0.01
TOP_K = 20
# Dense similarity rows held at once: about 64 MB of float32.
_BLOCK_CELLS = 1 << 24
# Below this many areas, describing them in a process pool costs more than it saves.
_POOL_MIN_AREAS = 48


def _selection() -> np.ndarray:
    rng = np.random.default_rng(_SELECTION_SEED)
    return np.stack([rng.choice(256, WORD_BITS, replace=False) for _ in range(WORD_TABLES)])


_SELECTION = _selection()
_WEIGHTS = (1 << np.arange(WORD_BITS, dtype=np.int64))

# Strip codes: cells (columns, rows) a thumbnail or part of one is shrunk to, the parts' shares
# of the height, and the code width. Calibrated by bench/link_accuracy.py on non-held-out pairs
# (bench/RESULTS-linking.md): within STRIP_RADIUS, at most STRIP_TOP_K nearest partners an
# area, a part at most STRIP_FRACTION_SLACK of the height away from the area's shape.
STRIP_GRID = (16, 8)
STRIP_FRACTIONS = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))
STRIP_BITS = 64
STRIP_RADIUS = 8
STRIP_TOP_K = 20
STRIP_FRACTION_SLACK = 0.05
# A thumbnail (or part) flatter than this (grey-level standard deviation) gets no code.
_STRIP_MIN_STD = 2.0
_STRIP_SEED = 20261129


def _directions() -> np.ndarray:
    rng = np.random.default_rng(_STRIP_SEED)
    return rng.standard_normal((STRIP_GRID[0] * STRIP_GRID[1], STRIP_BITS)).astype(np.float32)


_DIRECTIONS = _directions()


def words(descriptors: np.ndarray | None) -> np.ndarray:
    """The distinct visual words (int64, table in the high bits) of ORB descriptors."""
    if descriptors is None or len(descriptors) == 0:
        return np.zeros(0, dtype=np.int64)
    bits = np.unpackbits(np.asarray(descriptors, dtype=np.uint8), axis=1)
    out = [bits[:, _SELECTION[t]].astype(np.int64) @ _WEIGHTS + (t << WORD_BITS)
           for t in range(WORD_TABLES)]
    return np.unique(np.concatenate(out))


@dataclass
class AreaWords:
    """The visual words of one area as shown and as its left-right mirror image, and its strip
    codes (``strip_codes``) with its shape (height over width)."""

    shown: np.ndarray
    mirrored: np.ndarray
    strips: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    aspect: float = 0.0


def _codes(cells: np.ndarray) -> np.ndarray:
    """The SimHash (uint64) of each of a stack of cell grids (n, rows, columns)."""
    flat = cells.reshape(len(cells), -1).astype(np.float32)
    flat -= flat.mean(axis=1, keepdims=True)
    packed = np.packbits((flat @ _DIRECTIONS) > 0, axis=1)  # (n, 8), first bit highest
    return packed.view(">u8").astype(np.uint64).ravel()


def strip_codes(thumb: np.ndarray | None) -> np.ndarray:
    """uint64 codes of a thumbnail: itself as shown and mirrored, then its top parts and its
    bottom parts at each of STRIP_FRACTIONS; a part too flat to say anything is coded 0 and
    never looked up (so is a whole flat area: then the array is empty)."""
    if thumb is None or thumb.size == 0 or float(thumb.std()) < _STRIP_MIN_STD:
        return np.zeros(0, np.uint64)
    h, w = thumb.shape
    cols, rows = STRIP_GRID
    grey = thumb.astype(np.float32)
    parts = [grey, grey[:, ::-1]]
    for f in STRIP_FRACTIONS:
        n = max(1, round(f * h))
        parts.append(grey[:n])
    for f in STRIP_FRACTIONS:
        n = max(1, round(f * h))
        parts.append(grey[h - n:])
    cells = np.stack([cv2.resize(p, (cols, rows), interpolation=cv2.INTER_AREA)
                      for p in parts])
    codes = _codes(cells)
    flat = cells.reshape(len(cells), -1).std(axis=1) < _STRIP_MIN_STD
    codes[flat] = 0
    return codes


@dataclass
class SimilarPair:
    """Two areas (positions in the list given) that share visual words: the cosine similarity
    of their TF-IDF vectors, and whether it was found against the mirror image."""

    i: int
    j: int
    similarity: float
    mirrored: bool


def area_words(path: str | Path, box: tuple[int, int, int, int] | None,
               cache: features.FeatureCache | None = None) -> AreaWords:
    """Words of area ``box`` of the image at ``path``; raises ``features.FeatureError``."""
    cache = cache if cache is not None else features.FeatureCache(max_areas=1)
    shown = cache.features(path, box)
    return AreaWords(words(shown.descriptors),
                     words(cache.features(path, box, mirrored=True).descriptors),
                     strip_codes(shown.thumb), shown.size[1] / max(1, shown.size[0]))


def _words_job(job: tuple[str, tuple[int, int, int, int] | None, str | None]
               ) -> AreaWords | str:
    try:
        return area_words(job[0], job[1], features.FeatureCache(max_areas=1, folder=job[2]))
    except features.FeatureError as exc:
        return str(exc)


def words_many(areas: Sequence[tuple[str | Path, tuple[int, int, int, int] | None]],
               workers: int = 1, folder: str | Path | None = None,
               tick: Callable[[int], None] | None = None) -> list[AreaWords | None]:
    """Words of every (path, box), None where an area could not be read; in a spawn pool of
    ``workers`` processes when there are enough areas to pay for it. With ``folder``, each
    area's features are kept there (``features.FeatureCache``) for verification to reuse.
    ``tick(1)`` is called after each area; it may raise (a cancel), which ends the workers."""
    where = str(folder) if folder is not None else None
    jobs = [(str(p), tuple(b) if b is not None else None, where) for p, b in areas]
    results = []
    if workers > 1 and len(jobs) >= _POOL_MIN_AREAS:
        # Leaving the block early (a cancel raised by tick) terminates the workers.
        with spawn_context().Pool(workers, initializer=end_with_parent) as pool:
            for r in pool.imap(_words_job, jobs, chunksize=8):
                results.append(r)
                if tick is not None:
                    tick(1)
    else:
        for j in jobs:
            results.append(_words_job(j))
            if tick is not None:
                tick(1)
    return [r if isinstance(r, AreaWords) else None for r in results]


def _matrix(rows: list[np.ndarray], n_cols: int) -> sp.csr_matrix:
    lengths = [len(r) for r in rows]
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cols = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    data = np.ones(len(cols), dtype=np.float32)
    return sp.csr_matrix((data, cols, indptr), shape=(len(rows), n_cols))


def _normalised(m: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    # Scaling the stored values directly: a broadcast multiply costs several times more.
    m = m.copy()
    m.data = m.data * idf[m.indices]
    m.eliminate_zeros()
    squares = m.copy()
    squares.data = m.data * m.data
    norms = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags(1.0 / norms) @ m).tocsr()


@dataclass
class Similarities:
    """The similar pairs of a run and each area's ``top_k``-th best similarity in its own row
    (-1.0 when it has fewer partners), which a later run compares new partners with."""

    pairs: list[SimilarPair]
    kth: np.ndarray


def similar_pairs(areas: Sequence[AreaWords | None], groups: Sequence[str] | None = None,
                  min_similarity: float = MIN_SIMILARITY,
                  top_k: int = TOP_K) -> list[SimilarPair]:
    """Every two areas whose words are alike (cosine similarity >= ``min_similarity`` and
    above 0, among the ``top_k`` most similar partners of either), best first.

    Areas in the same group (``groups[i]``, the media they belong to) are never paired; areas
    given as None never pair.
    """
    return similar_rows(areas, groups, None, None, min_similarity, top_k).pairs


def similar_rows(areas: Sequence[AreaWords | None], groups: Sequence[str] | None = None,
                 rows: Sequence[int] | np.ndarray | None = None,
                 kth: np.ndarray | None = None, min_similarity: float = MIN_SIMILARITY,
                 top_k: int = TOP_K) -> Similarities:
    """``similar_pairs`` computed only for the areas at positions ``rows`` (all when None):
    every pair that involves one of them, weighted over all ``areas``, best first.

    A pair of a row area i and another area j is kept when j is among i's ``top_k``, as in
    ``similar_pairs``, or when i's similarity seen from j reaches ``kth[j]``, the ``top_k``-th
    best similarity j had when its own row was last computed: j's row is not computed again,
    so that stands in for "i is among j's ``top_k``". With ``rows`` None this is exactly
    ``similar_pairs``. The returned ``kth`` holds the rows' new values and ``kth`` elsewhere.
    """
    n = len(areas)
    if rows is None:
        chosen = np.arange(n, dtype=np.int64)
    else:
        chosen = np.unique(np.asarray(rows, dtype=np.int64))
        if len(chosen) and (chosen[0] < 0 or chosen[-1] >= n):
            raise ValueError(f"Rows must be positions of the {n} areas given.")
    others = len(chosen) < n
    if others and (kth is None or len(kth) != n):
        raise ValueError("The K-th best similarity of every area is needed for some rows.")
    kth_out = (np.full(n, -1.0, dtype=np.float32) if kth is None
               else np.asarray(kth, dtype=np.float32).copy())
    if n < 2 or len(chosen) == 0:
        return Similarities([], kth_out)
    cols = WORD_TABLES << WORD_BITS
    empty = np.zeros(0, dtype=np.int64)
    shown = _matrix([a.shown if a is not None else empty for a in areas], cols)
    mirrored = _matrix([a.mirrored if a is not None else empty for a in areas], cols)
    df = np.bincount(shown.indices, minlength=cols)
    idf = np.log((n + 1) / (df + 1)).astype(np.float32)
    idf[df > max(MAX_AREA_SHARE * n, _MIN_STOP_AREAS)] = 0.0
    xs, xm = _normalised(shown, idf), _normalised(mirrored, idf)
    # For a few rows, products are taken as (all areas) x (rows' transpose): transposing the
    # few rows costs nothing, transposing every area's vector costs as much as the rest.
    xs_t, xm_t = (xs.T.tocsr(), xm.T.tocsr()) if not others else (None, None)
    if groups is None:
        group = np.arange(n)
    else:
        numbers: dict[str, int] = {}
        group = np.asarray([numbers.setdefault(g, len(numbers)) for g in groups])
    is_row = np.zeros(n, dtype=bool)
    is_row[chosen] = True
    best: dict[tuple[int, int], tuple[float, bool]] = {}

    def offer(i: int, j: int, s: float, mirror: bool) -> None:
        if s < min_similarity or s <= 0.0:
            return  # sharing no weighted word is no candidate at any threshold
        key = (min(i, j), max(i, j))
        if key not in best or best[key][0] < s:
            best[key] = (s, mirror)

    block = max(1, _BLOCK_CELLS // n)
    k = min(top_k, n - 1)
    for start in range(0, len(chosen), block):
        block_rows = chosen[start:start + block]
        if others:
            part_t = xs[block_rows].T.tocsr()
            plain = (xs @ part_t).T.toarray()
            flip = (xm @ part_t).T.toarray()
        else:
            part = xs[start:start + len(block_rows)]
            plain = (part @ xs_t).toarray()
            flip = (part @ xm_t).toarray()
        sims = np.maximum(plain, flip)
        same = group[block_rows][:, None] == group[None, :]
        sims[same] = -1.0
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        kth_out[block_rows] = np.take_along_axis(sims, top, axis=1).min(axis=1)
        for r, row in enumerate(top):
            i = int(block_rows[r])
            for j in row.tolist():
                offer(i, j, float(sims[r, j]), bool(flip[r, j] > plain[r, j]))
        if not others:
            continue
        # Seen from j (not a row): j's words against i's words and i's mirror image.
        back = (xs @ xm[block_rows].T.tocsr()).T.toarray()
        seen = np.maximum(plain, back)
        seen[same] = -1.0
        r_idx, j_idx = np.nonzero((seen >= kth[None, :]) & ~is_row[None, :])
        for r, j in zip(r_idx.tolist(), j_idx.tolist(), strict=True):
            offer(int(block_rows[r]), j, float(seen[r, j]), bool(back[r, j] > plain[r, j]))
    out = [SimilarPair(i, j, round(s, 5), m) for (i, j), (s, m) in best.items()]
    out.sort(key=lambda p: (-p.similarity, p.i, p.j))
    return Similarities(out, kth_out)


@dataclass
class StripPair:
    """Area ``i`` (positions in the list given) may be the top or bottom of area ``j`` at its
    full width: the Hamming distance of their strip codes, and whether ``i`` matched mirrored."""

    i: int
    j: int
    distance: int
    mirrored: bool


def strip_pairs(areas: Sequence[AreaWords | None], groups: Sequence[str] | None = None,
                radius: int = STRIP_RADIUS, top_k: int = STRIP_TOP_K) -> list[StripPair]:
    """Every area i whose strip code (as shown or mirrored) is within ``radius`` of the code of
    a top or bottom part of another area j, where the part has i's shape (the part's share of
    j's height within STRIP_FRACTION_SLACK of i's height over width against j's), at most
    ``top_k`` nearest j for each i; nearest first. Areas of one group (media) never pair.

    Parts are indexed by their shape (height over width, in bands of _STRIP_SHAPE_BAND on a log
    scale), and an area looks only in the bands next to its own shape; its hits are cut to its
    ``top_k`` a block of areas at a time: a photo reposted hundreds of times puts hundreds of
    near codes in reach of each copy."""
    n_parts = 2 * len(STRIP_FRACTIONS)
    fractions = np.tile(np.asarray(STRIP_FRACTIONS, np.float64), 2)
    coded = np.asarray([k for k, a in enumerate(areas)
                        if a is not None and len(a.strips) == 2 + n_parts and a.aspect > 0],
                       np.int64)
    if not len(coded):
        return []
    table = np.stack([areas[k].strips for k in coded])  # (n, 2 + n_parts) uint64
    aspect = np.zeros(len(areas), np.float64)
    aspect[coded] = [areas[k].aspect for k in coded]
    at, slot = np.nonzero(table[:, 2:] != 0)
    owner = coded[at]
    part_band = _shape_band(fractions[slot] * aspect[owner])
    area_band = _shape_band(aspect[coded])
    group = (np.arange(len(areas)) if groups is None
             else np.unique(np.asarray(list(groups)), return_inverse=True)[1])
    found: list[np.ndarray] = []
    for band in np.unique(part_band).tolist():
        members = np.flatnonzero(part_band == band)
        index = HammingIndex(STRIP_BITS, workers=1)
        index.add(members, _code_bytes(table[at[members], 2 + slot[members]]))
        # A part's share is within the slack of the area's shape: at most one band apart.
        asking = np.flatnonzero(np.abs(area_band - band) <= 1)
        for start in range(0, len(asking), _STRIP_BLOCK):
            rows = asking[start:start + _STRIP_BLOCK]
            q_row, q_mirror = np.repeat(rows, 2), np.tile([0, 1], len(rows))
            q_codes = table[q_row, q_mirror]
            live = q_codes != 0
            q_row, q_mirror = q_row[live], q_mirror[live]
            row, hit, dist = index.query(_code_bytes(q_codes[live]), radius)
            i, j = coded[q_row[row]], owner[hit]
            ok = (group[i] != group[j]) & (np.abs(aspect[i] / aspect[j] - fractions[slot[hit]])
                                           <= STRIP_FRACTION_SLACK)
            found.append(_nearest(i[ok], j[ok], dist[ok].astype(np.int64),
                                  q_mirror[row][ok], top_k))
    # Each band kept an area's nearest there; the nearest of those are its nearest in all.
    pairs = np.concatenate(found) if found else np.zeros((0, 4), np.int64)
    pairs = _nearest(pairs[:, 0], pairs[:, 1], pairs[:, 2], pairs[:, 3], top_k)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0], pairs[:, 2]))]
    return [StripPair(int(a), int(b), int(d), bool(m)) for a, b, d, m in pairs.tolist()]


# Areas whose codes are looked up at once in ``strip_pairs``, and the width of a shape band
# (natural log of height over width): a part within STRIP_FRACTION_SLACK of an area's shape
# differs from it by at most -log(1 - 0.05 / 0.5) = 0.1054 on that scale (its share of the
# height is 0.5 or more), so the two are never more than one band apart.
_STRIP_BLOCK = 2048
_STRIP_SHAPE_BAND = 0.11


def _shape_band(shape: np.ndarray) -> np.ndarray:
    return np.floor(np.log(np.maximum(shape, 1e-6)) / _STRIP_SHAPE_BAND).astype(np.int64)


def _code_bytes(codes: np.ndarray) -> np.ndarray:
    """uint64 codes as the (n, 8) big-endian bytes the Hamming index takes."""
    return np.ascontiguousarray(codes, dtype=np.uint64).astype(">u8").view(np.uint8).reshape(-1, 8)


def _nearest(i: np.ndarray, j: np.ndarray, dist: np.ndarray, mirrored: np.ndarray,
             top_k: int) -> np.ndarray:
    """Rows (i, j, distance, mirrored): each (i, j) once at its least distance, then the
    ``top_k`` nearest j of each i (ties to the lower j)."""
    if len(i) == 0:
        return np.zeros((0, 4), np.int64)
    order = np.lexsort((mirrored, dist, j, i))
    i, j, dist, mirrored = i[order], j[order], dist[order], mirrored[order]
    first = np.ones(len(i), bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    i, j, dist, mirrored = i[first], j[first], dist[first], mirrored[first]
    order = np.lexsort((j, dist, i))
    i, j, dist, mirrored = i[order], j[order], dist[order], mirrored[order]
    starts = np.flatnonzero(np.r_[True, i[1:] != i[:-1]])
    rank = np.arange(len(i)) - np.repeat(starts, np.diff(np.r_[starts, len(i)]))
    keep = rank < top_k
    return np.column_stack([i[keep], j[keep], dist[keep], mirrored[keep].astype(np.int64)])
