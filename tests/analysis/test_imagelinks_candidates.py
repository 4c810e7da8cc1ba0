"""The kept candidate search (imagelinks.search_candidates): a later run searches only pairs
that involve new or re-hashed areas and ends with exactly the hash candidates of a full
search, drops areas gone, and recomputes everything after damage or a version change; the
visual-word side (retrieval.similar_rows) matches a full search wherever weights are the
same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import imagelinks, retrieval
from analysis.imagelinks import LinkCache, RegionRecord
from tests.analysis.test_imagelinks_incremental import _later, _scene

RADIUS = imagelinks.candidate_radius(imagelinks.Thresholds(), True)


def _flip(rng: np.random.Generator, hex_: str, flips: int) -> str:
    value = int(hex_, 16)
    for bit in rng.choice(len(hex_) * 4, flips, replace=False):
        value ^= 1 << int(bit)
    return f"{value:0{len(hex_)}x}"


def _records(n: int, seed: int = 3) -> list[RegionRecord]:
    """``n`` areas with random hashes; every third a near copy (some mirrored, some a crop
    matching a window) of an earlier one; a few media with two areas."""
    rng = np.random.default_rng(seed)

    def rand(bits: int) -> str:
        return "".join(f"{int(v):016x}" for v in rng.integers(0, 2 ** 63, bits // 64))

    out: list[RegionRecord] = []
    for k in range(n):
        media = f"m{k // 4 * 3 + min(k % 4, 2)}"
        if k % 3 == 2 and out:
            src = out[int(rng.integers(0, len(out)))]
            kind = k % 9
            if kind == 2:  # near copy
                pdq, variants = _flip(rng, src.pdq, 30), [_flip(rng, v, 30) for v in src.variants]
            elif kind == 5:  # mirrored copy: its original is near the source's flip variant
                pdq, variants = _flip(rng, src.variants[3], 25), [rand(256) for _ in range(7)]
            else:  # a crop: near one of the source's windows
                pdq, variants = _flip(rng, src.windows[1][0], 20), [rand(256) for _ in range(7)]
            phash = _flip(rng, src.phash, 3)
        else:
            pdq, variants, phash = rand(256), [rand(256) for _ in range(7)], rand(64)
        windows = [(rand(256), rand(64)) for _ in range(3)]
        out.append(RegionRecord(k, media, "photo", (0, 0, 50, 50 + k), pdq, phash, rand(64),
                                variants, False, windows))
    return out


def _words(n: int, seed: int = 5) -> list[retrieval.AreaWords]:
    rng = np.random.default_rng(seed)
    common = rng.integers(0, 1 << 20, 400)
    out = []
    for k in range(n):
        own = rng.integers(0, retrieval.WORD_TABLES << retrieval.WORD_BITS, 60)
        shared = rng.choice(common, 40, replace=False)
        if k % 3 == 2:  # shares words with the area before it
            own = np.concatenate([own[:20], out[-1].shown[:40]])
        out.append(retrieval.AreaWords(np.unique(np.concatenate([own, shared])),
                                       np.unique(rng.integers(0, 1 << 20, 80))))
    return out


def _as_tuples(regions: list[RegionRecord], cands: list[imagelinks.Candidate]) -> list:
    return [(imagelinks.area_key(regions[c.i]), imagelinks.area_key(regions[c.j]), c.pdq,
             c.phash, c.transformed, c.partial) for c in cands]


def _touching(pairs: list[retrieval.SimilarPair], rows: set[int]) -> list[tuple]:
    return [(p.i, p.j, p.similarity, p.mirrored) for p in pairs if p.i in rows or p.j in rows]


@pytest.mark.parametrize("radius", [64, RADIUS])
def test_new_areas_only_give_the_full_searchs_candidates(tmp_path: Path, radius: int) -> None:
    regions, words = _records(90), _words(90)
    full = imagelinks.search_candidates(regions, words, radius)
    assert any(c.partial for c in full.hash) and any(c.transformed for c in full.hash)
    cache = LinkCache(tmp_path)
    first = imagelinks.search_candidates(regions[:70], words[:70], radius, cache, "v")
    assert first.searched_areas == 70 and first.reused == 0
    later = imagelinks.search_candidates(regions, words, radius, cache, "v")
    assert later.searched_areas == 20 and later.reused > 0
    assert _as_tuples(regions, later.hash) == _as_tuples(regions, full.hash)
    # Pairs that involve a new area and that the new area's own row ranks are the full
    # search's (weights moved only slightly: 20 areas added to 70).
    new = set(range(70, 90))
    assert set(_touching(full.similar, new)) & set(_touching(later.similar, new))


def test_areas_gone_and_rehashed_are_dropped_and_searched_again(tmp_path: Path) -> None:
    regions, words = _records(90), _words(90)
    cache = LinkCache(tmp_path)
    imagelinks.search_candidates(regions, words, RADIUS, cache, "v")
    # Ten areas leave the case; one is hashed anew (another hash engine moved its PDQ).
    rng = np.random.default_rng(9)
    now = [r for k, r in enumerate(regions) if k % 9 != 4]
    kept_words = [w for k, w in enumerate(words) if k % 9 != 4]
    now[7] = RegionRecord(**(vars(now[7]) | {"pdq": _flip(rng, now[7].pdq, 12)}))
    later = imagelinks.search_candidates(now, kept_words, RADIUS, cache, "v")
    full = imagelinks.search_candidates(now, kept_words, RADIUS)
    assert later.searched_areas == 1
    assert _as_tuples(now, later.hash) == _as_tuples(now, full.hash)
    assert all(p.i < len(now) and p.j < len(now) for p in later.similar)
    # Nothing new: everything read back, the same candidates again.
    again = imagelinks.search_candidates(now, kept_words, RADIUS, cache, "v")
    assert again.searched_areas == 0
    assert _as_tuples(now, again.hash) == _as_tuples(now, full.hash)
    assert again.similar == later.similar


def test_another_version_or_a_damaged_file_searches_everything(tmp_path: Path) -> None:
    regions, words = _records(40), _words(40)
    cache = LinkCache(tmp_path)
    imagelinks.search_candidates(regions, words, RADIUS, cache, "v1")
    assert imagelinks.search_candidates(regions, words, RADIUS, cache,
                                        "v2").searched_areas == 40
    (tmp_path / "candidates.npz").write_bytes(b"not a numpy file")
    damaged = LinkCache(tmp_path)
    found = imagelinks.search_candidates(regions, words, RADIUS, damaged, "v2")
    assert found.searched_areas == 40
    assert len(damaged.warnings) == 1 and "candidates.npz" in damaged.warnings[0]
    assert imagelinks.search_candidates(regions, words, RADIUS, LinkCache(tmp_path),
                                        "v2").searched_areas == 0


def test_a_changed_threshold_changes_the_version() -> None:
    engines = ["tideline-hash 4"]
    assert imagelinks.candidates_version(104, engines) != imagelinks.candidates_version(
        96, engines)
    assert imagelinks.candidates_version(104, engines) != imagelinks.candidates_version(
        104, ["tideline-hash 5"])


def test_similar_rows_match_the_full_search_when_weights_are_the_same() -> None:
    words, groups = _words(120), [f"m{k // 2}" for k in range(120)]
    full = retrieval.similar_rows(words, groups, top_k=5)
    assert retrieval.similar_pairs(words, groups, top_k=5) == full.pairs
    rows = {3, 50, 51, 119}
    part = retrieval.similar_rows(words, groups, sorted(rows), full.kth, top_k=5)
    assert part.pairs and len(_touching(part.pairs, rows)) == len(part.pairs)
    assert part.pairs == [p for p in full.pairs if p.i in rows or p.j in rows]
    with pytest.raises(ValueError, match="K-th best"):
        retrieval.similar_rows(words, groups, [3])


def test_a_case_searches_only_the_new_files_areas(case, tmp_path: Path) -> None:
    from analysis.pipeline import AnalysisReport, _media_stage, analyse
    from evidence.importer import import_path

    _scene(tmp_path / "first")
    import_path(case, tmp_path / "first", "folder")
    analyse(case, ocr_langs=None, workers=1)
    _later(tmp_path / "later")
    import_path(case, tmp_path / "later", "folder")
    # Hashed, not linked: the linking below is the run under test.
    _media_stage(case, AnalysisReport(), None, 1, None, None)
    stats = imagelinks.LinkStats()
    incremental = imagelinks.find_image_pairs(case, workers=1, stats=stats)
    assert stats.candidate_areas == 1 and stats.candidates_cached > 0
    full_stats = imagelinks.LinkStats()
    full = imagelinks.find_image_pairs(case, workers=1, incremental=False, stats=full_stats)
    assert full_stats.candidate_areas == full_stats.areas == stats.areas
    assert {k: (p["band"], p["pdq"], p["phash"]) for k, p in incremental.items()} == \
        {k: (p["band"], p["pdq"], p["phash"]) for k, p in full.items()}
