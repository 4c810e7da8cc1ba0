"""ORB + RANSAC verification of image links (analysis/features.py)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from analysis.features import (
    DETAIL_CONFIRM,
    DETAIL_VETO,
    DETAIL_VETO_BELOW,
    MIN_INLIERS,
    FeatureError,
    Verification,
    detail_correlation,
    verify_pair,
)
from analysis.imagelinks import _detail_why

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


def _grey(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("L").resize((480, 360)), dtype=np.uint8)


def test_fine_detail_tells_a_copy_from_a_look_alike(tmp_path: Path) -> None:
    """Two drawings of one scene (same sky, sea and hull, other waves and people) correlate
    well blurred; their edges do not. A recompressed copy under a caption band still agrees in
    most cells of the grid."""
    original = _boat_photo(1)
    copy = original.copy()
    ImageDraw.Draw(copy).rectangle((0, 0, 640, 90), fill=(250, 250, 250))
    ImageDraw.Draw(copy).text((10, 20), "Sea Star Travel (fictional)", fill=(0, 0, 0),
                              font=ImageFont.truetype(str(FONT), 36))
    copy.save(tmp_path / "copy.jpg", quality=60)
    copy = Image.open(tmp_path / "copy.jpg")
    same = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert detail_correlation(_grey(original), _grey(copy), same) >= DETAIL_CONFIRM
    assert detail_correlation(_grey(original), _grey(_boat_photo(2)), same) < DETAIL_VETO
    # Shifted by a few pixels the edges no longer line up: the measure needs the alignment.
    shifted = np.array([[1.0, 0.0, 6.0], [0.0, 1.0, 6.0]])
    assert detail_correlation(_grey(original), _grey(copy), shifted) < DETAIL_CONFIRM
    # Areas that barely overlap say nothing.
    away = np.array([[1.0, 0.0, 470.0], [0.0, 1.0, 350.0]])
    assert detail_correlation(_grey(original), _grey(copy), away) == 0.0


def _verification(**kw) -> Verification:
    base = dict(matches=40, inliers=20, homography_ok=False, scale=1.0, rotation=0.0,
                mirrored=False, seconds=0.0, correlation=0.9, coverage=0.05, geometry_ok=True,
                spread=0.1, detail=None)
    return Verification(**(base | kw))


def test_fine_detail_confirms_bunched_inliers_and_refuses_disagreeing_edges() -> None:
    # Twenty inliers in one band: not enough for the rules, enough with agreeing edges.
    bunched = _verification()
    assert not bunched.confirmed
    assert _verification(detail=DETAIL_CONFIRM).confirmed
    assert _verification(detail=DETAIL_CONFIRM).detailed
    assert not _verification(detail=DETAIL_CONFIRM - 0.01).confirmed
    assert not _verification(detail=0.9, geometry_ok=False).confirmed
    assert not _verification(detail=0.9, correlation=0.3).confirmed
    # Inliers spread over the area pass the rules, unless the aligned edges disagree; then
    # the pair is left for review. From DETAIL_VETO_BELOW inliers the rules stand alone.
    spread = _verification(inliers=50, homography_ok=True, spread=0.8, coverage=0.4)
    assert spread.confirmed and spread.by_rules
    refused = _verification(inliers=50, homography_ok=True, spread=0.8, coverage=0.4,
                            detail=DETAIL_VETO - 0.01)
    assert not refused.confirmed and refused.vetoed and refused.borderline
    assert _verification(inliers=DETAIL_VETO_BELOW, homography_ok=True, spread=0.8,
                         coverage=0.4, detail=DETAIL_VETO - 0.01).confirmed
    assert "too little to confirm" in _detail_why(refused, strong=False)
    assert "accepted from" in _detail_why(_verification(detail=0.8), strong=True)


def test_half_scrolled_strip_verifies_against_the_photo(tmp_path: Path, photo: Path) -> None:
    """A screenshot showing a third of the photo, the rest scrolled off, under app chrome."""
    src = Image.open(photo)
    w, h = src.size
    strip = src.crop((0, int(h * 0.45), w, int(h * 0.78))).resize((600, 148))
    shot = Image.new("RGB", (640, 900), (24, 25, 26))
    shot.paste(strip, (20, 752))
    path = tmp_path / "shot.jpg"
    shot.save(path, quality=75)
    v = verify_pair(photo, None, path, (20, 752, 620, 900))
    assert v.confirmed, v
    assert v.detail is None or v.detail >= DETAIL_VETO
