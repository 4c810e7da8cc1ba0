"""The batched hash core against the reference libraries, window hashes, and safe decoding."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
import pytest
from PIL import Image

from analysis.hashing import (
    WINDOW_CUTS,
    HashingError,
    hamming_hex,
    hash_image,
    pdq_hashes,
    pdq_quality,
    phash_hashes,
)

_spec = importlib.util.spec_from_file_location(
    "region_fixtures", Path(__file__).with_name("test_regions.py")
)
_screens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_screens)
draw_photo = _screens.draw_photo


def _grids(count: int, seed: int) -> np.ndarray:
    """Photo-like 64x64 grey grids: smooth shapes plus a little noise, and pure noise."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        if k % 3 == 0:
            out.append(rng.integers(0, 256, (64, 64)))
        else:
            small = Image.fromarray(rng.integers(0, 256, (6, 6), dtype=np.uint8))
            smooth = np.asarray(small.resize((64, 64), Image.Resampling.BICUBIC), np.int16)
            out.append(np.clip(smooth + rng.integers(-6, 7, (64, 64)), 0, 255))
    return np.array(out, dtype=np.uint8)


def _pdq_reference(grid: np.ndarray) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.ascontiguousarray(np.repeat(grid[:, :, None], 3, 2)))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def test_pdq_matches_the_reference_library() -> None:
    grids = _grids(24, seed=3)
    hexes, qualities = pdq_hashes(grids.astype(np.float32))
    expected = [_pdq_reference(g) for g in grids]
    assert hexes == [h for h, _ in expected]
    assert qualities.tolist() == [q for _, q in expected]
    assert pdq_quality(np.full((64, 64), 128.0)).tolist() == [0]


def test_dihedral_order_matches_the_reference_library() -> None:
    from analysis.hashing import _dihedral

    grid = _grids(2, seed=8)[1]
    ours, _ = pdq_hashes(_dihedral(grid.astype(np.float32)))
    vectors, _ = pdqhash.compute_dihedral(np.ascontiguousarray(np.repeat(grid[:, :, None], 3, 2)))
    assert ours == [np.packbits(np.asarray(v, np.uint8)).tobytes().hex() for v in vectors]


def test_dihedral_blocks_from_one_product_match_the_reference_library() -> None:
    from analysis.hashing import _BOTH_DCT, _PHASH_SIGN, _dihedral_blocks, _pdq_bits_hex

    for grid in _grids(6, seed=9):
        grid32 = grid.astype(np.float32)
        dct = _BOTH_DCT @ grid32 @ _BOTH_DCT.T
        vectors, _ = pdqhash.compute_dihedral(
            np.ascontiguousarray(np.repeat(grid[:, :, None], 3, 2)))
        assert _pdq_bits_hex(_dihedral_blocks(dct[:16, :16])) == [
            np.packbits(np.asarray(v, np.uint8)).tobytes().hex() for v in vectors]
        # The mirrored pHash is a sign pattern of the same block.
        mirrored = _phash_bits_hex_of(dct[16:, 16:] * _PHASH_SIGN)
        assert mirrored == phash_hashes(grid32[None, :, ::-1].copy())[0]


def _phash_bits_hex_of(block: np.ndarray) -> str:
    from analysis.hashing import _phash_bits_hex

    return _phash_bits_hex(block[None])[0]


def test_phash_matches_imagehash() -> None:
    small = _grids(12, seed=5)[:, ::2, ::2]  # 32x32 grids
    # Each 32x32 pixel as a 2x2 block: the pair-average of the 64 grid gives it back exactly.
    grids = np.kron(small.astype(np.float32), np.ones((2, 2), np.float32))
    expected = [str(imagehash.phash(Image.fromarray(np.ascontiguousarray(s)))) for s in small]
    assert phash_hashes(grids) == expected


def test_windows_find_a_photo_scrolled_half_off(tmp_path: Path) -> None:
    photo = draw_photo(900, 600, seed=11)
    photo.save(tmp_path / "photo.jpg", quality=90)
    # A screen showing only the top 60% of the photo, as when it is scrolled off the bottom.
    photo.crop((0, 0, 900, 360)).save(tmp_path / "top.jpg", quality=80)
    other = draw_photo(900, 600, seed=12)
    other.save(tmp_path / "other.jpg", quality=90)

    full = hash_image(tmp_path / "photo.jpg", windows=True).regions[0]
    top = hash_image(tmp_path / "top.jpg").regions[0]
    unrelated = hash_image(tmp_path / "other.jpg", windows=True).regions[0]
    assert 0 < len(full.windows) <= len(WINDOW_CUTS)
    assert all(len(p) == 64 and len(h) == 16 for p, h in full.windows)
    assert hamming_hex(full.pdq, top.pdq) > 31  # the whole photo alone does not match
    assert min(hamming_hex(p, top.pdq) for p, _ in full.windows) <= 31
    assert min(hamming_hex(h, top.phash) for _, h in full.windows) <= 8
    assert min(hamming_hex(p, top.pdq) for p, _ in unrelated.windows) > 31
    # Without ``windows`` the rest of the result is the same.
    plain = hash_image(tmp_path / "photo.jpg").regions[0]
    assert (plain.pdq, plain.phash, plain.windows) == (full.pdq, full.phash, [])


def test_flat_images_get_no_windows(tmp_path: Path) -> None:
    Image.new("L", (800, 600), 90).save(tmp_path / "flat.png")
    sky = np.tile(np.linspace(120, 160, 600, dtype=np.float32)[:, None], (1, 800))
    Image.fromarray(sky.astype(np.uint8)).save(tmp_path / "sky.png")
    for name in ("flat.png", "sky.png"):
        [region] = hash_image(tmp_path / name, windows=True).regions
        assert region.low_quality and region.windows == []


def test_decompression_bombs_and_truncation_give_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_photo(1200, 800, seed=1).save(tmp_path / "big.png")
    draw_photo(1200, 800, seed=1).save(tmp_path / "big.jpg", quality=85)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000)
    for name in ("big.png", "big.jpg"):
        with pytest.raises(HashingError, match=f"Image {name} is too large to decode safely"):
            hash_image(tmp_path / name, windows=True)
    monkeypatch.undo()
    data = (tmp_path / "big.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(HashingError, match="Cannot read image cut.png"):
        hash_image(tmp_path / "cut.png", windows=True)


def test_screenshots_get_window_hashes_on_their_photos_only(tmp_path: Path) -> None:
    shot, truth = _screens.draw_screenshot("phone", "light", 1, False, seed=3)
    shot.save(tmp_path / "shot.png")
    whole, *photos = hash_image(tmp_path / "shot.png", windows=True).regions
    assert whole.kind == "whole" and whole.windows == []
    assert len(photos) == len(truth) and all(p.windows for p in photos)


def test_windows_find_a_photo_cropped_on_several_sides(tmp_path: Path) -> None:
    photo = draw_photo(900, 600, seed=21)
    photo.save(tmp_path / "photo.jpg", quality=90)
    # A repost cropped by 10 % on the left, 5 % at the top and 12 % on the right: no window
    # cuts exactly this, the nearest ones within a few per cent a side.
    photo.crop((90, 30, 792, 600)).save(tmp_path / "crop.jpg", quality=80)
    draw_photo(900, 600, seed=22).save(tmp_path / "other.jpg", quality=90)

    full = hash_image(tmp_path / "photo.jpg", windows=True).regions[0]
    crop = hash_image(tmp_path / "crop.jpg").regions[0]
    unrelated = hash_image(tmp_path / "other.jpg", windows=True).regions[0]
    nearest = min(hamming_hex(p, crop.pdq) for p, _ in full.windows)
    assert nearest < hamming_hex(full.pdq, crop.pdq)
    assert nearest <= 72  # imagelinks.PDQ_PARTIAL: strong for a partial match
    assert nearest < min(hamming_hex(p, crop.pdq) for p, _ in unrelated.windows)


def test_window_table_names_each_window_and_drops_flat_ones() -> None:
    from analysis.hashing import _windows, window_table

    photo = np.asarray(draw_photo(192, 128, seed=5).convert("L"), dtype=np.float32)
    cuts, pdq, phash = window_table(photo)
    assert cuts == list(range(len(WINDOW_CUTS)))  # a textured photo keeps every window
    assert list(zip(pdq, phash, strict=True)) == _windows(photo)
    # Flat grey over the top 55 %: the windows that keep only the top half are flat.
    half = photo.copy()
    half[: round(0.55 * len(half))] = 128.0
    cuts, pdq, phash = window_table(half)
    top_half = WINDOW_CUTS.index((0.0, 0.0, 0.0, 0.5))
    assert top_half not in cuts and 0 < len(cuts) == len(pdq) == len(phash) < len(WINDOW_CUTS)
    assert all(0 <= k < len(WINDOW_CUTS) for k in cuts)
