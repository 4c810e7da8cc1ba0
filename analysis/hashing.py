"""Perceptual hashes of an image and of the photo regions inside it, plus Hamming helpers.

``hash_image`` decodes a file once, at the smallest resolution the hashes and the region
finder need (JPEG draft decoding, ``Image.reduce`` otherwise), finds the photo regions and
computes, for the whole image and for every photo region, a 64-bit pHash (and the pHash of
its mirror image) and a 256-bit PDQ hash with its quality and its eight dihedral variants,
and on request the window hashes of parts of each area. Every area is shrunk once to about
128 px and area-averaged onto PDQ's 64x64 grid (pHash uses the same grid averaged in pairs);
the hashes of all grids of an image are computed together with numpy, bit for bit what
``pdqhash`` and ``imagehash.phash`` give on the same grid.
Hashes travel as lowercase hex; ``hex_to_bytes`` turns them into the uint8 rows the
near-duplicate index takes. Boxes are in the pixels of the image as displayed (EXIF
orientation applied) at its full size.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from analysis.regions import Region, find_photo_regions

# The region finder works at about this size, so never decode smaller than it.
_WORK_SIDE = 512
# PDQ downsamples to 64x64; inputs must not be smaller than that.
_MIN_HASH_SIDE = 64
# Both hashes shrink their input to 64x64 or less, so larger inputs only cost time; hashing
# every area at the same size also keeps a photo's hashes alike whether it was posted alone or
# seen inside a screenshot. Measured on drawn photos, a box one or two pixels off moved PDQ
# least at this size with bilinear resampling (bench/hash_bench.py).
_HASH_SIDE = 128
PDQ_MIN_QUALITY = 50
# Below this grey-level standard deviation an image is near-flat: its hash says little.
_MIN_STD = 5.0

_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# Crops of every side by 0, 7.5 or 15 % (80 windows) were all hashed once; measured on the
# labelled collection (bench/window_candidates.py, pairs outside the held-out layout), after
# the scroll cuts the first nine of these brought all but a few of the true pairs that only
# windows make candidates (visual words find the rest). The last four are even crops (7.5 or
# 15 % a side, more off the bottom, or the top kept as when a banner covers it): without
# local-feature candidates nothing else finds those copies.
_CROP_CUTS = [
    (0.15, 0.075, 0.15, 0.0), (0.15, 0.075, 0.075, 0.075), (0.075, 0.0, 0.0, 0.15),
    (0.075, 0.075, 0.075, 0.0), (0.075, 0.075, 0.15, 0.15), (0.0, 0.15, 0.15, 0.0),
    (0.15, 0.15, 0.075, 0.15), (0.15, 0.075, 0.075, 0.15), (0.15, 0.0, 0.075, 0.15),
    (0.075, 0.075, 0.075, 0.075), (0.15, 0.15, 0.15, 0.15), (0.075, 0.075, 0.075, 0.15),
    (0.15, 0.0, 0.15, 0.15),
]


def _window_cuts() -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) shares cut off an area for its window hashes.

    The top or bottom half to a tenth missing is a photo scrolled off a screen edge; the
    crops are those of ``_CROP_CUTS``.
    """
    cuts = [(0.0, 0.0, 0.0, 1 - f) for f in (0.5, 0.6, 0.7, 0.8, 0.9)]
    cuts += [(0.0, 1 - f, 0.0, 0.0) for f in (0.5, 0.6, 0.7, 0.8, 0.9)]
    return cuts + _CROP_CUTS


WINDOW_CUTS = _window_cuts()


class HashingError(ValueError):
    """An image could not be read or hashed; the message is one sentence for the analyst."""


@dataclass
class RegionHashes:
    """Hashes of one area of an image; ``box`` is (x0, y0, x1, y1) in full-size pixels."""

    box: tuple[int, int, int, int]
    kind: str  # "whole" or "photo"
    phash: str  # 16 hex chars
    phash_mirror: str  # pHash of the left-right mirror image
    pdq: str  # 64 hex chars
    pdq_quality: int  # 0-100
    pdq_dihedral: list[str] = field(default_factory=list)  # 8 x 64 hex chars
    low_quality: bool = False  # flat or tiny: never link on the hash alone
    # Optional (``hash_image(..., windows=True)``): (pdq, phash) of parts of this area, so a
    # copy that shows only part of the photo can still be matched.
    windows: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImageHashes:
    """Every hash of one image: the whole image first, then each photo region."""

    width: int
    height: int
    regions: list[RegionHashes]


# -- Hamming helpers ------------------------------------------------------------------------

if hasattr(np, "bitwise_count"):  # numpy >= 2.0

    def popcount(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Number of set bits in every element of an unsigned integer array (uint8)."""
        return np.bitwise_count(a, out=out)

else:  # pragma: no cover - numpy 1.26
    _POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

    def popcount(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Number of set bits in every element of an unsigned integer array (uint8)."""
        a = np.ascontiguousarray(a)
        as_bytes = a.view(np.uint8).reshape(a.shape + (a.dtype.itemsize,))
        return _POP8[as_bytes].sum(axis=-1, dtype=np.uint8, out=out)


def to_words(hashes: np.ndarray) -> np.ndarray:
    """(n, nbytes) uint8 hash rows as (n, ceil(nbytes / 8)) uint64 words, zero-padded."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
    n, nbytes = hashes.shape
    pad = -nbytes % 8
    if pad:
        hashes = np.concatenate([hashes, np.zeros((n, pad), np.uint8)], axis=1)
    return hashes.view(">u8").astype(np.uint64)


def hex_to_bytes(hexes: list[str], bits: int | None = None) -> np.ndarray:
    """Hex hashes as a (n, bits // 8) uint8 array; all must have the same width."""
    if bits is None:
        bits = len(hexes[0]) * 4 if hexes else 64
    nbytes = bits // 8
    out = np.zeros((len(hexes), nbytes), dtype=np.uint8)
    for row, text in enumerate(hexes):
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"Not a hex hash: {text!r}.") from None
        if len(raw) != nbytes:
            raise ValueError(f"Hash {text!r} is not {bits} bits long.")
        out[row] = np.frombuffer(raw, dtype=np.uint8)
    return out


def bytes_to_hex(hashes: np.ndarray) -> list[str]:
    """(n, nbytes) uint8 rows as lowercase hex strings."""
    return [row.tobytes().hex() for row in np.asarray(hashes, dtype=np.uint8)]


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distance along the last axis of two broadcastable uint8 or uint64 arrays."""
    return popcount(np.bitwise_xor(a, b)).sum(axis=-1, dtype=np.int32)


def hamming_hex(a: str, b: str) -> int:
    """Hamming distance between two hex hashes of the same width."""
    if len(a) != len(b):
        raise ValueError("Hashes of different widths cannot be compared.")
    return (int(a, 16) ^ int(b, 16)).bit_count()


# -- decoding -------------------------------------------------------------------------------


def _reduction(width: int, height: int) -> int:
    """Largest power-of-two reduction that keeps enough pixels for regions and hashes."""
    k = 1
    while (
        k < 8
        and max(width, height) // (2 * k) >= _WORK_SIDE
        and min(width, height) // (2 * k) >= 2 * _MIN_HASH_SIDE
    ):
        k *= 2
    return k


def _decode(path: Path) -> tuple[Image.Image, int, int]:
    """The image as greyscale at a reduced size, with its displayed full width and height."""
    try:
        with Image.open(path) as im:
            width, height = im.size
            k = _reduction(width, height)
            if im.format == "JPEG":
                # The decoder scales by 1/2, 1/4 or 1/8 inside the IDCT, never below the request.
                im.draft("L", (width // k, height // k))
                work = im.convert("L")
            else:
                # Averaging before the colour conversion touches 1/k^2 of the pixels.
                work = _to_grey(im.reduce(k) if k > 1 and im.mode in ("RGB", "L") else im)
                if k > 1 and work.size == im.size:
                    work = work.reduce(k)
            # Read after decoding: a PNG may keep its EXIF after the pixels.
            orientation = im.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise HashingError(f"Cannot read image {path.name}: {exc}.") from None
    except Image.DecompressionBombError as exc:
        raise HashingError(f"Image {path.name} is too large to decode safely: {exc}.") from None
    if orientation in _ORIENTATION:
        work = work.transpose(_ORIENTATION[orientation])
        if orientation >= 5:
            width, height = height, width
    return work, width, height


def decode_grey(path: str | Path) -> tuple[Image.Image, int, int]:
    """The image at ``path`` as greyscale, reduced to about 512 px or more on its longest side
    and upright (EXIF orientation applied), with its full displayed width and height.

    Raises ``HashingError`` with a one-sentence message if the file cannot be read.
    """
    return _decode(Path(path))


def _to_grey(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        # Transparent pixels show as white in viewers; hash what an analyst sees.
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("L")
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = float(arr.max()) or 1.0
        return Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8), "L")
    return im.convert("L")


# -- hashing --------------------------------------------------------------------------------
#
# PDQ is the 16x16 block of a DCT of a 64x64 luma grid and pHash the 8x8 block of a DCT of a
# 32x32 grid, each thresholded at its median: as matrix products they run for a whole stack of
# grids at once, where ``pdqhash`` and ``imagehash`` take one image a call (about 1 ms each,
# and an area has about 20 windows). ``pdq_hashes`` and ``phash_hashes`` give the same bits as
# those libraries on the same grid (tests/analysis/test_hashing_windows.py).

_GRID = 64
# PDQ's DCT: rows 1-16 of the orthonormal 64-point DCT-II (the DC row is skipped).
_PDQ_DCT = (np.sqrt(2 / _GRID) * np.cos(
    np.pi / (2 * _GRID) * np.arange(1, 17)[:, None] * (2 * np.arange(_GRID)[None, :] + 1)
)).astype(np.float32)
# pHash: rows 0-7 of the 32-point DCT-II, applied to the 64 grid averaged in pairs.
_PHASH_DCT = (np.cos(np.pi / 64 * np.arange(8)[:, None] * (2 * np.arange(32)[None, :] + 1))
              @ np.kron(np.eye(32), [[0.5, 0.5]])).astype(np.float32)
# Both sets of rows in one matrix, so a window needs one pair of products for both hashes.
_BOTH_DCT = np.vstack([_PDQ_DCT, _PHASH_DCT])


def _dihedral(grid: np.ndarray) -> np.ndarray:
    """The eight transforms of a 64x64 grid in pdqhash.compute_dihedral's order."""
    return np.stack([grid, np.rot90(grid, 1), np.rot90(grid, 2), np.rot90(grid, -1),
                     grid[::-1], grid[:, ::-1], grid.T, np.rot90(grid, 2).T])


# Reversing a row of a DCT-II's input multiplies its k-th coefficient by (-1) ** k, and
# transposing the input transposes the block: the DCT blocks of a grid's eight transforms are
# sign patterns of the grid's own block, so one pair of products serves all eight.
_PDQ_SIGN = np.where(np.arange(1, 17) % 2, -1, 1).astype(np.float32)  # PDQ skips k = 0
_PHASH_SIGN = np.where(np.arange(8) % 2, -1, 1).astype(np.float32)


def _dihedral_blocks(dct16: np.ndarray) -> np.ndarray:
    """The 16x16 PDQ blocks of ``_dihedral(grid)`` from the block of ``grid`` alone."""
    rows, cols = _PDQ_SIGN[:, None], _PDQ_SIGN[None, :]
    t = dct16.T
    return np.stack([dct16, rows * t, rows * dct16 * cols, t * cols,
                     rows * dct16, dct16 * cols, t, rows * t * cols])


def _pdq_bits_hex(dct16: np.ndarray) -> list[str]:
    """PDQ hex from (n, 16, 16) DCT blocks: bit set above the block's lower median."""
    flat = dct16.reshape(len(dct16), 256)
    median = np.partition(flat, 127, axis=1)[:, 127:128]
    # pdqhash lists bit 255 first.
    packed = np.packbits(flat[:, ::-1] > median, axis=1)
    return [row.tobytes().hex() for row in packed]


def _phash_bits_hex(dct8: np.ndarray) -> list[str]:
    """pHash hex from (n, 8, 8) low-frequency DCT blocks, as imagehash writes them."""
    flat = dct8.reshape(len(dct8), 64)
    # The median of 64 values as numpy.median gives it (the mean of the middle two), without
    # its per-call overhead.
    middle = np.partition(flat, (31, 32), axis=1)[:, 31:33]
    packed = np.packbits(flat > middle.mean(axis=1, keepdims=True, dtype=flat.dtype), axis=1)
    return [row.tobytes().hex() for row in packed]


def pdq_quality(grids: np.ndarray) -> np.ndarray:
    """PDQ's image-domain quality (0-100) of (n, 64, 64) luma grids: the sum of neighbour
    steps, each as a whole share of 100 / 255, over 90."""
    grids = np.ascontiguousarray(grids, dtype=np.float32).reshape(-1, _GRID, _GRID)
    n = len(grids)
    rows = grids.reshape(n * _GRID, _GRID)
    # cv2's absdiff and reduce run on every window of every area, about twice as fast as the
    # numpy equivalents; the floors stay in float32 (whole numbers below 2 ** 24, so exact).
    across = cv2.absdiff(rows[:, 1:], rows[:, :-1])
    down = np.empty_like(rows)
    # Row pairs are taken over the whole stack; the pairs that straddle two grids are zeroed.
    cv2.absdiff(rows[1:], rows[:-1], dst=down[:-1])
    down.reshape(n, _GRID, _GRID)[:, -1] = 0
    total = np.zeros(n, dtype=np.float64)
    for step in (across, down):
        step *= np.float32(100 / 255)
        np.floor(step, out=step)
        total += cv2.reduce(step.reshape(n, -1), 1, cv2.REDUCE_SUM, dtype=cv2.CV_64F)[:, 0]
    return np.minimum(100, total.astype(np.int64) // 90)


def pdq_hashes(grids: np.ndarray) -> tuple[list[str], np.ndarray]:
    """PDQ hashes (hex) and qualities of (n, 64, 64) luma grids (0-255 floats)."""
    grids = np.asarray(grids, dtype=np.float32).reshape(-1, _GRID, _GRID)
    return _pdq_bits_hex(_PDQ_DCT @ grids @ _PDQ_DCT.T), pdq_quality(grids)


def phash_hashes(grids: np.ndarray) -> list[str]:
    """64-bit pHashes (hex) of (n, 64, 64) grids: imagehash.phash of the 32x32 pair-average."""
    grids = np.asarray(grids, dtype=np.float32).reshape(-1, _GRID, _GRID)
    return _phash_bits_hex(_PHASH_DCT @ grids @ _PHASH_DCT.T)


# A window whose mean step between neighbouring pixels (down plus across, in grey levels of
# the area copy) is below this is flat: sky or sea, whose hash would match any other flat
# window. Chosen to agree with PDQ's own quality floor (50) on the windows' grids: the two
# tests disagreed on 53 of 3,128 windows of 136 photo areas of the labelled collection, the
# quality test needing every grid made, this one two summed-area tables of the area.
_WINDOW_MIN_STEP = 4.5


@functools.lru_cache(maxsize=1024)
def _area_weights(n: int, start: int, end: int) -> np.ndarray:
    """(64, n) weights that average pixels [start, end) of a line of ``n`` into 64 cells, each
    pixel by the share of it a cell covers (pixel-area averaging; a cell narrower than a pixel
    takes that pixel)."""
    edges = start + (end - start) / _GRID * np.arange(_GRID + 1)
    pixels = np.arange(n)
    lo = np.maximum(pixels[None, :], edges[:-1, None])
    hi = np.minimum(pixels[None, :] + 1, edges[1:, None])
    return (np.clip(hi - lo, 0, None) * (_GRID / (end - start))).astype(np.float32)


@dataclass(frozen=True)
class _WindowPlan:
    """The windows of an area of one size (the same for every area of that size, and areas
    come in few sizes since each is shrunk to about 128 px first).

    A window's grid is ``rows @ area @ cols.T`` with its cut's area weights, so its DCT block
    is ``(B @ rows) @ area @ (B @ cols).T`` for the stacked DCT rows ``B`` of both hashes: the
    products with the weights are made once per size, and an area costs one product with all
    distinct column ranges and one small product per window.
    """

    bounds: np.ndarray  # (n, 4) int: first row, end row, first column, end column
    row_of: np.ndarray  # (n,) index of each window's row range in ``left``
    col_of: np.ndarray  # (n,) index of each window's column range in ``right``
    left: np.ndarray  # (rows, 24, h): B @ row weights, per distinct row range
    right: np.ndarray  # (w, 24 * columns): (B @ column weights).T side by side


@functools.lru_cache(maxsize=128)
def _window_plan(h: int, w: int) -> _WindowPlan:
    cuts = np.array(WINDOW_CUTS)
    rows = np.stack([np.rint(cuts[:, 1] * h), h - np.rint(cuts[:, 3] * h)], 1).astype(int)
    cols = np.stack([np.rint(cuts[:, 0] * w), w - np.rint(cuts[:, 2] * w)], 1).astype(int)
    row_set, row_of = np.unique(rows, axis=0, return_inverse=True)
    col_set, col_of = np.unique(cols, axis=0, return_inverse=True)
    left = np.stack([_BOTH_DCT @ _area_weights(h, a, b) for a, b in row_set.tolist()])
    right = np.hstack([(_BOTH_DCT @ _area_weights(w, a, b)).T for a, b in col_set.tolist()])
    return _WindowPlan(np.hstack([rows, cols]), row_of.ravel(), col_of.ravel(),
                       np.ascontiguousarray(left), np.ascontiguousarray(right))


def _window_grids(area: np.ndarray) -> np.ndarray:
    """(n, 64, 64) grids of every window of ``area`` (see ``WINDOW_CUTS``), pixel-area
    averaged: what ``_window_blocks`` transforms, made explicitly (for checks and benches)."""
    h, w = area.shape
    plan = _window_plan(h, w)
    return np.stack([_area_weights(h, r0, r1) @ area @ _area_weights(w, c0, c1).T
                     for r0, r1, c0, c1 in plan.bounds.tolist()])


def _window_blocks(area: np.ndarray) -> np.ndarray:
    """(n, 24, 24) DCT blocks of both hashes for every window of ``area``, without its grids."""
    h, w = area.shape
    plan = _window_plan(h, w)
    sides = (area @ plan.right).reshape(h, -1, 24).transpose(1, 0, 2)  # (columns, h, 24)
    return np.matmul(plan.left[plan.row_of], sides[plan.col_of])


def _window_steps(area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per window of ``area``: the mean absolute step between neighbouring pixels (down plus
    across) and the standard deviation of its pixels, from summed-area tables."""
    h, w = area.shape
    r0, r1, c0, c1 = _window_plan(h, w).bounds.T
    down = cv2.integral(np.abs(area[1:] - area[:-1]), sdepth=cv2.CV_64F)
    across = cv2.integral(np.abs(area[:, 1:] - area[:, :-1]), sdepth=cv2.CV_64F)
    total, squares = cv2.integral2(area, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)

    def box(table: np.ndarray, y0, y1, x0, x1) -> np.ndarray:
        return table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]

    steps = (box(down, r0, r1 - 1, c0, c1) / np.maximum(1, (r1 - 1 - r0) * (c1 - c0))
             + box(across, r0, r1, c0, c1 - 1) / np.maximum(1, (r1 - r0) * (c1 - 1 - c0)))
    count = (r1 - r0) * (c1 - c0)
    mean = box(total, r0, r1, c0, c1) / count
    spread = np.maximum(0.0, box(squares, r0, r1, c0, c1) / count - mean * mean)
    return steps, np.sqrt(spread)


def window_table(area: np.ndarray) -> tuple[list[int], list[str], list[str]]:
    """The windows of ``area`` (a float grey array) that are not flat: their positions in
    ``WINDOW_CUTS``, PDQ hashes and pHashes."""
    area = np.ascontiguousarray(area, dtype=np.float32)
    steps, spread = _window_steps(area)
    # A flat window (sky, sea) would match any other flat window.
    keep = (steps >= _WINDOW_MIN_STEP) & (spread >= _MIN_STD)
    if not keep.any():
        return [], [], []
    dct = _window_blocks(area)[keep]
    return (np.flatnonzero(keep).tolist(), _pdq_bits_hex(dct[:, :16, :16]),
            _phash_bits_hex(dct[:, 16:, 16:]))


def _windows(area: np.ndarray) -> list[tuple[str, str]]:
    """(pdq, phash) of every window of ``area`` that is not flat."""
    _, pdq, phash = window_table(area)
    return list(zip(pdq, phash, strict=True))


def _area_copy(crop: np.ndarray) -> np.ndarray:
    """The area (grey levels) as floats, shrunk so its longest side is about _HASH_SIDE (never
    below 64 px on its short side, never enlarged): enough for both hashes and all windows.

    Pixel-area averaging: each output pixel is the mean of the input it covers, as the 64x64
    grids after it are made.
    """
    h, w = crop.shape
    scale = _HASH_SIDE / max(h, w)
    scale = min(1.0, max(scale, _MIN_HASH_SIDE / min(h, w)))
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return crop.astype(np.float32)


def _hash_region(crop: np.ndarray, box: tuple[int, int, int, int], kind: str,
                 windows: bool = False) -> RegionHashes:
    tiny = min(crop.shape) < _MIN_HASH_SIDE // 2
    area = _area_copy(crop)
    grid = cv2.resize(area, (_GRID, _GRID), interpolation=cv2.INTER_AREA)
    dct = _BOTH_DCT @ grid @ _BOTH_DCT.T  # (24, 24): both hashes' blocks
    dihedral_hex = _pdq_bits_hex(_dihedral_blocks(dct[:16, :16]))
    quality = int(pdq_quality(grid)[0])
    phash_block = dct[16:, 16:]
    phash, phash_mirror = _phash_bits_hex(np.stack([phash_block, phash_block * _PHASH_SIGN]))
    low = tiny or quality < PDQ_MIN_QUALITY or float(cv2.meanStdDev(area)[1][0, 0]) < _MIN_STD
    return RegionHashes(
        box=box,
        kind=kind,
        phash=phash,
        phash_mirror=phash_mirror,
        pdq=dihedral_hex[0],
        pdq_quality=quality,
        pdq_dihedral=dihedral_hex,
        low_quality=bool(low),
        windows=_windows(area) if windows and not low else [],
    )


def hash_pil(work: Image.Image, width: int | None = None, height: int | None = None,
             windows: bool = False) -> ImageHashes:
    """Hashes of an already decoded image; ``width``/``height`` give its full size if reduced.

    ``windows`` adds window hashes (about 20 more hashes an area) to every photo region, or
    to the whole image when it has none.
    """
    work = work if work.mode == "L" else _to_grey(work)
    width = width or work.width
    height = height or work.height
    sx, sy = width / work.width, height / work.height
    # The region finder takes the grey levels as an array: one copy out of Pillow, not many.
    grey = np.asarray(work, dtype=np.uint8)
    found: list[Region] = find_photo_regions(grey)
    areas = [Region((0, 0, work.width, work.height), 1.0, "whole")]
    areas += [r for r in found if r.kind == "photo"]
    regions = []
    for area in areas:
        x0, y0, x1, y1 = area.box
        full_box = (
            round(x0 * sx),
            round(y0 * sy),
            min(width, round(x1 * sx)),
            min(height, round(y1 * sy)),
        )
        crop = grey if area.kind == "whole" else grey[y0:y1, x0:x1]
        # Parts of a whole screenshot are interface, not photo: when photo regions were
        # found, their windows are the ones that can match a crop.
        with_windows = windows and (area.kind == "photo" or len(areas) == 1)
        regions.append(_hash_region(crop, full_box, area.kind, with_windows))
    return ImageHashes(width=width, height=height, regions=regions)


def hash_image(path: str | Path, windows: bool = False) -> ImageHashes:
    """Decode ``path`` once and hash the whole image and every photo region inside it.

    ``windows`` adds window hashes of parts of the photo regions, or of the whole image when
    it has none (see ``WINDOW_CUTS``).

    Raises ``HashingError`` with a one-sentence message if the file cannot be read.
    """
    path = Path(path)
    work, width, height = _decode(path)
    if work.width < 1 or work.height < 1:
        raise HashingError(f"Image {path.name} has no pixels.")
    return hash_pil(work, width, height, windows)
