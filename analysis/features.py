"""Local-feature verification of an image link: ORB keypoints matched between two areas and
checked for one consistent geometry (a similarity transform found by RANSAC).

Perceptual hashes describe a whole area, so a copy that shows another part of the photo (a
crop, a banner band, a photo half scrolled off a screen) is only a candidate. This module is
the second, independent check: if many keypoints of one area land, through one plausible
scale and rotation, on the same keypoints of the other, both show the same photo. Flat areas
(sea, sky, fog) give few keypoints and no consistent geometry, so they fail.

``FeatureCache`` keeps each area's keypoints, so an area compared with many others is decoded
and described once; given a folder, it also keeps them on disk (one file an area, named by the
image path, the box and ``FEATURES_VERSION``), so the worker processes of one run and the runs
after it load an area's keypoints instead of describing it again. Stored features are compact:
points in fixed point (uint16), the thumbnail in uint8 and kept once (the mirror's is its
flip); descriptions are quantised the same way when made, so a stored area verifies exactly as
a freshly described one. ``bound_folder`` keeps such a folder under a size, dropping the least
recently used files (they are described again when needed). Uses opencv-python-headless (never
the GUI build of OpenCV).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from analysis.hashing import HashingError, decode_grey
from analysis.worker import end_with_parent, spawn_context
from evidence.atomic import write_atomic

# Areas are described at this longest side: large enough for 1000 keypoints on a photo, small
# enough that describing one takes a few milliseconds.
FEATURE_SIDE = 480
# Smaller areas are enlarged first: ORB finds almost nothing in a thumbnail.
_MIN_SIDE = 160
ORB_FEATURES = 1000
# Photos recompressed and scaled down are soft; OpenCV's default corner threshold (20) finds
# too few keypoints in them to confirm a crop.
FAST_THRESHOLD = 5
# Lowe's ratio test: the best match must be clearly better than the second best.
RATIO = 0.8
# RANSAC reprojection error in pixels at FEATURE_SIDE.
RANSAC_PIXELS = 6.0
# A repost is the same photo shown larger or smaller, never by more than this factor here.
MAX_SCALE = 4.0
# Reposts are upright or turned by quarter turns (the dihedral hashes cover those).
MAX_TILT_DEGREES = 8.0
# The inliers of one area must spread over at least this share of its width and height, so
# a small matching patch (a shared logo or caption) does not confirm a whole photo.
MIN_SPREAD = 0.2

# Calibrated by bench/link_accuracy.py on pairs outside the held-out layout (figures in
# bench/RESULTS-linking.md): a candidate is confirmed (strong) at or above all of MIN_*, and
# shown for review (weak) at or above all of WEAK_*. Look-alike scenes (the same room, the same
# boat on another sea) share keypoints laid out alike; the pixels, once aligned, correlate less,
# and the matches cover only the shared object, not the overlap.
# Recalibrated with visual-word candidates in the set (46 was 42: more look-alike candidates).
MIN_INLIERS = 46
MIN_CORRELATION = 0.6
MIN_COVERAGE = 0.05
# Well covered: fewer inliers suffice when they are a large share of the keypoints where the
# areas overlap (a crop or a half-visible photo shares few keypoints, but shares them all; a
# look-alike scene matches on one drawn object only). Calibrated the same way, with MIN_* set.
COVERED_INLIERS = 18
COVERED_CORRELATION = 0.3
COVERED_COVERAGE = 0.15
WEAK_INLIERS = 18
WEAK_CORRELATION = 0.6
WEAK_COVERAGE = 0.0
# Dense agreement: many inliers and pixels that agree once aligned confirm a pair even when the
# inliers bunch in one band (ORB's keypoints gather in the busiest texture, so two copies that
# share only a strip of the photo, half scrolled off against a crop, match only there). Chosen on
# the non-held-out pairs that fail only MIN_SPREAD (bench/RESULTS-linking.md): from 60 inliers
# at correlation 0.8, none was two different photos.
DENSE_INLIERS = 60
DENSE_CORRELATION = 0.8
# The correlation is taken on small blurred copies: cheap, and deaf to JPEG noise. Kept as
# uint8: rounding the blurred grey levels moved a correlation by 0.001 at most (120 sampled
# pairs, bench/RESULTS-linking.md), and no link of the bench collection.
THUMB_SIDE = 96
# Keypoints are kept to 1/POINT_STEPS of a pixel (uint16 on disk: 480 px x 32 fits): RANSAC
# works to RANSAC_PIXELS, about 190 times coarser.
POINT_STEPS = 32
# Aligned areas must overlap by this share of the smaller one for the correlation to count.
MIN_OVERLAP = 0.2
# Fine detail: the two areas aligned at FEATURE_SIDE and their edges (gradient magnitude after a
# Gaussian blur of DETAIL_SIGMA px) correlated cell by cell over a DETAIL_CELLS x DETAIL_CELLS
# grid of their overlap; the median cell is the measure, so a banner, caption or watermark over
# part of one copy spoils a few cells, not the verdict. The blurred thumbnail sees sky over sea
# alike in any two sea photos (a look-alike scene correlates 0.9 there); edges at this scale agree
# only between copies of one photo. Looked at only for verifications with a plausible geometry,
# DETAIL_INLIERS or more inliers and a thumbnail correlation of DETAIL_CORRELATION, or confirmed
# by the rules above with fewer than DETAIL_VETO_BELOW inliers, since it decodes both areas
# again (no pair of different photos came near that many). Calibrated by bench/link_accuracy.py on
# pairs outside the held-out layout (bench/RESULTS-linking.md): at or above DETAIL_CONFIRM such a
# pair is confirmed however few or bunched its inliers (a crop against a half-scrolled copy shares
# a strip); below DETAIL_VETO no rule confirms it (two different photos of one scene, or two
# screenshots in one app layout, can pass the rules above).
DETAIL_SIGMA = 1.5
DETAIL_CELLS = 4
DETAIL_INLIERS = 12
DETAIL_CORRELATION = 0.8
DETAIL_CONFIRM = 0.7
DETAIL_VETO = 0.3
DETAIL_VETO_BELOW = 60
# A photo scrolled part way off a screen shows its top or bottom at the photo's full width: the
# shorter area (by height over width, STRIP_ASPECT or less of the other's) is laid over the top
# and over the bottom of the other at the other's width, as shown and mirrored, with no feature
# matching at all; a strip of sky and sea gives ORB too few keypoints for any geometry. Where
# the thumbnails so aligned correlate DETAIL_CORRELATION or more, fine detail decides: from
# STRIP_CONFIRM the pair is confirmed. The alignment is fixed, not fitted to the pixels, so two
# different photos cannot be made to agree by it: of 18,151 unconfirmed verifications on the
# 600-file labelled collection, no pair of different photos came above 0.45 and true strips
# went up to 0.99 (bench/RESULTS-linking.md).
STRIP_ASPECT = 0.97
STRIP_CONFIRM = 0.6


# Names everything a stored description or verification depends on: a change to any of these
# makes earlier descriptions and verifications (analysis/imagelinks.py keeps both) obsolete.
FEATURES_VERSION = (f"orb{ORB_FEATURES}-fast{FAST_THRESHOLD}-side{FEATURE_SIDE}-min{_MIN_SIDE}"
                    f"-thumb{THUMB_SIDE}u8-points{POINT_STEPS}-2")
VERIFIER_VERSION = (f"{FEATURES_VERSION}-ratio{RATIO}-ransac{RANSAC_PIXELS}-scale{MAX_SCALE}"
                    f"-tilt{MAX_TILT_DEGREES}-spread{MIN_SPREAD}-overlap{MIN_OVERLAP}"
                    f"-in{MIN_INLIERS}-{MIN_CORRELATION}-{MIN_COVERAGE}"
                    f"-cov{COVERED_INLIERS}-{COVERED_CORRELATION}-{COVERED_COVERAGE}"
                    f"-weak{WEAK_INLIERS}-{WEAK_CORRELATION}-{WEAK_COVERAGE}"
                    f"-dense{DENSE_INLIERS}-{DENSE_CORRELATION}"
                    f"-detail{DETAIL_SIGMA}-{DETAIL_CELLS}-{DETAIL_INLIERS}-{DETAIL_CORRELATION}"
                    f"-{DETAIL_CONFIRM}-{DETAIL_VETO}-{DETAIL_VETO_BELOW}"
                    f"-strip{STRIP_ASPECT}-{STRIP_CONFIRM}-4")


@dataclass
class RegionFeatures:
    """ORB keypoints (x, y at the described size) and descriptors of one area, with a small
    blurred copy of its pixels for the correlation check."""

    points: np.ndarray  # (n, 2) float32, multiples of 1 / POINT_STEPS
    descriptors: np.ndarray | None  # (n, 32) uint8, None when no keypoint was found
    size: tuple[int, int]  # width, height the points are measured in
    thumb: np.ndarray | None = None  # uint8, blurred, longest side THUMB_SIDE


@dataclass
class Verification:
    """How well two areas agree by local features.

    ``matches`` passed the ratio test; ``inliers`` of them fit one transform; ``scale`` and
    ``rotation`` (degrees) are that transform's; ``homography_ok`` says the transform is
    plausible (scale, tilt and spread within limits); ``correlation`` is the normalised
    correlation of the two areas' pixels where they overlap once aligned by it (-1 to 1);
    ``coverage`` is the share of keypoints in the overlap that are inliers (two photos that
    only share one drawn object match there and nowhere else); ``mirrored`` when the second
    area matched as its left-right mirror image; ``detail`` is the correlation of the aligned
    areas' fine edges (None when it could not change the decision, so was not looked at);
    ``strip`` is "top" or "bottom" when the pair was confirmed by laying the shorter area over
    that part of the other at its full width (then ``scale``, ``correlation``, ``detail`` and
    ``mirrored`` are that alignment's, and ``matches`` and ``inliers`` the failed matching's).
    """

    matches: int
    inliers: int
    homography_ok: bool
    scale: float
    rotation: float
    mirrored: bool
    seconds: float
    correlation: float = 0.0
    coverage: float = 0.0
    geometry_ok: bool = False  # scale and tilt plausible, whatever the inliers' spread
    spread: float = 0.0  # the inliers' span over the narrower side of either area (0-1)
    detail: float | None = None
    strip: str = ""

    @property
    def dense(self) -> bool:
        """Confirmed by dense agreement (many inliers, aligned pixels alike), not by spread."""
        return (self.geometry_ok and self.inliers >= DENSE_INLIERS
                and self.correlation >= DENSE_CORRELATION and self.coverage >= MIN_COVERAGE)

    @property
    def by_rules(self) -> bool:
        """Confirmed by inliers, spread, correlation and coverage (before fine detail)."""
        return (self.homography_ok and self.inliers >= MIN_INLIERS
                and self.correlation >= MIN_CORRELATION
                and self.coverage >= MIN_COVERAGE) or self.covered or self.dense

    @property
    def detailed(self) -> bool:
        """Confirmed by fine detail: few or bunched inliers, but the aligned edges agree."""
        return (self.detail is not None and self.detail >= DETAIL_CONFIRM and self.geometry_ok
                and self.inliers >= DETAIL_INLIERS and self.correlation >= DETAIL_CORRELATION)

    @property
    def vetoed(self) -> bool:
        """Refused by fine detail although the rules pass: the aligned edges disagree."""
        return (self.detail is not None and self.detail < DETAIL_VETO
                and self.inliers < DETAIL_VETO_BELOW)

    @property
    def stripped(self) -> bool:
        """Confirmed as the top or bottom of the other area, by fine detail alone."""
        return bool(self.strip) and self.detail is not None and self.detail >= STRIP_CONFIRM

    @property
    def confirmed(self) -> bool:
        return self.stripped or (not self.vetoed and (self.by_rules or self.detailed))

    @property
    def covered(self) -> bool:
        """Confirmed by a large share of the overlap's keypoints, with fewer inliers."""
        return (self.homography_ok and self.inliers >= COVERED_INLIERS
                and self.correlation >= COVERED_CORRELATION
                and self.coverage >= COVERED_COVERAGE)

    @property
    def borderline(self) -> bool:
        return (self.homography_ok and self.inliers >= WEAK_INLIERS
                and self.correlation >= WEAK_CORRELATION and self.coverage >= WEAK_COVERAGE
                and not self.confirmed)


class FeatureError(ValueError):
    """An area could not be read or described; the message is one sentence."""


_ORB = None


def _orb() -> cv2.ORB:
    global _ORB
    if _ORB is None:
        _ORB = cv2.ORB_create(nfeatures=ORB_FEATURES, fastThreshold=FAST_THRESHOLD)
    return _ORB


def _area(path: Path, box: tuple[int, int, int, int] | None) -> np.ndarray:
    """The area ``box`` (full-size displayed pixels) of the image, grey, at FEATURE_SIDE."""
    try:
        work, width, height = decode_grey(path)
    except HashingError as e:
        raise FeatureError(str(e)) from None
    if box is not None:
        sx, sy = work.width / width, work.height / height
        x0, y0, x1, y1 = box
        crop_box = (max(0, round(x0 * sx)), max(0, round(y0 * sy)),
                    min(work.width, round(x1 * sx)), min(work.height, round(y1 * sy)))
        if crop_box[2] - crop_box[0] < 8 or crop_box[3] - crop_box[1] < 8:
            raise FeatureError(f"The area {box} of {path.name} is too small to compare.")
        work = work.crop(crop_box)
    scale = FEATURE_SIDE / max(work.size)
    if scale < 1 or max(work.size) < _MIN_SIDE:
        size = (max(1, round(work.width * scale)), max(1, round(work.height * scale)))
        work = work.resize(size, Image.Resampling.BILINEAR if scale < 1
                           else Image.Resampling.BICUBIC)
    return np.asarray(work, dtype=np.uint8)


def describe(grey: np.ndarray) -> RegionFeatures:
    """ORB keypoints and descriptors of a greyscale uint8 array."""
    keypoints, descriptors = _orb().detectAndCompute(grey, None)
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    h, w = grey.shape
    k = THUMB_SIDE / max(w, h)
    thumb = cv2.resize(grey, (max(1, round(w * k)), max(1, round(h * k))),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    thumb = cv2.GaussianBlur(thumb, (3, 3), 0)
    # Quantised here, not only when stored, so a stored area verifies as a fresh one.
    points = np.round(points * POINT_STEPS).astype(np.float32) / POINT_STEPS
    thumb = np.clip(np.round(thumb), 0, 255).astype(np.uint8)
    return RegionFeatures(points, descriptors, (w, h), thumb)


def describe_both(grey: np.ndarray) -> tuple[RegionFeatures, RegionFeatures]:
    """An area's features as shown and as its left-right mirror image; the mirror's thumbnail
    is the flip of the shown one (so it need not be kept)."""
    shown = describe(grey)
    mirrored = describe(np.ascontiguousarray(grey[:, ::-1]))
    if shown.thumb is not None:
        mirrored.thumb = np.ascontiguousarray(shown.thumb[:, ::-1])
    return shown, mirrored


def _correlation(a: RegionFeatures, b: RegionFeatures, matrix: np.ndarray) -> float:
    """Normalised correlation of a's thumbnail with b's, aligned by ``matrix`` (a -> b in the
    described pixels), over the part of a that b covers; 0 when they barely overlap."""
    if a.thumb is None or b.thumb is None:
        return 0.0
    ka = a.thumb.shape[1] / a.size[0]
    kb = b.thumb.shape[1] / b.size[0]
    # Warped in float: interpolating the uint8 thumbnail would round it again.
    ta, tb = a.thumb.astype(np.float32), b.thumb.astype(np.float32)
    m = matrix.astype(np.float64).copy()
    m[:, :2] *= kb / ka
    m[:, 2] *= kb
    h, w = ta.shape
    # WARP_INVERSE_MAP: m takes a's pixel to the place in b it is read from.
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(tb, m, (w, h), flags=flags)
    cover = cv2.warpAffine(np.ones_like(tb), m, (w, h), flags=cv2.INTER_NEAREST
                           | cv2.WARP_INVERSE_MAP) > 0.5
    smaller = min(ta.size, tb.size)
    if cover.sum() < max(16, MIN_OVERLAP * smaller):
        return 0.0
    x, y = ta[cover], warped[cover]
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 1e-6 else 0.0


# Areas whose pixels a FeatureCache keeps for fine detail (about 170 KB each): verification jobs
# come sorted by their first area, and the second areas of a run of jobs are mostly copies of one
# photo, asked for again with the next first area.
_GREYS_KEPT = 64


class FeatureCache:
    """Features of areas by (path, box), as shown and mirrored, each area decoded once.

    Both are described at once: most candidates that fail as shown are tried mirrored, and
    keeping keypoints (about 70 KB an area at 1000 keypoints) is cheaper than keeping pixels.
    With ``max_areas`` the least recently used areas are dropped past that many. With
    ``folder``, descriptions are also written there and read back by any cache given the same
    folder (in another process, or a later run); an unreadable or evicted file is described
    again. Reading a file marks it used (its modification time), for ``bound_folder``.
    """

    def __init__(self, max_areas: int | None = None, folder: str | Path | None = None) -> None:
        self._features: OrderedDict[tuple, tuple[RegionFeatures, RegionFeatures]] = \
            OrderedDict()
        self.max_areas = max_areas
        self.folder = Path(folder) if folder is not None else None
        self.described = 0  # areas described here (not found in memory or in the folder)
        # Pixels of the last few areas, for fine detail (not kept on disk: decoding again is
        # cheaper than storing them, and few verifications look at detail).
        self._greys: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._features)

    def features(self, path: str | Path, box: tuple[int, int, int, int] | None,
                 mirrored: bool = False) -> RegionFeatures:
        key = (str(path), tuple(box) if box is not None else None)
        if key in self._features:
            self._features.move_to_end(key)
        else:
            pair = load_features(self.file_for(*key)) if self.folder is not None else None
            if pair is None:
                grey = _area(Path(path), box)
                self._keep_grey(key, grey)
                pair = describe_both(grey)
                self.described += 1
                if self.folder is not None:
                    save_features(self.file_for(*key), pair)
            self._features[key] = pair
            if self.max_areas is not None and len(self._features) > self.max_areas:
                self._features.popitem(last=False)
        return self._features[key][1 if mirrored else 0]

    def grey(self, path: str | Path, box: tuple[int, int, int, int] | None) -> np.ndarray:
        """The area's pixels as described (grey, at FEATURE_SIDE)."""
        key = (str(path), tuple(box) if box is not None else None)
        if key in self._greys:
            self._greys.move_to_end(key)
            return self._greys[key]
        grey = _area(Path(path), box)
        self._keep_grey(key, grey)
        return grey

    def _keep_grey(self, key: tuple, grey: np.ndarray) -> None:
        self._greys[key] = grey
        if len(self._greys) > _GREYS_KEPT:
            self._greys.popitem(last=False)

    def file_for(self, path: str, box: tuple[int, int, int, int] | None) -> Path:
        """Where the description of area ``box`` of ``path`` is kept in ``folder``."""
        assert self.folder is not None
        name = hashlib.sha1(f"{path}|{box}|{FEATURES_VERSION}".encode()).hexdigest()
        return self.folder / name[:2] / f"{name}.npz"


def save_features(file: Path, pair: tuple[RegionFeatures, RegionFeatures]) -> None:
    """Write an area's features (as shown and mirrored) to ``file``, atomically: two processes
    describing the same area at once both write whole files, and the last one stays. Points go
    in fixed point (uint16), the thumbnail once, in uint8: about half the float32 size."""
    shown = pair[0]
    arrays: dict[str, np.ndarray] = {
        "size": np.asarray(shown.size, dtype=np.int32),
        "thumb": shown.thumb if shown.thumb is not None else np.zeros((0, 0), np.uint8)}
    for side, f in zip(("shown", "mirrored"), pair, strict=True):
        arrays[f"{side}_points"] = np.round(f.points * POINT_STEPS).astype(np.uint16)
        arrays[f"{side}_descriptors"] = (f.descriptors if f.descriptors is not None
                                         else np.zeros((0, 32), np.uint8))
    file.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(file, lambda out: np.savez(out, **arrays), sync=False)
    except OSError:
        pass  # a description that cannot be kept is described again next time


def load_features(file: Path) -> tuple[RegionFeatures, RegionFeatures] | None:
    """An area's features written by ``save_features``; None when missing or unreadable."""
    try:
        with np.load(file, allow_pickle=False) as z:
            size = z["size"]
            thumb = z["thumb"].astype(np.uint8) if z["thumb"].size else None
            out = []
            for side in ("shown", "mirrored"):
                desc = z[f"{side}_descriptors"]
                points = z[f"{side}_points"].astype(np.float32).reshape(-1, 2) / POINT_STEPS
                if len(points) != len(desc):
                    return None
                out.append(RegionFeatures(
                    points, desc.astype(np.uint8) if len(desc) else None,
                    (int(size[0]), int(size[1])), thumb))
        if thumb is not None:
            out[1].thumb = np.ascontiguousarray(thumb[:, ::-1])
    except (OSError, ValueError, KeyError, IndexError, EOFError):
        return None
    try:
        os.utime(file)  # marks it used: bound_folder drops the least recently used first
    except OSError:
        pass
    return out[0], out[1]


@dataclass
class FolderBound:
    """What ``bound_folder`` found and dropped."""

    files: int
    bytes: int
    removed: int
    removed_bytes: int


def bound_folder(folder: str | Path, max_bytes: int) -> FolderBound:
    """Keep a features folder at or under ``max_bytes``: the least recently used files (oldest
    modification time: written or read last longest ago) are deleted until it fits. Evicted
    areas are described again when a verification needs them."""
    if max_bytes < 0:
        raise ValueError(f"A folder size bound must be zero or more bytes, not {max_bytes}.")
    entries = []
    for file in Path(folder).glob("*/*.npz"):
        try:
            st = file.stat()
        except OSError:
            continue  # removed meanwhile by another process
        entries.append((st.st_mtime, str(file), st.st_size))
    total = sum(size for _, _, size in entries)
    removed = removed_bytes = 0
    for _, name, size in sorted(entries):
        if total - removed_bytes <= max_bytes:
            break
        try:
            Path(name).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            continue
        removed += 1
        removed_bytes += size
    return FolderBound(len(entries), total, removed, removed_bytes)


def _match(a: RegionFeatures, b: RegionFeatures) -> tuple[Verification, np.ndarray | None]:
    """The verification of a against b, and the transform (a -> b) it found, if any."""
    none = Verification(0, 0, False, 0.0, 0.0, False, 0.0)
    if a.descriptors is None or b.descriptors is None or len(a.points) < 3 or len(b.points) < 3:
        return none, None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    good = [p[0] for p in matcher.knnMatch(a.descriptors, b.descriptors, k=2)
            if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    # One keypoint of b taken by several of a is ambiguous; keep its best match only.
    best: dict[int, cv2.DMatch] = {}
    for m in good:
        if m.trainIdx not in best or m.distance < best[m.trainIdx].distance:
            best[m.trainIdx] = m
    good = list(best.values())
    if len(good) < 3:
        return Verification(len(good), 0, False, 0.0, 0.0, False, 0.0), None
    src = a.points[[m.queryIdx for m in good]]
    dst = b.points[[m.trainIdx for m in good]]
    matrix, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                               ransacReprojThreshold=RANSAC_PIXELS,
                                               maxIters=2000, confidence=0.995)
    if matrix is None or mask is None:
        return Verification(len(good), 0, False, 0.0, 0.0, False, 0.0), None
    inl = mask.ravel().astype(bool)
    scale = float(math.hypot(matrix[0, 0], matrix[1, 0]))
    rotation = float(math.degrees(math.atan2(matrix[1, 0], matrix[0, 0])))
    tilt = abs(((rotation + 45) % 90) - 45)
    geometry = 1 / MAX_SCALE <= scale <= MAX_SCALE and tilt <= MAX_TILT_DEGREES
    spread = 0.0
    if inl.sum() >= 3:
        spread = min(float(((pts.max(axis=0) - pts.min(axis=0)) / np.array(size)).min())
                     for pts, size in ((src[inl], a.size), (dst[inl], b.size)))
    ok = geometry and inl.sum() >= 3 and spread >= MIN_SPREAD
    # Correlation and coverage also when only the spread fails: the dense rule needs them.
    corr = _correlation(a, b, matrix) if geometry else 0.0
    cover = _coverage(a, b, matrix, int(inl.sum())) if geometry else 0.0
    return Verification(len(good), int(inl.sum()), bool(ok), round(scale, 3),
                        round(rotation, 1), False, 0.0, round(corr, 3), round(cover, 3),
                        bool(geometry), round(spread, 3)), matrix


def _needs_detail(v: Verification) -> bool:
    """Whether fine detail could change the decision on ``v``."""
    if v.by_rules:
        return v.inliers < DETAIL_VETO_BELOW
    return v.geometry_ok and v.inliers >= DETAIL_INLIERS and v.correlation >= DETAIL_CORRELATION


def _edges(grey: np.ndarray) -> np.ndarray:
    g = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), DETAIL_SIGMA)
    return cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))


def _ncc(x: np.ndarray, y: np.ndarray) -> float | None:
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 1e-6 else None


def detail_correlation(grey_a: np.ndarray, grey_b: np.ndarray, matrix: np.ndarray) -> float:
    """The median, over the cells of a grid laid on the part of ``grey_a`` that ``grey_b``
    covers once aligned by ``matrix`` (a -> b, areas as described), of the normalised
    correlation of their edges in the cell; cells mostly outside the overlap, or flat in both
    areas, are left out. Measured in the frame of whichever area shows the photo smaller. 0
    when they barely overlap or no cell is left."""
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    if scale < 1:
        # Compared at the coarser of the two: the finer one's edges are sharper than the
        # other's can be, brought up to its size.
        grey_a, grey_b, matrix = grey_b, grey_a, cv2.invertAffineTransform(matrix)
        scale = 1 / scale
    b = grey_b.astype(np.float32)
    if scale > 1:
        # Sampled every ``scale`` pixels: blurred first, as a shrink would, so it does not alias.
        b = cv2.GaussianBlur(b, (0, 0), 0.5 * math.sqrt(scale * scale - 1))
    h, w = grey_a.shape
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(b, matrix, (w, h), flags=flags)
    cover = cv2.warpAffine(np.ones(grey_b.shape, np.uint8), matrix, (w, h),
                           flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    # Less a border, where the warp interpolates against nothing.
    cover = cv2.erode(cover, np.ones((5, 5), np.uint8)) > 0
    if cover.sum() < max(256, MIN_OVERLAP * min(grey_a.size, grey_b.size)):
        return 0.0
    ea, eb = _edges(grey_a), _edges(warped)
    ys, xs = np.nonzero(cover)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    n = DETAIL_CELLS
    found = []
    for i in range(n):
        for j in range(n):
            cell = (slice(y0 + (y1 - y0) * i // n, y0 + (y1 - y0) * (i + 1) // n),
                    slice(x0 + (x1 - x0) * j // n, x0 + (x1 - x0) * (j + 1) // n))
            inside = cover[cell]
            if inside.sum() < max(64, inside.size // 2):
                continue
            x, y = ea[cell][inside], eb[cell][inside]
            if x.std() < 1 and y.std() < 1:
                continue
            r = _ncc(x, y)
            if r is not None:
                found.append(r)
    return float(np.median(found)) if found else 0.0


def _coverage(a: RegionFeatures, b: RegionFeatures, matrix: np.ndarray, inliers: int) -> float:
    """Inliers as a share of the keypoints that fall where the two areas overlap (the fewer of
    a's mapped into b and b's mapped back into a)."""
    def inside(points: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> int:
        mapped = points @ m[:, :2].T + m[:, 2]
        return int(((mapped >= 0) & (mapped < np.array(size, np.float32))).all(axis=1).sum())

    back = cv2.invertAffineTransform(matrix)
    shared = min(inside(a.points, matrix, b.size), inside(b.points, back, a.size))
    return min(1.0, inliers / shared) if shared else 0.0


def _rank(v: Verification) -> tuple:
    return (v.confirmed, v.borderline, v.homography_ok, v.inliers)


def verify_features(cache: FeatureCache, path_a: str | Path, box_a, path_b: str | Path,
                    box_b) -> Verification:
    """``verify_pair`` with features taken from (and kept in) ``cache``."""
    started = time.perf_counter()
    fa = cache.features(path_a, box_a)

    def check(mirrored: bool) -> Verification:
        v, matrix = _match(fa, cache.features(path_b, box_b, mirrored=mirrored))
        if matrix is not None and _needs_detail(v):
            grey_b = cache.grey(path_b, box_b)
            if mirrored:
                grey_b = np.ascontiguousarray(grey_b[:, ::-1])
            v.detail = round(detail_correlation(cache.grey(path_a, box_a), grey_b, matrix), 3)
        v.mirrored = mirrored
        return v

    result = check(False)
    if not result.confirmed:
        # A mirrored repost: ORB descriptors are not mirror-invariant, so describe the flip.
        flipped = check(True)
        if _rank(flipped) > _rank(result):
            result = flipped
    if not result.confirmed:
        _check_strip(cache, result, (path_a, box_a), (path_b, box_b))
    result.seconds = round(time.perf_counter() - started, 4)
    return result


def strip_transforms(size_a: tuple[int, int], size_b: tuple[int, int]
                     ) -> list[tuple[str, np.ndarray]]:
    """("top" | "bottom", transform a -> b) laying the shorter of two areas (width, height)
    over that part of the other at the other's full width; none when their shapes agree
    within STRIP_ASPECT."""
    (wa, ha), (wb, hb) = size_a, size_b
    if ha / wa <= STRIP_ASPECT * hb / wb:
        s = wb / wa
        return [(part, np.array([[s, 0, 0], [0, s, ty]], np.float64))
                for part, ty in (("top", 0.0), ("bottom", hb - s * ha))]
    if hb / wb <= STRIP_ASPECT * ha / wa:
        s = wa / wb
        return [(part, cv2.invertAffineTransform(np.array([[s, 0, 0], [0, s, ty]], np.float64)))
                for part, ty in (("top", 0.0), ("bottom", ha - s * hb))]
    return []


def _check_strip(cache: FeatureCache, v: Verification, area_a: Area, area_b: Area) -> None:
    """Confirm ``v`` in place when one area is the top or bottom strip of the other (see
    STRIP_CONFIRM); fine detail is only measured where the aligned thumbnails agree."""
    best: tuple[float, float, str, bool, float] | None = None
    for mirrored in (False, True):
        fa, fb = cache.features(*area_a), cache.features(*area_b, mirrored=mirrored)
        for part, matrix in strip_transforms(fa.size, fb.size):
            corr = _correlation(fa, fb, matrix)
            if corr < DETAIL_CORRELATION:
                continue
            grey_b = cache.grey(*area_b)
            if mirrored:
                grey_b = np.ascontiguousarray(grey_b[:, ::-1])
            detail = detail_correlation(cache.grey(*area_a), grey_b, matrix)
            scale = math.hypot(matrix[0, 0], matrix[1, 0])
            if best is None or detail > best[0]:
                best = (detail, corr, part, mirrored, scale)
    if best is not None and best[0] >= STRIP_CONFIRM:
        v.detail, v.correlation, v.strip, v.mirrored, v.scale = (
            round(best[0], 3), round(best[1], 3), best[2], best[3], round(best[4], 3))
        v.rotation = 0.0


def verify_pair(path_a: str | Path, box_a: tuple[int, int, int, int] | None,
                path_b: str | Path, box_b: tuple[int, int, int, int] | None,
                cache: FeatureCache | None = None) -> Verification:
    """Whether area ``box_a`` of image ``path_a`` and ``box_b`` of ``path_b`` show the same
    photo, by ORB keypoints and a RANSAC similarity transform (the mirror image of b is tried
    too). Boxes are (x0, y0, x1, y1) in full-size displayed pixels; None means the whole image.

    Raises ``FeatureError`` with a one-sentence message if an image cannot be read.
    """
    cache = cache if cache is not None else FeatureCache()
    return verify_features(cache, path_a, box_a, path_b, box_b)


Area = tuple[str | Path, tuple[int, int, int, int] | None]
# Areas a verification worker keeps described: jobs come sorted by their first area, so
# recent areas are the ones asked for again.
_WORKER_AREAS = 512
# Below this many pairs, starting worker processes costs more than it saves.
_POOL_MIN_PAIRS = 64
_worker_cache: FeatureCache | None = None


def _verify_chunk(task: tuple[str | None, list[tuple[str, tuple | None, str, tuple | None]]]
                  ) -> list[Verification | None]:
    global _worker_cache
    folder, jobs = task
    if _worker_cache is None or str(_worker_cache.folder) != str(folder):
        _worker_cache = FeatureCache(max_areas=_WORKER_AREAS, folder=folder)
    return _verify_jobs(_worker_cache, jobs)


def _verify_jobs(cache: FeatureCache, jobs: list[tuple[str, tuple | None, str, tuple | None]],
                 tick: Callable[[int], None] | None = None) -> list[Verification | None]:
    """``verify_features`` for each job in order; None where an area could not be read."""
    out: list[Verification | None] = []
    for path_a, box_a, path_b, box_b in jobs:
        try:
            out.append(verify_features(cache, path_a, box_a, path_b, box_b))
        except FeatureError:
            out.append(None)
        if tick is not None:
            tick(1)
    return out


def verify_many(pairs: Sequence[tuple[Area, Area]], workers: int = 1,
                cache: FeatureCache | None = None,
                tick: Callable[[int], None] | None = None) -> list[Verification | None]:
    """``verify_features`` for every ((path, box), (path, box)) pair, in order; None where an
    area could not be read. With ``workers`` > 1 and enough pairs, the pairs are verified in a
    spawn pool, in chunks of neighbouring pairs so each worker describes an area once for
    many of its pairs; otherwise in this process with ``cache``. Workers share ``cache``'s
    folder when it has one, so an area is described once however many workers and calls need
    it. ``tick(n)``, when given, is called as each n pairs are done; it may raise (a cancel),
    which ends the pool's workers."""
    jobs = [(str(a[0]), tuple(a[1]) if a[1] is not None else None,
             str(b[0]), tuple(b[1]) if b[1] is not None else None) for a, b in pairs]
    if workers <= 1 or len(jobs) < _POOL_MIN_PAIRS:
        return _verify_jobs(cache if cache is not None else FeatureCache(), jobs, tick)
    # Sorted by first area so a chunk shares areas; results are put back in the given order.
    order = sorted(range(len(jobs)), key=lambda k: (jobs[k][0], jobs[k][1] or (), k))
    size = max(8, min(256, len(jobs) // (workers * 8) or 8))
    folder = str(cache.folder) if cache is not None and cache.folder is not None else None
    chunks = [(folder, [jobs[k] for k in order[s:s + size]])
              for s in range(0, len(order), size)]
    results = []
    # Leaving the block early (a cancel raised by tick) terminates the workers.
    with spawn_context().Pool(workers, initializer=end_with_parent) as pool:
        for part in pool.imap(_verify_chunk, chunks, chunksize=1):
            results.append(part)
            if tick is not None:
                tick(len(part))
    out = [None] * len(jobs)
    for k, v in zip(order, (v for part in results for v in part), strict=True):
        out[k] = v
    return out
