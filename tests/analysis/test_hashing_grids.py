"""The window grids and the PDQ quality of stacks against plain one-at-a-time computations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from analysis.hashing import (
    _BOTH_DCT,
    WINDOW_CUTS,
    _window_blocks,
    _window_grids,
    _window_plan,
    _window_steps,
    pdq_quality,
)


def _quality_reference(grid: np.ndarray) -> int:
    """PDQ's quality as pdqhash writes it, one grid at a time."""
    total = 0
    for step in (np.diff(grid, axis=0), np.diff(grid, axis=1)):
        total += int(np.floor(np.abs(step).astype(np.float32) * np.float32(100 / 255)).sum())
    return min(100, total // 90)


@pytest.mark.parametrize("count", [1, 2, 7])
def test_quality_of_a_stack_is_each_grid_alone(count: int) -> None:
    rng = np.random.default_rng(count)
    # Small fractional steps, as area averaging gives, kept well below PDQ's cap of 100;
    # dark first rows and white last rows would add about 70 if the seams between stacked
    # grids counted as steps.
    grids = (rng.random((count, 64, 64)) * 4).astype(np.float32)
    grids[:, 0] = 0
    grids[:, -1] = 255
    got = pdq_quality(grids).tolist()
    assert got == [_quality_reference(g) for g in grids]
    assert all(5 < q < 90 for q in got)
    assert pdq_quality(grids[0]).tolist() == got[:1]  # a single 64x64 grid is a stack of one


@pytest.mark.parametrize("shape", [(160, 182), (256, 200)])
def test_window_grids_are_pixel_area_averages_of_each_window(shape: tuple) -> None:
    rng = np.random.default_rng(shape[0])
    area = (rng.random(shape) * 255).astype(np.float32)
    grids = _window_grids(area)
    assert grids.shape == (len(WINDOW_CUTS), 64, 64)
    h, w = shape
    for n, (left, top, right, bottom) in enumerate(WINDOW_CUTS):
        r0, r1 = round(top * h), h - round(bottom * h)
        c0, c1 = round(left * w), w - round(right * w)
        # Every window here is larger than 64 x 64: OpenCV's pixel-area shrink is the same.
        expected = cv2.resize(area[r0:r1, c0:c1], (64, 64), interpolation=cv2.INTER_AREA)
        np.testing.assert_allclose(grids[n], expected, rtol=0, atol=1e-2)
    assert _window_plan(h, w) is _window_plan(h, w)  # planned once per size


@pytest.mark.parametrize("shape", [(64, 182), (96, 128), (128, 70), (40, 64)])
def test_window_blocks_are_the_dct_of_each_window_grid(shape: tuple) -> None:
    rng = np.random.default_rng(shape[1])
    area = (rng.random(shape) * 255).astype(np.float32)
    grids = _window_grids(area)
    np.testing.assert_allclose(_window_blocks(area), _BOTH_DCT @ grids @ _BOTH_DCT.T,
                               rtol=0, atol=0.05)


def test_window_steps_are_each_windows_own() -> None:
    rng = np.random.default_rng(4)
    area = (rng.random((90, 128)) * 40).astype(np.float32)
    area[:45] = 100.0  # flat top half
    steps, spread = _window_steps(area)
    h, w = area.shape
    for n, (left, top, right, bottom) in enumerate(WINDOW_CUTS):
        window = area[round(top * h):h - round(bottom * h), round(left * w):w - round(right * w)]
        expected = (np.abs(np.diff(window, axis=0)).mean()
                    + np.abs(np.diff(window, axis=1)).mean())
        assert steps[n] == pytest.approx(expected, abs=1e-3)
        assert spread[n] == pytest.approx(window.std(), abs=1e-2)
    assert steps[WINDOW_CUTS.index((0.0, 0.0, 0.0, 0.5))] == 0.0
