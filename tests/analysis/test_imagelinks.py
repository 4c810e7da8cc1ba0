"""Image links on a small generated collection: a repost, an export and a screenshot of one
photo link in the strong band; different photos, flat sea scenes included, never link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from analysis import features
from analysis.hashing import hash_image
from analysis.imagelinks import (
    RegionRecord,
    Thresholds,
    candidate_pairs,
    linkable,
    pairs_from_regions,
    records_from_hashes,
)
from synthetic import generate
from synthetic.photos import render_scene


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> tuple[dict, set[str], dict]:
    """A 40-file generated collection: its truth, the photos too flat to link, its pairs."""
    folder = tmp_path_factory.mktemp("links")
    # Seed 4 holds a repost that is only rescaled or recoloured and shown whole in a screenshot.
    generate(folder, 40, seed=4, workers=1)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    records: list[RegionRecord] = []
    flat = set()
    for f in truth["files"]:
        hashes = hash_image(folder / f["path"])
        if f["kind"] == "photo" and hashes.regions[0].low_quality:
            flat.add(f["sources"][0]["photo"])
        records += records_from_hashes(f["path"], hashes, len(records))
    return truth, flat, pairs_from_regions(linkable(records))


def _photos(f: dict) -> set[str]:
    return {s["photo"] for s in f["sources"] if s["visible_fraction"] >= 0.5}


def test_whole_copies_and_screenshots_of_one_photo_link_strong(collection) -> None:
    truth, flat, pairs = collection
    by_kind: dict[str, list[dict]] = {}
    for f in truth["files"]:
        by_kind.setdefault(f["kind"], []).append(f)
    # Copies that keep the whole photo and its frame: the original, an app export, a repost
    # only rescaled, recoloured, mirrored or recompressed. Crops and banners change what the
    # hashes see and are measured, not promised (bench/RESULTS-linking.md).
    whole = by_kind["photo"] + by_kind["export_media"] + [
        f for f in by_kind["repost"] if not {"crop", "banner"} & set(f["strata"])
    ]
    shots = [f for f in by_kind["screenshot"]
             if any(s["visible_fraction"] == 1.0 for s in f["sources"])]
    checked = reposts = 0
    for a in whole:
        for b in shots:
            # A photo too smooth for a reliable hash never links on the hash alone.
            full = {s["photo"] for s in b["sources"] if s["visible_fraction"] == 1.0} - flat
            if not _photos(a) & full:
                continue
            key = tuple(sorted((a["path"], b["path"])))
            assert key in pairs, f"{a['path']} and {b['path']} show one photo but do not link"
            assert pairs[key]["band"] == "strong", pairs[key]["why"]
            checked += 1
            reposts += a["kind"] == "repost"
    assert checked >= 10 and reposts >= 1, "the collection should hold such pairs"


def test_no_strong_link_between_different_photos(collection) -> None:
    truth, _, pairs = collection
    photos = {f["path"]: {s["photo"] for s in f["sources"]} for f in truth["files"]}
    strong = [k for k, p in pairs.items() if p["band"] == "strong"]
    assert len(strong) >= 20
    wrong = [k for k in strong if not photos[k[0]] & photos[k[1]]]
    assert wrong == []
    # Distractors are look-alike scenes with no source photo: nothing links to them.
    distractors = {f["path"] for f in truth["files"] if f["kind"] == "distractor"}
    assert not [k for k in pairs if distractors & set(k)]


def test_flat_sea_scenes_do_not_link(tmp_path: Path) -> None:
    records: list[RegionRecord] = []
    for seed in (11, 12):
        path = tmp_path / f"sea{seed}.jpg"
        render_scene("flat_sea", seed, (960, 640)).save(path, quality=88)
        records += records_from_hashes(path.name, hash_image(path), len(records))
    assert pairs_from_regions(linkable(records)) == {}
    # Two such scenes are alike enough that only the pHash check keeps them apart.
    loose = Thresholds(pdq_candidate=256, pdq_strong=256, phash_strong=64, phash_weak=64)
    assert len(pairs_from_regions(linkable(records), loose)) == 1


def _record(rid: int, media: str, kind: str, pdq: str, phash: str, low: bool = False):
    return RegionRecord(rid, media, kind, (0, 0, 10, 10), pdq, phash, phash, [], low)


def test_linkable_drops_flat_regions_and_screenshot_wholes() -> None:
    recs = [
        _record(0, "shot", "whole", "0" * 64, "0" * 16),
        _record(1, "shot", "photo", "0" * 64, "0" * 16),
        _record(2, "plain", "whole", "0" * 64, "0" * 16),
        _record(3, "flat", "whole", "0" * 64, "0" * 16, low=True),
    ]
    assert [r.id for r in linkable(recs)] == [1, 2]


def test_bands_follow_the_thresholds() -> None:
    base = "0" * 64
    near = "f" * 10 + "0" * 54  # 40 bits from base
    recs = [_record(0, "a", "whole", base, "0" * 16), _record(1, "b", "whole", near, "0" * 4
                                                                + "f" + "0" * 11)]
    assert [(c.pdq, c.phash) for c in candidate_pairs(recs, 64)] == [(40, 4)]
    t = Thresholds(pdq_candidate=64, pdq_strong=40, phash_strong=4, phash_weak=8)
    assert pairs_from_regions(recs, t)[("a", "b")]["band"] == "strong"
    t = Thresholds(pdq_candidate=64, pdq_strong=39, phash_strong=4, phash_weak=8)
    assert pairs_from_regions(recs, t)[("a", "b")]["band"] == "weak"
    t = Thresholds(pdq_candidate=64, pdq_strong=40, phash_strong=2, phash_weak=3)
    assert pairs_from_regions(recs, t) == {}
    assert pairs_from_regions(recs, Thresholds(pdq_candidate=39)) == {}


def test_window_hashes_link_a_crop_and_a_scrolled_off_part(tmp_path: Path) -> None:
    photo = render_scene("boat", 21, (1200, 800), "day")
    photo.save(tmp_path / "a_photo.jpg", quality=90)
    # About 8 % off three sides and 16 % off the bottom: near one of the window cuts.
    photo.crop((95, 62, 1108, 675)).save(tmp_path / "b_crop.jpg", quality=80)
    photo.crop((0, 0, 1200, 480)).save(tmp_path / "c_top.jpg", quality=85)
    render_scene("boat", 22, (1200, 800), "day").save(tmp_path / "d_other.jpg", quality=90)
    names = ["a_photo.jpg", "b_crop.jpg", "c_top.jpg", "d_other.jpg"]

    def pairs(windows: bool) -> dict:
        records: list[RegionRecord] = []
        for name in names:
            hashes = hash_image(tmp_path / name, windows=windows)
            records += records_from_hashes(name, hashes, len(records))
        return pairs_from_regions(linkable(records))

    plain = pairs(False)
    assert ("a_photo.jpg", "b_crop.jpg") not in plain
    assert ("a_photo.jpg", "c_top.jpg") not in plain
    found = pairs(True)
    for part in ("b_crop.jpg", "c_top.jpg"):
        p = found[("a_photo.jpg", part)]
        assert p["band"] == "strong" and p["partial"], p["why"]
        assert "only part of the other" in p["why"]
    assert not [k for k in found if "d_other.jpg" in k]


def _crop_scene(tmp_path: Path) -> list[str]:
    """A boat photo, a copy cropped 15 % a side under a banner band, its top 55 %, another."""
    photo = render_scene("boat", 21, (1200, 800), "day")
    photo.save(tmp_path / "a_photo.jpg", quality=90)
    crop = photo.crop((180, 120, 1020, 680))
    banner = Image.new("RGB", (crop.width, crop.height + 120), (245, 245, 245))
    banner.paste(crop, (0, 120))
    banner.save(tmp_path / "b_banner.jpg", quality=80)
    photo.crop((0, 0, 1200, 440)).save(tmp_path / "c_top.jpg", quality=85)
    render_scene("boat", 22, (1200, 800), "day").save(tmp_path / "d_other.jpg", quality=90)
    return ["a_photo.jpg", "b_banner.jpg", "c_top.jpg", "d_other.jpg"]


def test_local_features_confirm_crops_and_drop_unconfirmed_candidates(tmp_path: Path) -> None:
    names = _crop_scene(tmp_path)
    records: list[RegionRecord] = []
    for name in names:
        records += records_from_hashes(name, hash_image(tmp_path / name, windows=True),
                                       len(records))
    records = linkable(records)
    cache = features.FeatureCache()
    asked = []

    def verify(a: RegionRecord, b: RegionRecord) -> features.Verification:
        asked.append((a.media, b.media))
        return features.verify_features(cache, tmp_path / a.media, a.box, tmp_path / b.media,
                                        b.box)

    found = pairs_from_regions(records, verify=verify)
    for part in ("b_banner.jpg", "c_top.jpg"):
        p = found[("a_photo.jpg", part)]
        assert p["band"] == "strong", p["why"]
        assert "confirmed by" in p["why"] and "RANSAC inliers" in p["why"]
        assert p["verification"]["inliers"] >= features.MIN_INLIERS
    assert not [k for k in found if "d_other.jpg" in k]
    assert asked, "the crops are not strong on hashes, so they must have been verified"
    # When local features confirm nothing, candidates outside the strong hash band are dropped.
    refused = pairs_from_regions(records, verify=lambda a, b: None)
    assert ("a_photo.jpg", "b_banner.jpg") not in refused
    assert all(p["band"] == "strong" and not p["partial"] for p in refused.values())


def test_analyse_stores_window_hashes_and_links_a_verified_crop(case, tmp_path: Path) -> None:
    from analysis.pipeline import analyse
    from evidence import store
    from evidence.importer import import_path

    folder = tmp_path / "photos"
    folder.mkdir()
    _crop_scene(folder)
    import_path(case, folder, "folder")
    analyse(case, ocr_langs=None, workers=1)
    rows = case.db.execute("SELECT value FROM hashes WHERE variant = 'windows'").fetchall()
    assert rows and all(":" in w for w in rows[0][0].split())
    links = store.links(case, "image")
    assert links and all("confirmed by" in lk.why or "PDQ distance" in lk.why for lk in links)
    assert any("confirmed by" in lk.why for lk in links)
    names = {r[0]: r[1] for r in case.db.execute(
        "SELECT media_sha256, original_name FROM sightings")}
    linked = {names[lk.a] for lk in links} | {names[lk.b] for lk in links}
    assert {"a_photo.jpg", "b_banner.jpg", "c_top.jpg"} <= linked
    assert "d_other.jpg" not in linked
