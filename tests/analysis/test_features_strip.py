"""A photo part scrolled off a screen, confirmed by laying it over the top or bottom of the
photo at full width (analysis/features.py, STRIP_CONFIRM)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from analysis import imagelinks
from analysis.features import STRIP_CONFIRM, Verification, strip_transforms, verify_pair


def _sea(seed: int, size=(800, 600)) -> Image.Image:
    """Mostly sea: a thin sky, a darkening sea and soft waves, blurred so ORB finds few corners."""
    rnd = random.Random(seed)
    w, h = size
    im = Image.new("RGB", size)
    d = ImageDraw.Draw(im)
    horizon = int(h * 0.15)
    for y in range(h):
        if y < horizon:
            c = int(150 + 80 * y / horizon)
            d.line((0, y, w, y), fill=(c - 60, c - 20, c))
        else:
            k = (y - horizon) / (h - horizon)
            d.line((0, y, w, y), fill=(int(40 - 30 * k), int(110 - 70 * k), int(170 - 90 * k)))
    for _ in range(90):
        y0, amp = rnd.uniform(horizon, h), rnd.uniform(2, 6)
        period, phase = rnd.uniform(40, 120), rnd.uniform(0, 2 * math.pi)
        x0, length = rnd.uniform(-100, w), rnd.uniform(80, 300)
        d.line([(x, y0 + amp * math.sin(x / period * 2 * math.pi + phase))
                for x in np.arange(x0, x0 + length, 4)],
               fill=(rnd.randrange(60, 120), rnd.randrange(120, 170), rnd.randrange(170, 220)),
               width=2)
    return im.filter(ImageFilter.GaussianBlur(4))


def _screenshot(photo: Image.Image, path: Path, mirror: bool = False) -> tuple[int, ...]:
    """A dark app screen whose post shows the photo's top 55 %, the rest scrolled off; the box
    of the visible part."""
    part = photo.crop((0, 0, photo.width, int(photo.height * 0.55)))
    if mirror:
        part = part.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    part = part.resize((560, round(560 * part.height / part.width)))
    shot = Image.new("RGB", (600, 1000), (18, 22, 28))
    shot.paste(part, (20, 120))
    shot.save(path, quality=75)
    return (20, 120, 580, 120 + part.height)


@pytest.fixture
def sea(tmp_path: Path) -> Path:
    path = tmp_path / "sea.jpg"
    _sea(1).save(path, quality=85)
    return path


def test_a_mirrored_strip_of_sea_is_confirmed_as_the_top_of_the_photo(tmp_path: Path,
                                                                       sea: Path) -> None:
    shot = tmp_path / "shot.jpg"
    box = _screenshot(_sea(1), shot, mirror=True)
    v = verify_pair(sea, None, shot, box)
    assert v.inliers < 12  # far too few keypoints for any geometry
    assert v.confirmed and v.stripped and v.strip == "top" and v.mirrored, v
    assert v.detail >= STRIP_CONFIRM
    # Either way round.
    assert verify_pair(shot, box, sea, None).strip == "top"


def test_a_strip_of_another_sea_is_not_confirmed(tmp_path: Path, sea: Path) -> None:
    for seed in (2, 3):
        shot = tmp_path / f"other{seed}.jpg"
        box = _screenshot(_sea(seed), shot)
        v = verify_pair(sea, None, shot, box)
        assert not v.confirmed and not v.strip, v


def test_strip_transforms_lay_the_shorter_area_over_the_top_and_bottom() -> None:
    assert strip_transforms((480, 360), (480, 355)) == []  # the same shape: no strip
    for a, b in (((240, 99), (480, 360)), ((480, 360), (240, 99))):
        found = dict(strip_transforms(a, b))
        assert set(found) == {"top", "bottom"}
        short, tall = (a, b) if a[1] / a[0] < b[1] / b[0] else (b, a)
        for part, matrix in found.items():
            if a != short:  # the transforms take a to b; bring the short one's corners over
                matrix = cv2.invertAffineTransform(matrix)
            corners = np.array([[0, 0], [short[0], short[1]]], np.float64)
            mapped = corners @ matrix[:, :2].T + matrix[:, 2]
            assert mapped[0, 0] == pytest.approx(0) and mapped[1, 0] == pytest.approx(tall[0])
            if part == "top":
                assert mapped[0, 1] == pytest.approx(0)
            else:
                assert mapped[1, 1] == pytest.approx(tall[1])


def test_a_strip_link_says_how_it_was_confirmed() -> None:
    v = Verification(matches=5, inliers=3, homography_ok=False, scale=1.0, rotation=0.0,
                     mirrored=True, seconds=0.0, correlation=0.93, detail=0.81, strip="bottom")
    assert v.confirmed
    a = imagelinks.RegionRecord(0, "a", "whole", (0, 0, 800, 600), "0" * 64, "0" * 16, "0" * 16)
    b = imagelinks.RegionRecord(1, "b", "photo", (20, 120, 580, 351), "0" * 64, "0" * 16,
                                "0" * 16)
    c = imagelinks.Candidate(0, 1, 110, 20, False)
    why = imagelinks._why(a, b, c, imagelinks.Thresholds(), "strong", v)
    assert "the bottom of the other at its full width" in why and "mirrored" in why
    assert f"fine edges 0.81, accepted from {STRIP_CONFIRM:g}" in why
    # Short of STRIP_CONFIRM it is nothing.
    assert not Verification(5, 3, False, 1.0, 0.0, False, 0.0, correlation=0.93,
                            detail=STRIP_CONFIRM - 0.01, strip="bottom").confirmed
