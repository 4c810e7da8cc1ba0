"""ORB + RANSAC verification of image links (analysis/features.py)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from analysis.features import MIN_INLIERS, FeatureError, verify_pair

FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts" / "NotoSans-Bold.ttf"


def _boat_photo(seed: int, size=(640, 480)) -> Image.Image:
    """A busy drawn scene: sky, sea with waves, a hull, people, so it has corners to find."""
    rnd = random.Random(seed)
    im = Image.new("RGB", size, (120, 170, 220))
    d = ImageDraw.Draw(im)
    w, h = size
    d.rectangle((0, h // 2, w, h), fill=(20, 70, 120))
    for _ in range(220):
        x, y = rnd.randrange(w), rnd.randrange(h // 2, h)
        d.line((x, y, x + rnd.randrange(5, 30), y + rnd.randrange(-3, 4)),
               fill=(200, 220, 240), width=2)
    d.polygon([(w * 0.2, h * 0.55), (w * 0.8, h * 0.55), (w * 0.7, h * 0.7), (w * 0.3, h * 0.7)],
              fill=(150, 40, 30))
    for _ in range(40):
        x, y = rnd.randrange(int(w * 0.25), int(w * 0.75)), rnd.randrange(int(h * 0.4),
                                                                         int(h * 0.55))
        colour = tuple(rnd.randrange(256) for _ in range(3))
        d.ellipse((x, y, x + 9, y + 9), fill=colour)
        d.rectangle((x + 1, y + 9, x + 8, y + 22), fill=colour)
    for _ in range(30):
        x, y = rnd.randrange(w), rnd.randrange(h // 2)
        d.rectangle((x, y, x + rnd.randrange(10, 50), y + rnd.randrange(5, 20)),
                    fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "boat.jpg"
    _boat_photo(1).save(p, quality=88)
    return p


def test_crop_with_banner_verifies(tmp_path: Path, photo: Path) -> None:
    src = Image.open(photo)
    w, h = src.size
    crop = src.crop((int(w * 0.15), int(h * 0.15), w, h)).resize((500, 383))
    out = Image.new("RGB", (500, 383 + 70), (250, 250, 250))
    out.paste(crop, (0, 70))
    ImageDraw.Draw(out).text((10, 15), "Sea Star Travel (fictional)", fill=(0, 0, 0),
                             font=ImageFont.truetype(str(FONT), 28))
    repost = tmp_path / "repost.jpg"
    out.save(repost, quality=70)
    v = verify_pair(photo, None, repost, None)
    assert v.confirmed, v
    assert v.inliers >= MIN_INLIERS
    assert 0.6 < v.scale < 1.2
    assert not v.mirrored


def test_mirrored_copy_inside_a_box_verifies(tmp_path: Path, photo: Path) -> None:
    shot = Image.new("RGB", (720, 1280), (255, 255, 255))
    shot.paste(Image.open(photo).transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((640, 480)),
               (40, 300))
    path = tmp_path / "shot.png"
    shot.save(path)
    v = verify_pair(photo, None, path, (40, 300, 680, 780))
    assert v.confirmed and v.mirrored, v


def test_different_photos_do_not_verify(tmp_path: Path, photo: Path) -> None:
    other = tmp_path / "other.jpg"
    _boat_photo(2).save(other, quality=88)
    assert not verify_pair(photo, None, other, None).confirmed


def test_flat_sea_and_fog_do_not_verify(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    sea = np.zeros((480, 640, 3), np.uint8)
    sea[...] = (25, 80, 130)
    sea = np.clip(sea + rng.normal(0, 4, sea.shape), 0, 255).astype(np.uint8)
    fog = np.full((480, 640, 3), 200, np.uint8)
    fog = np.clip(fog + rng.normal(0, 4, fog.shape), 0, 255).astype(np.uint8)
    a, b = tmp_path / "sea.jpg", tmp_path / "fog.jpg"
    Image.fromarray(sea).filter(ImageFilter.GaussianBlur(2)).save(a, quality=80)
    Image.fromarray(fog).filter(ImageFilter.GaussianBlur(2)).save(b, quality=80)
    v = verify_pair(a, None, b, None)
    assert not v.confirmed and not v.borderline, v
    # The same flat sea twice has no consistent geometry to confirm either.
    assert not verify_pair(a, None, a, (0, 0, 540, 400)).confirmed


def test_unreadable_file_is_a_clear_error(tmp_path: Path, photo: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(FeatureError, match="bad.jpg"):
        verify_pair(photo, None, bad, None)
