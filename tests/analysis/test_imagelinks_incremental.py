"""Incremental image linking: a second run with nothing new describes and verifies nothing; a
run with a new file describes only its areas and verifies only pairs that involve them, keeps
analyst decisions, and finds what a full recomputation finds; a damaged cache is recomputed
with a one-sentence warning; a new verifier version verifies everything again."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from analysis import features, imagelinks, retrieval
from evidence import store
from evidence.importer import import_path
from synthetic.photos import render_scene


def _scene(folder: Path) -> None:
    """A boat photo, a copy cropped under a banner band, another boat photo."""
    folder.mkdir()
    photo = render_scene("boat", 21, (1200, 800), "day")
    photo.save(folder / "a_photo.jpg", quality=90)
    crop = photo.crop((180, 120, 1020, 680))
    banner = Image.new("RGB", (crop.width, crop.height + 120), (245, 245, 245))
    banner.paste(crop, (0, 120))
    banner.save(folder / "b_banner.jpg", quality=80)
    render_scene("boat", 22, (1200, 800), "day").save(folder / "d_other.jpg", quality=90)


def _later(folder: Path) -> None:
    """The top 45 % of the same photo, arriving in a later import."""
    folder.mkdir()
    render_scene("boat", 21, (1200, 800), "day").crop((0, 0, 1200, 360)).save(
        folder / "c_top.jpg", quality=85)


class _Spy:
    """Records the areas described and the pairs verified, in this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.described: list[str] = []
        self.verified: list[tuple[str, str]] = []
        words_many, verify_many = retrieval.words_many, features.verify_many

        def words(areas, workers=1, folder=None, tick=None):
            self.described += [Path(p).name for p, _ in areas]
            return words_many(areas, 1, folder, tick)

        def verify(pairs, workers=1, cache=None, tick=None):
            self.verified += [(Path(a[0]).name, Path(b[0]).name) for a, b in pairs]
            return verify_many(pairs, 1, cache, tick)

        monkeypatch.setattr(retrieval, "words_many", words)
        monkeypatch.setattr(features, "verify_many", verify)

    def clear(self) -> None:
        self.described.clear()
        self.verified.clear()


def _names(case) -> dict[str, str]:
    return {sha: name for sha, name in case.db.execute(
        "SELECT media_sha256, original_name FROM sightings")}


def _linked(case) -> set[tuple[str, str]]:
    names = _names(case)
    return {tuple(sorted((names[lk.a], names[lk.b]))) for lk in store.links(case, "image")}


@pytest.fixture()
def analysed(case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from analysis.pipeline import analyse

    spy = _Spy(monkeypatch)
    _scene(tmp_path / "first")
    import_path(case, tmp_path / "first", "folder")
    analyse(case, ocr_langs=None, workers=1)
    return case, spy


def test_nothing_new_describes_and_verifies_nothing(analysed) -> None:
    case, spy = analysed
    assert spy.described and spy.verified, "the first run describes and verifies"
    before = _linked(case)
    assert ("a_photo.jpg", "b_banner.jpg") in before
    spy.clear()
    stats = imagelinks.LinkStats()
    imagelinks.update_image_links(case, workers=1, stats=stats)
    assert stats.reused and stats.described == 0 and stats.verified == 0
    assert not spy.described and not spy.verified
    assert _linked(case) == before and not stats.warnings
    # One kept description per current area, nothing else.
    kept = list((case.cache_dir / "imagelinks" / "features").glob("*/*.npz"))
    assert len(kept) == stats.areas > 0


def test_new_media_verify_only_their_pairs_and_decisions_stay(analysed, tmp_path: Path
                                                                ) -> None:
    from analysis.pipeline import analyse

    case, spy = analysed
    first = store.links(case, "image")[0]
    store.decide(case, first.id, "rejected")
    spy.clear()
    _later(tmp_path / "later")
    import_path(case, tmp_path / "later", "folder")
    analyse(case, ocr_langs=None, workers=1)
    # Only the new file's areas are described; every pair verified involves it.
    assert spy.described and set(spy.described) == {_sha_name(case, "c_top.jpg")}
    assert spy.verified and all(_sha_name(case, "c_top.jpg") in pair for pair in spy.verified)
    linked = _linked(case)
    assert ("a_photo.jpg", "c_top.jpg") in linked or ("b_banner.jpg", "c_top.jpg") in linked
    assert not [k for k in linked if "d_other.jpg" in k]
    assert store.get_link(case, first.id).status == "rejected"
    work = [e.details["image_work"] for e in case.audit_entries()
            if e.action == "links.updated" and "image_work" in e.details][-1]
    assert work["described"] == len(set(spy.described)) and not work["reused"]
    # The same pairs as describing and verifying everything again.
    incremental = imagelinks.find_image_pairs(case, workers=1)
    full = imagelinks.find_image_pairs(case, workers=1, incremental=False)
    assert {k: (p["band"], p["regions"]) for k, p in incremental.items()} == \
        {k: (p["band"], _boxes_as_lists(p["regions"])) for k, p in full.items()}


def _sha_name(case, name: str) -> str:
    """The vault file name (the SHA-256) of the media first imported as ``name``."""
    return next(sha for sha, n in _names(case).items() if n == name)


def _boxes_as_lists(regions: dict) -> dict:
    # Pairs read back from the cache carry boxes as JSON lists.
    return {m: r | {"box": list(r["box"])} for m, r in regions.items()}


def test_damaged_cache_is_recomputed_with_a_warning(analysed) -> None:
    case, spy = analysed
    before = _linked(case)
    folder = case.cache_dir / "imagelinks"
    for name in ("result.json", "verified.json", "words.npz"):
        (folder / name).write_bytes(b"\x00 not a cache file")
    for file in list((folder / "features").rglob("*.npz"))[:1]:
        file.write_bytes(b"garbage")
    spy.clear()
    stats = imagelinks.LinkStats()
    imagelinks.update_image_links(case, workers=1, stats=stats)
    assert not stats.reused and stats.verified > 0 and stats.described == stats.areas
    assert len(stats.warnings) == 3
    assert all(w.count(".") == w.count(".json") + w.count(".npz") + 1 for w in stats.warnings)
    assert _linked(case) == before
    # Written afresh: the next run reuses it again.
    again = imagelinks.LinkStats()
    imagelinks.update_image_links(case, workers=1, stats=again)
    assert again.reused and not again.warnings


def test_a_new_verifier_version_verifies_again(analysed, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    case, spy = analysed
    before = _linked(case)
    monkeypatch.setattr(features, "VERIFIER_VERSION", features.VERIFIER_VERSION + "-next")
    spy.clear()
    stats = imagelinks.LinkStats()
    imagelinks.update_image_links(case, workers=1, stats=stats)
    # Words stay (the features are the same); every verification is done again.
    assert not stats.reused and stats.described == 0 and stats.verify_cached == 0
    assert stats.verified == len(spy.verified) > 0
    assert _linked(case) == before


def test_link_cache_round_trips(tmp_path: Path) -> None:
    cache = imagelinks.LinkCache(tmp_path / "links")
    codes = __import__("numpy").array([2 ** 64 - 1, 3], dtype="uint64")
    words = {"m1:0,0,10,10": ("abc", retrieval.AreaWords(
        __import__("numpy").array([1, 5, 9]), __import__("numpy").array([2]), codes, 0.75)),
        "m2:0,0,5,5": ("def", retrieval.AreaWords(
            __import__("numpy").zeros(0, dtype="int64"), __import__("numpy").array([7, 8])))}
    cache.save_words(words)
    back = cache.load_words()
    assert set(back) == set(words)
    for k, (d, w) in words.items():
        assert back[k][0] == d and back[k][1].shown.tolist() == w.shown.tolist()
        assert back[k][1].mirrored.tolist() == w.mirrored.tolist()
        assert back[k][1].strips.tolist() == w.strips.tolist()
        assert back[k][1].aspect == w.aspect
    v = features.Verification(40, 30, True, 1.0, 0.0, True, 0.01, 0.9, 0.5, True, 0.8)
    cache.save_verified({"a|b": v, "a|c": None})
    assert cache.load_verified() == {"a|b": v, "a|c": None}
    assert cache.load_result("x") is None and not cache.warnings
    assert imagelinks.LinkCache(tmp_path / "none").load_verified() is None


def test_a_run_stopped_while_verifying_verifies_the_new_pairs_next_time(
        analysed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.pipeline import analyse

    case, spy = analysed
    spied = features.verify_many

    def stop(pairs, workers=1, cache=None, tick=None):
        raise RuntimeError("stopped")

    _later(tmp_path / "later")
    import_path(case, tmp_path / "later", "folder")
    monkeypatch.setattr(features, "verify_many", stop)
    with pytest.raises(RuntimeError):
        analyse(case, ocr_langs=None, workers=1)
    monkeypatch.setattr(features, "verify_many", spied)
    spy.clear()
    stats = imagelinks.LinkStats()
    imagelinks.update_image_links(case, workers=1, stats=stats)
    # The new area was described in the stopped run (its features are kept) but its pairs
    # were never verified: they are now, and it links.
    new = _sha_name(case, "c_top.jpg")
    assert stats.verified > 0 and all(new in pair for pair in spy.verified)
    assert not spy.described or set(spy.described) == {new}
    linked = _linked(case)
    assert ("a_photo.jpg", "c_top.jpg") in linked or ("b_banner.jpg", "c_top.jpg") in linked


def test_a_cancel_while_checking_matches_leaves_the_links_as_they_were(analysed):
    from evidence.progress import Cancelled, CancelToken

    case, _spy = analysed
    before = _linked(case)
    assert before
    token = CancelToken()
    heard: list[str] = []

    def progress(p) -> None:
        heard.append(p.label)
        if "Checking" in p.label:
            token.cancel()

    with pytest.raises(Cancelled):
        imagelinks.update_image_links(case, workers=1, incremental=False, progress=progress,
                                      cancel=token)
    assert any("Describing" in label for label in heard)
    assert _linked(case) == before


def test_features_past_the_size_bound_are_described_again(
        analysed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from analysis.pipeline import analyse

    case, spy = analysed
    before = _linked(case)
    kept = case.cache_dir / "imagelinks" / "features"
    assert list(kept.glob("*/*.npz"))
    monkeypatch.setattr(imagelinks, "FEATURES_MAX_BYTES", 0)
    _later(tmp_path / "later")
    import_path(case, tmp_path / "later", "folder")
    spy.clear()
    analyse(case, ocr_langs=None, workers=1)
    work = [e.details["image_work"] for e in case.audit_entries()
            if e.action == "links.updated" and "image_work" in e.details][-1]
    # Nothing kept past the bound; verifications of old pairs are read back, not redone.
    assert work["evicted"] > 0 and not list(kept.glob("*/*.npz"))
    assert work["verify_cached"] > 0
    assert spy.verified and all(_sha_name(case, "c_top.jpg") in p for p in spy.verified)
    assert before <= _linked(case)
    # A later run describes the areas it needs again and finds what a full recomputation finds.
    again = imagelinks.find_image_pairs(case, workers=1, incremental=False)
    assert {k: p["band"] for k, p in again.items()} == {
        k: p["band"] for k, p in imagelinks.find_image_pairs(case, workers=1).items()}
