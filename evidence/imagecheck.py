"""Checking that a received file is a readable image, and reading its plain EXIF facts.

``inspect_image`` opens a file with Pillow (HEIC/HEIF through pillow-heif), refuses absurd pixel
counts from the header before any pixel is decoded, checks the file's structure and returns an
``ImageInfo`` with a one-sentence reason when the file cannot be used. It never raises, never
changes the file, and is safe to call from several threads at once (no warnings filter is
changed: the pixel cap is compared here, against Pillow's own threshold too).

What is checked, per format, so an import stays close to the cost of copying the file:
- PNG: every chunk's CRC and the closing IEND are checked while walking the chunks; pixels are
  not inflated. Flipped bytes inside stored or literal deflate data decode without any error,
  so the CRCs are what catch damage. A deflate stream that is broken under valid CRCs (a file
  made that way) is caught by the analysis stage, which decodes every image in full and marks
  the media unreadable (``evidence.importer.mark_unreadable``).
- JPEG: decoded in Pillow's draft mode (libjpeg DCT scaling to 1/8 size). libjpeg still reads
  and entropy-decodes every scan, so a truncated or corrupt JPEG fails as it does in a
  full-size decode, at about half the cost.
- Every other format: its first frame is decoded in full.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, UnidentifiedImageError

# Images over Pillow's warning threshold are refused by _pixel_cap's own comparison, so the
# warning Image.open prints for them would only be noise on the analyst's terminal. One filter,
# set once at import (not per call: warnings filters are process-wide and not thread-safe).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF_AVAILABLE = True
except ImportError:  # the image check still works for every other format
    _HEIF_AVAILABLE = False

MAX_PIXELS = 100_000_000
"""Images whose header claims more pixels than this are refused before decoding."""

_SNIFF_BYTES = 512
_CHUNK_PIECE = 1 << 20


@dataclass
class ImageInfo:
    """What the image check found. ``reason`` is one sentence when ``readable`` is False."""

    readable: bool
    reason: str | None = None
    format: str | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    exif: dict[str, Any] = field(default_factory=dict)


def inspect_image(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Check that ``path`` is a fully decodable image and read its size, frames and EXIF."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return ImageInfo(False, f"The file cannot be opened ({exc.strerror or exc}).")
    if not path.is_file():
        return ImageInfo(False, "The path is not a regular file.")
    if size == 0:
        return ImageInfo(False, "The file is empty (zero bytes).")
    try:
        return _inspect(path, max_pixels)
    except Exception as exc:  # never raise: the importer records the reason and goes on
        return ImageInfo(False, f"The image could not be read ({_describe(exc)}).")


def _pixel_cap(max_pixels: int) -> int:
    """Our cap, lowered to Pillow's own warning threshold so an image Pillow would warn about
    is refused by this comparison, not by a process-wide warnings filter (threads share it)."""
    pillow = Image.MAX_IMAGE_PIXELS
    return max_pixels if pillow is None else min(max_pixels, int(pillow))


def _inspect(path: Path, max_pixels: int) -> ImageInfo:
    bomb = "The image claims so many pixels that decoding it is refused."
    try:
        img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning arrives as an exception only where a caller turned warnings into errors.
        return ImageInfo(False, bomb)
    except UnidentifiedImageError:
        return ImageInfo(False, _not_an_image_reason(path))
    except OSError as exc:
        return ImageInfo(False, f"The image header is damaged ({_describe(exc)}).")
    with img:
        info = ImageInfo(
            readable=False,
            format=img.format,
            mime=_mime(img),
            width=img.width,
            height=img.height,
        )
        pixels = img.width * img.height
        if pixels > max_pixels:
            info.reason = (
                f"The image header claims {img.width} x {img.height} pixels, more than the "
                f"limit of {max_pixels // 1_000_000} megapixels, so it is not decoded."
            )
            return info
        if pixels > _pixel_cap(max_pixels):
            info.reason = bomb
            return info
        if pixels == 0:
            info.reason = "The image header claims zero width or height."
            return info
        info.frames = _frame_count(img)
        try:
            if img.format == "PNG":
                # Every chunk's CRC and the closing IEND, without inflating the pixels: the
                # analysis stage decodes every image in full and flags what fails there.
                late_exif = _check_png_chunks(path)
                if late_exif is not None and "exif" not in img.info:
                    img.info["exif"] = b"Exif\x00\x00" + late_exif
                # Without an eXIf chunk Pillow's getexif decodes every pixel looking for one.
                info.exif = _exif_facts(img) if "exif" in img.info else {}
            else:
                info.exif = _exif_facts(img)
                if img.format == "JPEG":
                    img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
        except Image.DecompressionBombError:
            info.reason = bomb
            return info
        except Exception as exc:
            info.reason = f"The image is truncated or corrupt ({_describe(exc)})."
            return info
        info.readable = True
        return info


class _PngDamaged(ValueError):
    pass


def _check_png_chunks(path: Path) -> bytes | None:
    """Walk a PNG's chunks to IEND checking every CRC; return the eXIf payload if any.

    A flipped byte inside stored or literal deflate data decodes without any error, so the
    CRCs are what catch it; the walk reads the file once and inflates nothing.
    """
    exif = None
    with path.open("rb") as fh:
        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
            raise _PngDamaged("the PNG signature is missing")
        while True:
            head = fh.read(8)
            if len(head) < 8:
                raise _PngDamaged("the file ends before the IEND chunk")
            length, ctype = struct.unpack(">I4s", head)
            if length > 0x7FFFFFFF:
                raise _PngDamaged(f"chunk {ctype!r} claims an impossible length")
            running = zlib.crc32(ctype)
            data = b""
            left = length
            while left:  # in pieces: one IDAT may hold the whole image
                piece = fh.read(min(left, _CHUNK_PIECE))
                if not piece:
                    raise _PngDamaged("the file ends before the IEND chunk")
                running = zlib.crc32(piece, running)
                left -= len(piece)
                if ctype == b"eXIf":
                    data += piece
            crc = fh.read(4)
            if len(crc) < 4:
                raise _PngDamaged("the file ends before the IEND chunk")
            if running != struct.unpack(">I", crc)[0]:
                name = ctype.decode("latin-1")
                raise _PngDamaged(f"broken PNG file (bad CRC in chunk {name})")
            if ctype == b"eXIf" and exif is None:
                exif = data
            if ctype == b"IEND":
                return exif


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."


def _mime(img: Image.Image) -> str | None:
    try:
        mime = img.get_format_mimetype()
    except Exception:
        mime = None
    if mime is None and img.format:
        mime = Image.MIME.get(img.format.upper())
    return mime


def _frame_count(img: Image.Image) -> int:
    try:
        return max(1, int(getattr(img, "n_frames", 1)))
    except Exception:  # a damaged later frame does not make the first frame unusable
        return 1


def _not_an_image_reason(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        head = b""
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "The file is an HTML page, not an image, despite its name."
    if head.startswith(b"PK\x03\x04"):
        return "The file is a zip archive, not an image, despite its name."
    if head.startswith(b"%PDF"):
        return "The file is a PDF document, not an image, despite its name."
    if head and _looks_like_text(head):
        return "The file contains text, not an image, despite its name."
    return "The file is not in any image format Tideline can read."


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


# --- EXIF -----------------------------------------------------------------------------------

_BASE_TAGS = {
    ExifTags.Base.Make: "Make",
    ExifTags.Base.Model: "Model",
    ExifTags.Base.Orientation: "Orientation",
    ExifTags.Base.DateTime: "DateTime",
    ExifTags.Base.Software: "Software",
}
_EXIF_IFD_TAGS = {
    ExifTags.Base.DateTimeOriginal: "DateTimeOriginal",
    ExifTags.Base.OffsetTimeOriginal: "OffsetTimeOriginal",
    ExifTags.Base.DateTimeDigitized: "DateTimeDigitized",
}


def _exif_facts(img: Image.Image) -> dict[str, Any]:
    """The few EXIF values analysts use, as JSON-safe scalars; broken EXIF yields {}."""
    try:
        exif = img.getexif()
    except Exception:
        return {}
    facts: dict[str, Any] = {}
    for tag, name in _BASE_TAGS.items():
        _put(facts, name, exif.get(tag))
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        sub = {}
    for tag, name in _EXIF_IFD_TAGS.items():
        _put(facts, name, sub.get(tag))
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        gps = {}
    lat = _gps_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
    lon = _gps_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
        facts["GPSLatitude"] = lat
        facts["GPSLongitude"] = lon
    return facts


def _put(facts: dict[str, Any], name: str, value: Any) -> None:
    plain = _plain(value)
    if plain is not None and plain != "":
        facts[name] = plain


def _plain(value: Any) -> str | int | float | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)
    return number if math.isfinite(number) else None


def _gps_degrees(dms: Any, ref: Any) -> float | None:
    try:
        deg, minutes, seconds = (float(part) for part in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = deg + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        value = -value
    return round(value, 7)


def heif_supported() -> bool:
    """Whether HEIC/HEIF files can be opened (pillow-heif is importable)."""
    return _HEIF_AVAILABLE
