"""Photo regions inside screenshots: where the reposted picture is, apart from the interface.

A screenshot of someone else's post shows the photo as a rectangle among status bars, page
names, avatars, text and reaction bars. ``find_photo_regions`` finds those rectangles so the
photo itself can be hashed. It works on a greyscale copy whose longest side is at most 768 px:

1. a pixel is *textured* when it differs from one of its neighbours; interface
   backgrounds are flat, photos (noise, grain, compression) almost never are;
2. a recursive XY-cut splits the image along rows and columns that are (nearly) free of
   textured pixels, the way page-segmentation tools split columns, paragraphs and figures;
3. where no empty line separates a photo from a caption or bar next to it, the block is cut
   around long runs of rows (or columns) that are textured almost edge to edge;
4. a block is kept as a photo when it is large enough, not a banner-shaped strip, and textured
   in almost every row and column; text paragraphs fail this because the gaps between lines
   and the descender zones are flat.

A plain photo (not a screenshot) comes back as one region of kind ``"whole"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

# The working copy's longest side: at most this, at least half of it.
_WORK_SIDE_MAX = 768
# A difference this large (in grey levels of the averaged working image) counts as texture.
_TEXTURE_EPS = 0.5
# A row or column with at most this share of textured pixels separates blocks.
_GAP_TOLERANCE = 0.05
# A photo is at least this share of the working image's longest side on each side...
_MIN_SIDE_FRACTION = 0.06
# ...covers at least this share of the image (avatars and icons are far smaller)...
_MIN_AREA_FRACTION = 0.015
# ...and is no longer than this relative to its width (text lines and bars are), unless it
# runs off the top or bottom of the screen, where only a strip of the photo may be visible.
_MAX_ASPECT = 4.0
_MAX_ASPECT_AT_EDGE = 8.0
# Shares of textured pixels, and of well-textured rows and columns, a photo block has.
_MIN_FILL = 0.7
_MIN_GOOD_LINES = 0.85
# Share of textured pixels that makes a row or column part of a photo-like run.
_DENSE_LINE = 0.6
# Mean absolute neighbour difference (grey levels) above which a full-size line is photo.
_EDGE_ACTIVITY = 0.5
_EDGE_SHARE = 0.3
# A photo covering this share of the image is the image itself.
_WHOLE_AREA_FRACTION = 0.8
# Photo blocks whose sides agree to this many working pixels are stacked (their facing edges
# may be up to half a least photo side apart).
_STACK_SLACK = 2


@dataclass
class Region:
    """A rectangle (x0, y0, x1, y1) in the pixels of the image given, exclusive upper bounds."""

    box: tuple[int, int, int, int]
    score: float  # 0-1, how photo-like the block is
    kind: str  # "whole" or "photo"


def find_photo_regions(img: Image.Image | np.ndarray) -> list[Region]:
    """The photo rectangles in ``img``, top to bottom; a plain photo yields itself as "whole".

    ``img`` is a Pillow image or a 2-D uint8 array of grey levels (as ``hash_pil`` has it).
    """
    if isinstance(img, np.ndarray):
        if img.ndim != 2 or img.dtype != np.uint8:
            raise ValueError("Photo regions need a 2-D uint8 grey array or a Pillow image.")
        full_grey = img
    else:
        full_grey = None
    height, width = img.shape if full_grey is not None else img.size[::-1]
    if width < 1 or height < 1:
        raise ValueError("Cannot look for photo regions in an image without pixels.")
    if full_grey is None:
        full_grey = np.asarray(_flatten(img), dtype=np.uint8)
    grey = _working_grey(full_grey)
    textured = _texture(grey)
    h, w = textured.shape
    sx, sy = width / w, height / h
    min_side = max(8, round(_MIN_SIDE_FRACTION * max(h, w)))

    photos: list[tuple[tuple[int, int, int, int], float]] = []
    for box in _xy_cut(textured, min_side):
        score = _photo_score(textured, box, min_side)
        if score is not None:
            photos.append((box, score))

    whole = (0, 0, width, height)
    stacked = _stacked(photos, max(_STACK_SLACK, min_side // 2))
    if any(_area(b) >= _WHOLE_AREA_FRACTION * w * h for b, _ in photos):
        best = max(s for b, s in photos if _area(b) >= _WHOLE_AREA_FRACTION * w * h)
        return [Region(whole, round(best, 3), "whole")]
    if not photos and textured.mean() > 0.8:
        return [Region(whole, round(float(textured.mean()), 3), "whole")]

    regions = []
    reach = 2 * int(np.ceil(max(sx, sy))) + 2
    for (x0, y0, x1, y1), score in sorted(photos + stacked, key=lambda p: (p[0][1], p[0][0])):
        full = (
            max(0, round(x0 * sx)),
            max(0, round(y0 * sy)),
            min(width, round(x1 * sx)),
            min(height, round(y1 * sy)),
        )
        regions.append(Region(_refine(full_grey, full, reach), round(score, 3), "photo"))
    return regions


def _stacked(photos: list[tuple[tuple[int, int, int, int], float]], gap: int
             ) -> list[tuple[tuple[int, int, int, int], float]]:
    """One block for each run of photo blocks stacked with the same sides, at most ``gap``
    rows apart.

    A photo with a band of flat sky or sea reads as two textured blocks with no empty row
    between them: the XY-cut parts them around the run of densely textured rows (and drops
    the sliver between, too small to be a block). Both parts stay regions (they may be two
    photos of a grid); their union is added, since it may be the one photo that its copies
    show whole.
    """
    below: dict[int, int] = {}
    for i, (a, _) in enumerate(photos):
        under = [(b[1] - a[3], j) for j, (b, _) in enumerate(photos)
                 if j != i and abs(b[0] - a[0]) <= _STACK_SLACK
                 and abs(b[2] - a[2]) <= _STACK_SLACK and 0 <= b[1] - a[3] <= gap]
        if under:
            below[i] = min(under)[1]
    out = []
    for start in sorted(set(range(len(photos))) - set(below.values())):
        run = [start]
        while run[-1] in below and len(run) <= len(photos):
            run.append(below[run[-1]])
        if len(run) > 1:
            boxes = [photos[k][0] for k in run]
            union = (min(b[0] for b in boxes), boxes[0][1], max(b[2] for b in boxes),
                     boxes[-1][3])
            area = sum(_area(b) for b in boxes)
            out.append((union, sum(photos[k][1] * _area(photos[k][0]) for k in run) / area))
    return out


def _flatten(img: Image.Image) -> Image.Image:
    """Greyscale as displayed: transparent pixels over white."""
    if img.mode == "L":
        return img
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return img.convert("L")


def _working_grey(grey: np.ndarray) -> np.ndarray:
    """Greyscale, longest side at most _WORK_SIDE_MAX, averaged so texture survives: the
    uint8 levels themselves when no averaging is needed, float averages otherwise."""
    # Whole-number box averaging is several times faster than resampling to an exact size.
    factor = -(-max(grey.shape) // _WORK_SIDE_MAX)
    if factor == 1:
        return grey
    return np.asarray(Image.fromarray(grey).convert("F").reduce(factor), dtype=np.float32)


def _texture(grey: np.ndarray) -> np.ndarray:
    """Pixels that differ from any of their four neighbours.

    This also marks the flat pixel just outside a photo's edge; ``_xy_cut`` takes that halo
    off again, so boxes end on the photo's own first and last rows and columns.
    """
    if grey.dtype == np.uint8:
        # Whole grey levels differ by more than _TEXTURE_EPS exactly when they differ at all.
        dx = grey[:, 1:] != grey[:, :-1]
        dy = grey[1:, :] != grey[:-1, :]
    else:
        dx = np.abs(np.diff(grey, axis=1)) > _TEXTURE_EPS
        dy = np.abs(np.diff(grey, axis=0)) > _TEXTURE_EPS
    textured = np.zeros(grey.shape, dtype=bool)
    textured[:, :-1] |= dx
    textured[:, 1:] |= dx
    textured[:-1, :] |= dy
    textured[1:, :] |= dy
    return textured


def _runs(filled: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True values."""
    padded = np.zeros(len(filled) + 2, dtype=bool)
    padded[1:-1] = filled
    # Changes alternate: every run starts at one and ends at the next.
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _xy_cut(textured: np.ndarray, min_side: int) -> list[tuple[int, int, int, int]]:
    """Blocks left after cutting along nearly empty rows and columns, big enough to matter."""
    h, w = textured.shape
    # A summed-area table (cv2.integral is one fast pass; numpy's cumsum of booleans is
    # several times slower): a block's row and column sums are then differences of slices,
    # not a pass over the block at every step of the recursion.
    table = cv2.integral(textured.view(np.uint8), sdepth=cv2.CV_32S)
    stack = [(0, 0, w, h)]
    leaves = []
    while stack:
        x0, y0, x1, y1 = stack.pop()
        row_sums = np.diff(table[y0:y1 + 1, x1] - table[y0:y1 + 1, x0])
        col_sums = np.diff(table[y1, x0:x1 + 1] - table[y0, x0:x1 + 1])
        row_runs = _runs(row_sums > _GAP_TOLERANCE * (x1 - x0))
        col_runs = _runs(col_sums > _GAP_TOLERANCE * (y1 - y0))
        if not row_runs or not col_runs:
            continue
        if len(row_runs) > 1:
            children = [(x0, y0 + a, x1, y0 + b) for a, b in row_runs]
        elif len(col_runs) > 1:
            children = [(x0 + a, y0, x0 + b, y1) for a, b in col_runs]
        elif rows := _dense_cut(row_sums / (x1 - x0), min_side):
            children = [(x0, y0 + a, x1, y0 + b) for a, b in rows]
        elif cols := _dense_cut(col_sums / (y1 - y0), min_side):
            children = [(x0 + a, y0, x0 + b, y1) for a, b in cols]
        else:
            (ra, rb), (ca, cb) = row_runs[0], col_runs[0]
            trimmed = (x0 + ca, y0 + ra, x0 + cb, y0 + rb)
            if trimmed == (x0, y0, x1, y1):
                # Drop the one-pixel halo the texture mask puts around every edge.
                leaves.append(
                    (
                        x0 + (x0 > 0),
                        y0 + (y0 > 0),
                        x1 - (x1 < w),
                        y1 - (y1 < h),
                    )
                )
                continue
            children = [trimmed]
        # Blocks too small to be a photo are dropped here, which also stops the recursion
        # from descending into every line and word of text.
        stack.extend(c for c in children if c[2] - c[0] >= min_side and c[3] - c[1] >= min_side)
    return leaves


def _dense_cut(fill: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """Pieces around long runs of densely textured lines, or [] if there is nothing to cut.

    When a photo sits closer to a caption or a reaction bar than the working resolution can
    separate, no empty row lies between them; the photo still stands out as a long run of
    rows that are textured almost edge to edge.
    """
    dense = [(a, b) for a, b in _runs(fill >= _DENSE_LINE) if b - a >= min_len]
    if not dense or dense == [(0, len(fill))]:
        return []
    edges = sorted({0, len(fill), *(e for run in dense for e in run)})
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _photo_score(
    textured: np.ndarray, box: tuple[int, int, int, int], min_side: int
) -> float | None:
    """How photo-like a block is, or None when it is chrome, text, an avatar or an icon."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    h, w = textured.shape
    at_edge = y0 == 0 or y1 >= h - 1
    if bw < min_side or bh < min_side:
        return None
    if max(bw / bh, bh / bw) > (_MAX_ASPECT_AT_EDGE if at_edge else _MAX_ASPECT):
        return None
    if bw * bh < _MIN_AREA_FRACTION * w * h:
        return None
    block = textured[y0:y1, x0:x1]
    fill = float(block.mean())
    good_rows = float((block.mean(axis=1) >= 0.5).mean())
    good_cols = float((block.mean(axis=0) >= 0.5).mean())
    if fill < _MIN_FILL or good_rows < _MIN_GOOD_LINES or good_cols < _MIN_GOOD_LINES:
        return None
    return fill * min(good_rows, good_cols)


def _refine(grey: np.ndarray, box: tuple[int, int, int, int], reach: int) -> tuple[int, ...]:
    """Move each edge of a box found at working size onto the photo's edge at full size.

    A row belongs to the photo when most of its pixels differ from their left or right
    neighbour; only horizontal differences are used for rows (vertical ones for columns), so
    the flat row just outside the photo is not pulled in by its contrast with the photo.
    """
    height, width = grey.shape
    x0, y0, x1, y1 = box
    if x1 - x0 <= 2 * reach or y1 - y0 <= 2 * reach:
        return box
    band = grey[max(0, y0 - reach):min(height, y0 + reach), x0:x1].astype(np.int16)
    y0 = _edge(np.abs(np.diff(band, axis=1)).mean(axis=1), max(0, y0 - reach), start=True, y=y0)
    band = grey[max(0, y1 - reach):min(height, y1 + reach), x0:x1].astype(np.int16)
    y1 = _edge(np.abs(np.diff(band, axis=1)).mean(axis=1), max(0, y1 - reach), start=False, y=y1)
    band = grey[y0:y1, max(0, x0 - reach):min(width, x0 + reach)].astype(np.int16)
    x0 = _edge(np.abs(np.diff(band, axis=0)).mean(axis=0), max(0, x0 - reach), start=True, y=x0)
    band = grey[y0:y1, max(0, x1 - reach):min(width, x1 + reach)].astype(np.int16)
    x1 = _edge(np.abs(np.diff(band, axis=0)).mean(axis=0), max(0, x1 - reach), start=False, y=x1)
    return (x0, y0, x1, y1)


def _edge(activity: np.ndarray, offset: int, *, start: bool, y: int) -> int:
    """Walk from inside the photo outwards and stop at the first line with no texture."""
    if len(activity) == 0:
        return y
    order = range(len(activity) - 1, -1, -1) if start else range(len(activity))
    # Relative to the photo's own texture, so compression ripples beside it do not count.
    lines = activity > max(_EDGE_ACTIVITY, _EDGE_SHARE * activity[order[0]])
    if not lines[order[0]]:
        return y
    for k in order:
        if not lines[k]:
            return offset + (k + 1 if start else k)
    return offset + (0 if start else len(lines))


def _area(box: tuple[int, int, int, int]) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])
