"""Hashes of whole images and photo regions: reposts match, different photos do not."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from analysis.hashing import (
    HashingError,
    bytes_to_hex,
    hamming,
    hamming_hex,
    hash_image,
    hex_to_bytes,
    popcount,
    to_words,
)

# The screenshot drawing helpers live beside the region tests; load them by path because test
# directories are not packages.
_spec = importlib.util.spec_from_file_location(
    "region_fixtures", Path(__file__).with_name("test_regions.py")
)
_screens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_screens)
draw_photo, draw_screenshot, iou = _screens.draw_photo, _screens.draw_screenshot, _screens.iou


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "boat.jpg"
    draw_photo(900, 600, seed=0).save(path, quality=85)
    return path


def test_hash_shapes(photo_file: Path) -> None:
    result = hash_image(photo_file)
    assert (result.width, result.height) == (900, 600)
    [whole] = result.regions
    assert whole.kind == "whole" and whole.box == (0, 0, 900, 600)
    assert len(whole.phash) == 16 and len(whole.phash_mirror) == 16
    assert len(whole.pdq) == 64 and len(whole.pdq_dihedral) == 8
    assert whole.pdq == whole.pdq_dihedral[0]
    assert all(len(h) == 64 for h in whole.pdq_dihedral)
    assert 50 <= whole.pdq_quality <= 100
    assert not whole.low_quality


@pytest.mark.parametrize(("fmt", "layout"), [("png", "phone"), ("jpg", "phone"),
                                              ("jpg", "desktop")])
def test_photo_inside_screenshot_matches_the_photo(tmp_path: Path, fmt: str, layout: str) -> None:
    shot, truth = draw_screenshot(layout, "dark", 1, False, seed=4)
    shot_path = tmp_path / f"shot.{fmt}"
    shot.save(shot_path, **({"quality": 75} if fmt == "jpg" else {}))
    photo_path = tmp_path / "photo.jpg"
    shot.crop(truth[0]).save(photo_path, quality=90)

    standalone = hash_image(photo_path).regions[0]
    result = hash_image(shot_path)
    assert (result.width, result.height) == shot.size
    assert result.regions[0].kind == "whole"
    photos = [r for r in result.regions if r.kind == "photo"]
    assert len(photos) == 1 and iou(photos[0].box, truth[0]) >= 0.9
    assert hamming_hex(photos[0].phash, standalone.phash) <= 8
    # A box a few pixels off (JPEG ringing beside the photo's top edge in the desktop case
    # puts it 5 px high) moves PDQ by up to about 35 of 256; copies link at 72 or less.
    assert hamming_hex(photos[0].pdq, standalone.pdq) <= 40
    # The interface around the photo is what defeats whole-image hashing.
    assert hamming_hex(result.regions[0].pdq, standalone.pdq) > 31


def test_reposts_match_and_other_photos_do_not(tmp_path: Path, photo_file: Path) -> None:
    original = hash_image(photo_file).regions[0]
    with Image.open(photo_file) as im:
        im.resize((450, 300)).save(tmp_path / "small.jpg", quality=60)
        ImageOps.mirror(im).save(tmp_path / "mirror.jpg", quality=80)
        banner = im.copy()
    banner.paste((20, 20, 20), (0, 540, 900, 600))
    banner.save(tmp_path / "banner.png")
    draw_photo(900, 600, seed=1).save(tmp_path / "other.jpg", quality=85)

    small = hash_image(tmp_path / "small.jpg").regions[0]
    assert hamming_hex(small.phash, original.phash) <= 6
    assert hamming_hex(small.pdq, original.pdq) <= 20
    with_banner = hash_image(tmp_path / "banner.png").regions[0]
    assert hamming_hex(with_banner.pdq, original.pdq) <= 31
    mirrored = hash_image(tmp_path / "mirror.jpg").regions[0]
    assert hamming_hex(mirrored.phash_mirror, original.phash) <= 6
    assert min(hamming_hex(mirrored.pdq, h) for h in original.pdq_dihedral) <= 31
    other = hash_image(tmp_path / "other.jpg").regions[0]
    assert hamming_hex(other.phash, original.phash) > 12
    assert hamming_hex(other.pdq, original.pdq) > 60


def test_flat_and_tiny_images_are_low_quality(tmp_path: Path) -> None:
    Image.new("RGB", (640, 480), (200, 200, 205)).save(tmp_path / "flat.png")
    draw_photo(24, 20, seed=2).save(tmp_path / "tiny.png")
    assert hash_image(tmp_path / "flat.png").regions[0].low_quality
    assert hash_image(tmp_path / "tiny.png").regions[0].low_quality


def test_exif_orientation_and_transparency(tmp_path: Path) -> None:
    photo = draw_photo(600, 400, seed=5)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways; viewers rotate it upright
    photo.save(tmp_path / "rotated.jpg", exif=exif, quality=90)
    upright = photo.transpose(Image.Transpose.ROTATE_270)
    upright.save(tmp_path / "upright.jpg", quality=90)
    rotated = hash_image(tmp_path / "rotated.jpg")
    assert (rotated.width, rotated.height) == (400, 600)
    expected = hash_image(tmp_path / "upright.jpg").regions[0]
    assert hamming_hex(rotated.regions[0].phash, expected.phash) <= 4

    rgba = photo.convert("RGBA")
    rgba.putalpha(255)
    rgba.save(tmp_path / "alpha.png")
    assert hamming_hex(hash_image(tmp_path / "alpha.png").regions[0].phash,
                       hash_image(tmp_path / "rotated.jpg").regions[0].phash_mirror) >= 0


def test_unreadable_files_give_a_clear_error(tmp_path: Path, photo_file: Path) -> None:
    (tmp_path / "junk.jpg").write_bytes(b"not an image at all" * 10)
    with pytest.raises(HashingError, match="Cannot read image junk.jpg"):
        hash_image(tmp_path / "junk.jpg")
    with pytest.raises(HashingError, match="Cannot read image missing.png"):
        hash_image(tmp_path / "missing.png")
    data = photo_file.read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(HashingError, match="cut.jpg"):
        hash_image(tmp_path / "cut.jpg")


def test_hamming_helpers() -> None:
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    hexes = bytes_to_hex(rows)
    assert np.array_equal(hex_to_bytes(hexes), rows)
    words = to_words(rows)
    assert words.shape == (50, 4) and words.dtype == np.uint64
    expected = [bin(int(hexes[0], 16) ^ int(h, 16)).count("1") for h in hexes]
    assert hamming(rows[0], rows).tolist() == expected
    assert hamming(words[0], words).tolist() == expected
    assert [hamming_hex(hexes[0], h) for h in hexes] == expected
    assert popcount(np.array([0, 1, 255, 2**64 - 1], dtype=np.uint64)).tolist() == [0, 1, 8, 64]
    with pytest.raises(ValueError, match="not 64 bits"):
        hex_to_bytes(["abcd"], bits=64)
    with pytest.raises(ValueError, match="Not a hex hash"):
        hex_to_bytes(["zz" * 8])
