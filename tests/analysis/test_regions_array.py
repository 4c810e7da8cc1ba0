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
