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
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import features
from .worker import end_with_parent

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
# the extra candidates cost more verification than they find.
MIN_SIMILARITY = 0.01
TOP_K = 40
# Dense similarity rows held at once: about 64 MB of float32.
_BLOCK_CELLS = 1 << 24
# Below this many areas, describing them in a process pool costs more than it saves.
_POOL_MIN_AREAS = 48


def _selection() -> np.ndarray:
    rng = np.random.default_rng(_SELECTION_SEED)
    return np.stack([rng.choice(256, WORD_BITS, replace=False) for _ in range(WORD_TABLES)])


_SELECTION = _selection()
_WEIGHTS = (1 << np.arange(WORD_BITS, dtype=np.int64))


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
    """The visual words of one area as shown and as its left-right mirror image."""

    shown: np.ndarray
    mirrored: np.ndarray


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
    return AreaWords(words(cache.features(path, box).descriptors),
                     words(cache.features(path, box, mirrored=True).descriptors))


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
        with mp.get_context("spawn").Pool(workers, initializer=end_with_parent) as pool:
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
    m = m.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags(1.0 / norms) @ m).tocsr()


def similar_pairs(areas: Sequence[AreaWords | None], groups: Sequence[str] | None = None,
                  min_similarity: float = MIN_SIMILARITY,
                  top_k: int = TOP_K) -> list[SimilarPair]:
    """Every two areas whose words are alike (cosine similarity >= ``min_similarity`` and
    above 0, among the ``top_k`` most similar partners of either), best first.

    Areas in the same group (``groups[i]``, the media they belong to) are never paired; areas
    given as None never pair.
    """
    n = len(areas)
    if n < 2:
        return []
    cols = WORD_TABLES << WORD_BITS
    empty = np.zeros(0, dtype=np.int64)
    shown = _matrix([a.shown if a is not None else empty for a in areas], cols)
    mirrored = _matrix([a.mirrored if a is not None else empty for a in areas], cols)
    df = np.bincount(shown.indices, minlength=cols)
    idf = np.log((n + 1) / (df + 1)).astype(np.float32)
    idf[df > max(MAX_AREA_SHARE * n, _MIN_STOP_AREAS)] = 0.0
    xs, xm = _normalised(shown, idf), _normalised(mirrored, idf)
    xs_t, xm_t = xs.T.tocsr(), xm.T.tocsr()
    if groups is None:
        group = np.arange(n)
    else:
        numbers: dict[str, int] = {}
        group = np.asarray([numbers.setdefault(g, len(numbers)) for g in groups])
    best: dict[tuple[int, int], tuple[float, bool]] = {}
    block = max(1, _BLOCK_CELLS // n)
    k = min(top_k, n - 1)
    for start in range(0, n, block):
        stop = min(n, start + block)
        plain = (xs[start:stop] @ xs_t).toarray()
        flip = (xs[start:stop] @ xm_t).toarray()
        sims = np.maximum(plain, flip)
        rows = np.arange(start, stop)
        sims[group[rows][:, None] == group[None, :]] = -1.0
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < n else np.tile(
            np.arange(n), (stop - start, 1))
        for r, row in enumerate(top):
            i = start + r
            for j in row.tolist():
                s = float(sims[r, j])
                if s < min_similarity or s <= 0.0:
                    continue  # sharing no weighted word is no candidate at any threshold
                key = (min(i, j), max(i, j))
                if key not in best or best[key][0] < s:
                    best[key] = (s, bool(flip[r, j] > plain[r, j]))
    out = [SimilarPair(i, j, round(s, 5), m) for (i, j), (s, m) in best.items()]
    out.sort(key=lambda p: (-p.similarity, p.i, p.j))
    return out
