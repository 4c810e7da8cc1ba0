"""The window grids and the PDQ quality of stacks against plain one-at-a-time computations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from analysis.hashing import WINDOW_CUTS, _window_grids, _window_plan, pdq_quality


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


@pytest.mark.parametrize("shape", [(64, 182), (96, 128), (128, 70), (40, 64)])
def test_window_grids_are_each_window_shrunk_one_axis_at_a_time(shape: tuple) -> None:
    rng = np.random.default_rng(shape[0])
    area = (rng.random(shape) * 255).astype(np.float32)
    grids = _window_grids(area)
    assert grids.shape == (len(WINDOW_CUTS), 64, 64)
    h, w = shape
    for n, (left, top, right, bottom) in enumerate(WINDOW_CUTS):
        r0, r1 = round(top * h), h - round(bottom * h)
        c0, c1 = round(left * w), w - round(right * w)
        strip = cv2.resize(area[r0:r1, c0:c1], (64, r1 - r0), interpolation=cv2.INTER_AREA)
        expected = cv2.resize(strip, (64, 64), interpolation=cv2.INTER_AREA)
        np.testing.assert_allclose(grids[n], expected, rtol=0, atol=1e-3)
    assert _window_plan(h, w) is _window_plan(h, w)  # planned once per size
