"""Checking that a received file is a readable image, and reading its plain EXIF facts.

``inspect_image`` opens a file with Pillow (HEIC/HEIF through pillow-heif), refuses absurd pixel
counts from the header before any pixel is decoded, forces a full decode of the first frame so a
truncated or corrupt file is caught, and returns an ``ImageInfo`` with a one-sentence reason when
the file cannot be used. It never raises and never changes the file.

Speed: a JPEG is decoded in Pillow's draft mode (libjpeg DCT scaling to 1/8 size). libjpeg still
has to read and entropy-decode every scan of the file to produce the scaled image, so a truncated
or corrupt JPEG fails exactly as it does in a full-size decode, at about half the cost. A PNG's chunk CRCs are checked as well (``Image.verify``), because
flipped bytes inside stored or literal deflate data decode without any error.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, UnidentifiedImageError

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF_AVAILABLE = True
except ImportError:  # the image check still works for every other format
    _HEIF_AVAILABLE = False

MAX_PIXELS = 100_000_000
"""Images whose header claims more pixels than this are refused before decoding."""

_SNIFF_BYTES = 512


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


def _inspect(path: Path, max_pixels: int) -> ImageInfo:
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat the warning as a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return ImageInfo(False, "The image claims so many pixels that decoding it is refused.")
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
            if pixels == 0:
                info.reason = "The image header claims zero width or height."
                return info
            info.frames = _frame_count(img)
            info.exif = _exif_facts(img)
            try:
                if img.format == "PNG":
                    _verify_png(path)
                if img.format == "JPEG":
                    img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                info.reason = "The image claims so many pixels that decoding it is refused."
                return info
            except Exception as exc:
                info.reason = f"The image is truncated or corrupt ({_describe(exc)})."
                return info
            info.readable = True
            return info


def _verify_png(path: Path) -> None:
    """Check every PNG chunk's CRC: a damaged IDAT can otherwise decode to wrong pixels."""
    with Image.open(path) as fresh:
        fresh.verify()


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
