"""The region finder on a grey array (as hashing hands it over) against the Pillow path."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from analysis.regions import _texture, _xy_cut, find_photo_regions

_spec = importlib.util.spec_from_file_location(
    "region_fixtures", Path(__file__).with_name("test_regions.py")
)
_screens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_screens)


@pytest.mark.parametrize("scale", [1, 4])  # 4: small enough to skip the averaging step
def test_array_input_finds_the_same_boxes(scale: int) -> None:
    shot, truth = _screens.draw_screenshot("phone", "dark", 2, True, seed=4)
    shot = shot.resize((shot.width // scale, shot.height // scale))
    grey = shot.convert("L")
    from_array = find_photo_regions(np.asarray(grey))
    assert from_array == find_photo_regions(shot) == find_photo_regions(grey)
    assert len(from_array) == len(truth)


def test_whole_grey_levels_mark_texture_as_the_float_rule_does() -> None:
    rng = np.random.default_rng(2)
    grey = rng.integers(0, 3, (60, 80), dtype=np.uint8)  # many equal neighbours
    grey[10:30, 20:50] = 7
    assert np.array_equal(_texture(grey), _texture(grey.astype(np.float32)))


def test_cuts_follow_empty_rows_and_columns() -> None:
    textured = np.zeros((100, 120), dtype=bool)
    textured[10:40, 10:110] = True  # a wide block on top
    textured[50:90, 10:50] = True  # two blocks side by side below it
    textured[50:90, 60:110] = True
    # The halo of one flat pixel that _texture adds is taken off each side.
    assert sorted(_xy_cut(textured, 8)) == [
        (11, 11, 109, 39), (11, 51, 49, 89), (61, 51, 109, 89)]


def test_bad_arrays_get_a_clear_error() -> None:
    with pytest.raises(ValueError, match="2-D uint8"):
        find_photo_regions(np.zeros((10, 10, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="2-D uint8"):
        find_photo_regions(np.zeros((10, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="without pixels"):
        find_photo_regions(np.zeros((0, 5), dtype=np.uint8))
    assert find_photo_regions(Image.new("RGBA", (300, 200), (0, 0, 0, 0))) == []


def _noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return rng.integers(0, 256, (h, w), dtype=np.uint8)


def test_a_photo_parted_at_a_flat_band_is_also_found_whole() -> None:
    """A flat band of hills or sea across a photo parts it into two blocks; both stay regions
    (they could be two photos of a grid) and their union is found too."""
    rng = np.random.default_rng(5)
    page = np.full((700, 400), 240, dtype=np.uint8)
    page[0:560, 0:400] = _noise(rng, 560, 400)
    page[270:278, :] = 128  # the flat band
    page[560:, :] = 10  # a dark caption bar below the photo
    boxes = [r.box for r in find_photo_regions(page)]
    assert (0, 0, 400, 560) in boxes or any(
        b[1] <= 2 and b[3] >= 558 and b[0] <= 2 and b[2] >= 398 for b in boxes), boxes
    assert len(boxes) == 3, boxes


def test_photos_far_apart_are_not_joined() -> None:
    rng = np.random.default_rng(6)
    page = np.full((900, 400), 240, dtype=np.uint8)
    page[40:380, 20:380] = _noise(rng, 340, 360)
    page[520:860, 20:380] = _noise(rng, 340, 360)  # the next post, 140 px of page between
    boxes = [r.box for r in find_photo_regions(page)]
    assert len(boxes) == 2, boxes
    # Side by side photos of different widths are not stacked either.
    page = np.full((700, 400), 240, dtype=np.uint8)
    page[40:300, 20:380] = _noise(rng, 260, 360)
    page[304:600, 20:200] = _noise(rng, 296, 180)
    assert len(find_photo_regions(page)) == 2
