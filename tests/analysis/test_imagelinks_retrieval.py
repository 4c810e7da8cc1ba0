"""Visual-word candidates (analysis/retrieval.py) and batch verification: two copies that show
different parts of a photo, one mirrored, are found without any hash match and confirmed;
another photo is not linked; a process pool gives the same answers as the calling process."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageOps

from analysis import features, retrieval
from analysis.hashing import hash_image
from analysis.imagelinks import (
    WORDS_ONLY_DETAIL,
    RegionRecord,
    linkable,
    pairs_from_regions,
    records_from_hashes,
)
from synthetic.photos import render_scene


@pytest.fixture(scope="module")
def halves(tmp_path_factory) -> tuple[Path, list[str]]:
    """The top 75 % of a street photo, its bottom 69 % mirrored (a photo half scrolled off
    against a mirrored crop: they share under half the photo), and six other scenes, so the
    word weights have a collection to be measured on."""
    folder = tmp_path_factory.mktemp("halves")
    photo = render_scene("street", 21, (1200, 800))
    photo.crop((0, 0, 1200, 600)).save(folder / "a_top.jpg", quality=88)
    ImageOps.mirror(photo.crop((0, 250, 1200, 800))).save(folder / "b_bottom_mirrored.jpg",
                                                          quality=80)
    names = ["a_top.jpg", "b_bottom_mirrored.jpg"]
    for k, scene in enumerate(("street", "room", "harbour", "food", "lifejackets", "shore")):
        render_scene(scene, 40 + k, (1000, 700)).save(folder / f"other_{k}.jpg", quality=85)
        names.append(f"other_{k}.jpg")
    return folder, names


def _records(folder: Path, names: list[str]) -> list[RegionRecord]:
    records: list[RegionRecord] = []
    for name in names:
        records += records_from_hashes(name, hash_image(folder / name, windows=True),
                                       len(records))
    return linkable(records)


def test_words_are_fixed_and_mirror_aware(halves) -> None:
    folder, names = halves
    first = retrieval.area_words(folder / names[0], None)
    again = retrieval.area_words(folder / names[0], None)
    assert np.array_equal(first.shown, again.shown) and len(first.shown) > 1000
    assert not np.array_equal(first.shown, first.mirrored)
    assert retrieval.words(None).size == 0


def test_similar_pairs_rank_the_same_photo_first(halves) -> None:
    folder, names = halves
    words = retrieval.words_many([(folder / n, None) for n in names])
    pairs = retrieval.similar_pairs(words, names, min_similarity=0.0)
    assert pairs, "three described areas must give similar pairs"
    best = pairs[0]
    assert (best.i, best.j) == (0, 1) and best.mirrored
    assert best.similarity >= retrieval.MIN_SIMILARITY
    assert len(pairs) == len(names) * (len(names) - 1) // 2
    # Top-k keeps each area's nearest partners only.
    assert len(retrieval.similar_pairs(words, names, min_similarity=0.0, top_k=1)) < len(pairs)
    # Areas of one media never pair, and an unreadable area (None) pairs nothing.
    assert retrieval.similar_pairs(words, ["one"] * len(names), min_similarity=0.0) == []
    assert retrieval.similar_pairs([words[0], None], min_similarity=0.0) == []


def test_visual_word_candidates_link_what_hashes_miss(halves) -> None:
    folder, names = halves
    records = _records(folder, names)
    cache = features.FeatureCache()

    def verify(a: RegionRecord, b: RegionRecord) -> features.Verification:
        return features.verify_features(cache, folder / a.media, a.box, folder / b.media, b.box)

    without = pairs_from_regions(records, verify=verify)
    assert ("a_top.jpg", "b_bottom_mirrored.jpg") not in without
    words = retrieval.words_many([(folder / r.media, r.box) for r in records])
    similar = retrieval.similar_pairs(words, [r.media for r in records])
    found = pairs_from_regions(records, verify=verify, similar=similar)
    p = found[("a_top.jpg", "b_bottom_mirrored.jpg")]
    assert p["band"] == "strong", p["why"]
    assert "found by shared local features" in p["why"] and "confirmed by" in p["why"]
    assert p["verification"]["mirrored"] and p["transformed"]
    assert not [k for k in found if "other" in k[0] or "other" in k[1]]
    # Found by visual words alone and confirmed with few inliers, a pair needs fine detail of
    # WORDS_ONLY_DETAIL to be strong (the same drawn boat in two photos gets that far).
    def doubtful(a: RegionRecord, b: RegionRecord) -> features.Verification:
        v = replace(verify(a, b), inliers=40, detail=WORDS_ONLY_DETAIL - 0.05,
                    correlation=0.9, geometry_ok=True)
        assert v.confirmed
        return v

    weak = pairs_from_regions(records, verify=doubtful, similar=similar)
    p = weak[("a_top.jpg", "b_bottom_mirrored.jpg")]
    assert p["band"] == "weak" and "found by visual words or strip codes alone needs" in p["why"], p["why"]
    # A verifier that refuses everything leaves no visual-word link.
    assert pairs_from_regions(records, verify=lambda a, b: None, similar=similar) == {}
    # Nor does one without a verifier: visual words are candidates, never evidence.
    assert pairs_from_regions(records, similar=similar) == {}


def test_verify_many_in_a_pool_matches_the_calling_process(halves, monkeypatch) -> None:
    folder, names = halves
    areas = [(folder / n, None) for n in names]
    pairs = [(areas[0], areas[1]), (areas[0], areas[2]), (areas[1], areas[2]),
             (areas[0], (folder / "missing.jpg", None))]
    here = features.verify_many(pairs, workers=1)
    monkeypatch.setattr(features, "_POOL_MIN_PAIRS", 1)
    pooled = features.verify_many(pairs, workers=2)
    assert here[3] is None and pooled[3] is None
    assert [(v.inliers, v.confirmed, v.mirrored) for v in here[:3]] == \
        [(v.inliers, v.confirmed, v.mirrored) for v in pooled[:3]]
    assert here[0].confirmed and not here[1].confirmed


def test_feature_cache_keeps_at_most_max_areas(halves) -> None:
    folder, names = halves
    cache = features.FeatureCache(max_areas=2)
    for n in names:
        cache.features(folder / n, None)
    assert len(cache) == 2
    with pytest.raises(features.FeatureError):
        cache.features(folder / "missing.jpg", None)
