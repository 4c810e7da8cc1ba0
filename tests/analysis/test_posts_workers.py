"""Separator bands found in the analysis workers, kept by the pipeline's writer, and used by
posts.py without decoding the image again; the fallback for images without them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from analysis import pipeline, posts
from analysis.hashing import decode_grey
from analysis.posts import POSTS_VERSION, cache_key, find_separators, split_posts
from analysis.worker import analyse_media_batch

FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts" / "NotoSans-Regular.ttf"


def _feed() -> tuple[Image.Image, list[tuple[int, int, int, int]], list]:
    """A two-card phone feed on a grey background, text above each photo."""
    img = Image.new("RGB", (720, 1600), (240, 242, 245))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 26)
    photos, words = [], []
    for top in (20, 820):
        d.rectangle((0, top, 720, top + 760), fill=(255, 255, 255))
        for k, line in enumerate(("Sea Star Travel (fictional)", "Trips every Friday")):
            y = top + 20 + k * 40
            d.text((20, y), line, font=font, fill=(5, 5, 5))
            words.append((20, y + 4, 400, y + 32))
        # A photo has texture: noise over a sea and a boat, as the region finder expects.
        noise = np.random.default_rng(top).integers(0, 120, (580, 640, 3), dtype=np.uint8)
        photo = Image.fromarray(noise + np.array([20, 60, 100], dtype=np.uint8))
        ImageDraw.Draw(photo).polygon([(60, 380), (560, 380), (460, 460)], fill=(200, 200, 200))
        img.paste(photo, (40, top + 120))
        photos.append((40, top + 120, 680, top + 700))
    return img, photos, words


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_bands_on_the_hashing_copy_cut_like_the_full_image(tmp_path: Path):
    img, photos, words = _feed()
    path = tmp_path / "feed.png"
    path.write_bytes(_png(img))
    work, width, height = decode_grey(path)
    assert work.size != (width, height)  # the copy the workers hash is reduced
    full = find_separators(img, photos, words)
    reduced = find_separators(work, photos, words, (width, height))
    assert len(full) == len(reduced) >= 1
    step = height / work.height
    for (a0, a1), (b0, b1) in zip(full, reduced, strict=True):
        assert abs(a0 - b0) <= 2 * step and abs(a1 - b1) <= 2 * step
    ids = list(enumerate(photos))
    assert [p.regions for p in split_posts(ids, width, height, full, words)] == \
        [p.regions for p in split_posts(ids, width, height, reduced, words)] == [(0,), (1,)]


def _task(path: Path, tmp_path: Path, **extra) -> dict:
    return {"sha": "f" * 64, "path": str(path), "ocr_langs": None, "tmp_dir": str(tmp_path),
            "timeout": 60, "separators": True, **extra}


def test_worker_returns_the_bands_with_the_hashes(tmp_path: Path):
    img, photos, words = _feed()
    path = tmp_path / "feed.png"
    path.write_bytes(_png(img))
    hashed, only_bands, no_words = analyse_media_batch([
        _task(path, tmp_path, hash=True, words=[list(w) for w in words]),
        _task(path, tmp_path, hash=False, photos=[list(p) for p in photos],
              words=[list(w) for w in words]),
        _task(path, tmp_path, hash=True, words=[]),
    ])
    found = [tuple(r["box"]) for r in hashed["hashes"]["regions"] if r["kind"] == "photo"]
    work, width, height = decode_grey(path)
    assert hashed["separators"] == [list(b) for b in find_separators(
        work, found, words, (width, height))]
    assert any(780 <= (y0 + y1) / 2 <= 820 for y0, y1 in hashed["separators"])
    # Hashes up to date: the task's photo regions, one decode for the bands alone.
    assert "hashes" not in only_bands
    assert only_bands["separators"] == [list(b) for b in find_separators(
        work, photos, words, (width, height))]
    assert no_words["separators"] == []


def test_worker_gives_no_bands_when_a_half_failed(tmp_path: Path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    out = analyse_media_batch([_task(broken, tmp_path, hash=True, words=[[1, 2, 3, 4]])])[0]
    assert "hash_error" in out and "separators" not in out
    missing = analyse_media_batch([_task(tmp_path / "gone.png", tmp_path, hash=False,
                                         photos=[], words=[[1, 2, 3, 4]])])[0]
    assert "separators" not in missing


def _screenshot_case(case, img: Image.Image, words: list) -> tuple[str, int]:
    sha = case.vault.add_bytes(_png(img)).sha256
    ocr_words = [{"text": "word", "conf": 90.0, "box": list(b), "block": 1, "par": 1,
                  "line": n, "word": 1} for n, b in enumerate(words)]
    with case.transaction() as db:
        db.execute("INSERT INTO sources (kind, path, fingerprint, importer_version, started_at,"
                   " status, actor) VALUES ('folder', 'x', 'fp', '1', 'now', 'finished', 't')")
        item = db.execute("INSERT INTO items (source_id, source_ref, kind, created_at)"
                          " VALUES (1, 'a.png', 'screenshot', 'now')").lastrowid
        db.execute("INSERT INTO media (sha256, mime, size, width, height, readable, added_at)"
                   " VALUES (?, 'image/png', 1, ?, ?, 1, 'now')", [sha, *img.size])
        db.execute("INSERT INTO sightings (media_sha256, source_id, item_id, path_in_source,"
                   " original_name, role, created_at) VALUES (?, 1, ?, 'a.png', 'a.png',"
                   " 'file', 'now')", [sha, item])
        db.execute("INSERT INTO ocr (media_sha256, engine, engine_version, settings, text,"
                   " words, current, created_at) VALUES (?, 't', '5', '{}', 'w', ?, 1, 'now')",
                   [sha, json.dumps(ocr_words)])
    return sha, item


def test_analyse_keeps_the_bands_and_posts_need_no_decode(case, monkeypatch):
    img, _, words = _feed()
    img = img.crop((0, 0, 720, 1000))  # the second card's photo is below the screen
    sha, item = _screenshot_case(case, img, words)
    pipeline.analyse(case, ocr_langs=None, workers=1)

    cached = case.cache_dir / f"posts-v{POSTS_VERSION}.json"
    entry = json.loads(cached.read_text())[sha]
    ocr_id = case.db.execute("SELECT id FROM ocr WHERE current = 1").fetchone()[0]
    region_ids = [r[0] for r in case.db.execute(
        "SELECT id FROM regions WHERE current = 1 AND kind = 'photo'")]
    assert region_ids and entry["key"] == cache_key(ocr_id, region_ids)
    assert any(780 <= (y0 + y1) / 2 <= 820 for y0, y1 in entry["bands"])

    decodes = []

    def counting(path):
        decodes.append(path)
        return decode_grey(path)

    monkeypatch.setattr(posts, "decode_grey", counting)
    cached.write_text(json.dumps({sha: {"key": entry["key"], "bands": entry["bands"]}}))
    stored = posts.item_posts(case)[item]
    assert decodes == []
    # The post whose photo is off screen is a part of its own, as the separator says.
    assert stored.count == 2 and stored.media.parts[0].regions
    # With the bands gone (a case analysed before they were kept) the same posts are found.
    cached.unlink()
    assert posts.item_posts(case)[item].media.parts == stored.media.parts
    assert len(decodes) == 1


def test_new_ocr_makes_the_kept_bands_stale(case, monkeypatch):
    img, _, words = _feed()
    sha, item = _screenshot_case(case, img, words)
    pipeline.analyse(case, ocr_langs=None, workers=1)
    decodes = []
    monkeypatch.setattr(posts, "decode_grey",
                        lambda path: decodes.append(path) or decode_grey(path))
    posts.item_posts(case)
    assert decodes == []
    with case.transaction() as db:
        db.execute("UPDATE ocr SET current = 0")
        db.execute("INSERT INTO ocr (media_sha256, engine, engine_version, settings, text,"
                   " words, current, created_at) VALUES (?, 't', '6', '{}', 'w', '[]', 1,"
                   " 'now')", [sha])
    # No words now: the photos alone cut it, from the new key, not the old bands.
    parts = posts.item_posts(case)[item].media.parts
    key = json.loads((case.cache_dir / f"posts-v{POSTS_VERSION}.json").read_text())[sha]["key"]
    assert key.startswith(f"{case.db.execute('SELECT max(id) FROM ocr').fetchone()[0]}:")
    assert parts == split_posts(
        [(r[0], tuple(r[1:])) for r in case.db.execute(
            "SELECT id, x0, y0, x1, y1 FROM regions WHERE current = 1 AND kind = 'photo'")],
        720, 1600)


@pytest.mark.parametrize("garbage", ["list", "text", "entry"])
def test_a_damaged_posts_cache_is_ignored(case, garbage):
    img, _, words = _feed()
    sha, item = _screenshot_case(case, img, words)
    case.cache_dir.mkdir(parents=True, exist_ok=True)
    text = {"list": "[1, 2]", "text": "not json",
            "entry": json.dumps({sha: {"key": cache_key(1, []), "bands": [["x"]]}})}[garbage]
    (case.cache_dir / f"posts-v{POSTS_VERSION}.json").write_text(text)
    assert posts.item_posts(case)[item].count == 2
