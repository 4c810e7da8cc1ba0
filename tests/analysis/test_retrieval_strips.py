"""Strip candidates (analysis/retrieval.py strip codes): a photo scrolled mostly off a screen,
its strip of sea too plain for visual words and too partial for hashes, is found against the
top or bottom of its other copy, mirrored or not, and linked once verified."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from analysis import features, imagelinks, retrieval
from analysis.hashing import hash_image
from analysis.imagelinks import linkable, pairs_from_regions, records_from_hashes
from synthetic.photos import render_scene


@pytest.fixture(scope="module")
def scrolled(tmp_path_factory) -> tuple[Path, list[imagelinks.RegionRecord]]:
    """A dusk boat photo; a dark app screen showing its bottom 56 %, mirrored (the rest
    scrolled off the top); four other sea and shore photos, one of them a near-flat sea."""
    folder = tmp_path_factory.mktemp("scrolled")
    photo = render_scene("boat", 1, (1000, 750), time="dusk")
    photo.save(folder / "photo.jpg", quality=85)
    part = ImageOps.mirror(photo.crop((0, 330, 1000, 750))).resize((600, 252))
    shot = Image.new("RGB", (640, 1200), (18, 22, 28))
    shot.paste(part, (20, 150))
    shot.save(folder / "shot.jpg", quality=80)
    names = ["photo.jpg", "shot.jpg"]
    for k, scene in enumerate(("boat", "shore", "night_sea", "flat_sea")):
        render_scene(scene, 40 + k, (1000, 700)).save(folder / f"other_{k}.jpg", quality=85)
        names.append(f"other_{k}.jpg")
    records: list[imagelinks.RegionRecord] = []
    for name in names:
        # Without window hashes: the strip must be found by its code alone.
        records += records_from_hashes(name, hash_image(folder / name), len(records))
    return folder, linkable(records)


def _words(folder: Path, records) -> list[retrieval.AreaWords | None]:
    return retrieval.words_many([(folder / r.media, r.box) for r in records])


def test_strip_codes_are_fixed_and_flat_areas_have_none() -> None:
    rng = np.random.default_rng(5)
    thumb = (rng.random((72, 96)) * 255).astype(np.uint8)
    codes = retrieval.strip_codes(thumb)
    assert codes.dtype == np.uint64 and len(codes) == 2 + 2 * len(retrieval.STRIP_FRACTIONS)
    assert np.array_equal(codes, retrieval.strip_codes(thumb.copy()))
    assert codes[0] != codes[1]  # shown and mirrored differ
    assert retrieval.strip_codes(np.full((72, 96), 120, np.uint8)).size == 0
    assert retrieval.strip_codes(None).size == 0


def test_strip_pairs_find_the_photo_the_strip_was_cut_from(scrolled, monkeypatch) -> None:
    folder, records = scrolled
    words = _words(folder, records)
    media = [r.media for r in records]
    pairs = retrieval.strip_pairs(words, media)
    mine = [p for p in pairs if {media[p.i], media[p.j]} == {"shot.jpg", "photo.jpg"}]
    assert mine and media[mine[0].i] == "shot.jpg" and mine[0].mirrored, pairs
    assert mine[0].distance <= retrieval.STRIP_RADIUS
    # Areas of one media never pair; unreadable areas pair nothing.
    assert retrieval.strip_pairs(words, ["one"] * len(words)) == []
    assert retrieval.strip_pairs([None] * len(words), media) == []
    # Searched a block of areas at a time: blocks of one area give the same pairs.
    monkeypatch.setattr(retrieval, "_STRIP_BLOCK", 1)
    assert retrieval.strip_pairs(words, media) == pairs
    assert len(retrieval.strip_pairs(words, media, top_k=1)) <= len(words)
    # A strip whose shape no part of the photo has is not its part.
    shot = media.index("shot.jpg")
    squat = list(words)
    squat[shot] = replace(words[shot], aspect=0.1)
    assert not [p for p in retrieval.strip_pairs(squat, media)
                if {media[p.i], media[p.j]} == {"shot.jpg", "photo.jpg"}]


def test_strip_candidates_link_what_hashes_and_words_miss(scrolled) -> None:
    folder, records = scrolled
    cache = features.FeatureCache()

    def verify(a, b) -> features.Verification:
        return features.verify_features(cache, folder / a.media, a.box, folder / b.media, b.box)

    words = _words(folder, records)
    media = [r.media for r in records]
    similar = retrieval.similar_pairs(words, media)
    assert ("photo.jpg", "shot.jpg") not in pairs_from_regions(records, verify=verify,
                                                               similar=similar)
    found = pairs_from_regions(records, verify=verify, similar=similar,
                               strips=retrieval.strip_pairs(words, media))
    p = found[("photo.jpg", "shot.jpg")]
    assert p["band"] == "strong" and "found by the light and shade" in p["why"], p
    assert p["verification"]["mirrored"]
    # The other sea photos are candidates too, and none is linked.
    assert list(found) == [("photo.jpg", "shot.jpg")]
    # Candidates, never evidence: without a verifier strips link nothing.
    assert pairs_from_regions(records, strips=retrieval.strip_pairs(words, media)) == {}


def test_a_strip_candidate_confirmed_on_few_features_needs_fine_detail(scrolled) -> None:
    """Found by strip codes and confirmed by a few matching features (not as a strip), a pair
    is weak unless its fine edges reach WORDS_ONLY_DETAIL, as a pair found by words alone."""
    folder, records = scrolled
    cache = features.FeatureCache()
    words = _words(folder, records)
    strips = retrieval.strip_pairs(words, [r.media for r in records])

    def few(a, b) -> features.Verification:
        v = features.verify_features(cache, folder / a.media, a.box, folder / b.media, b.box)
        return replace(v, inliers=13, geometry_ok=True, correlation=0.89, strip="",
                       detail=imagelinks.WORDS_ONLY_DETAIL - 0.1)

    p = pairs_from_regions(records, verify=few, strips=strips)[("photo.jpg", "shot.jpg")]
    assert p["band"] == "weak" and "strip codes alone needs" in p["why"], p["why"]

    def sharp(a, b) -> features.Verification:
        return replace(few(a, b), detail=imagelinks.WORDS_ONLY_DETAIL)

    p = pairs_from_regions(records, verify=sharp, strips=strips)[("photo.jpg", "shot.jpg")]
    assert p["band"] == "strong"
