"""The plain records every export parser yields, and the helpers they share.

A parser yields ``PostRecord`` for each post or message it reads and ``ParseError`` for each
record it cannot read, and raises ``FormatError`` (one sentence naming the file, and the line
when known) when the file as a whole cannot be parsed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

MEDIA_ROLES = ("photo", "video", "voice", "sticker", "file")
RECORD_KINDS = ("post", "message", "service")

_VIDEO_EXT = {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".3gp"}
_AUDIO_EXT = {".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".wav"}
_PHOTO_EXT = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".heic",
    ".heif",
}


class FormatError(Exception):
    """A file or folder that cannot be parsed at all; the message is one sentence."""


@dataclass
class MediaRef:
    """A media file a record refers to.

    ``path_in_source`` is relative to the export root (POSIX separators), or a URL for remote
    media, or None when the export only holds a placeholder. ``missing_reason`` says why the
    file is not available when it is not.
    """

    path_in_source: str | None
    role: str
    original_name: str | None = None
    missing_reason: str | None = None
    is_thumbnail: bool = False


@dataclass
class PostRecord:
    """One post, message or service event read from an export."""

    source_ref: str
    kind: str
    author: str | None = None
    author_id: str | None = None
    url: str | None = None
    posted_at_utc: str | None = None
    posted_at_original: str | None = None
    text: str = ""
    text_found_in_image: str | None = None
    media: list[MediaRef] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParseError:
    """A record that could not be read; the rest of the file still is."""

    source_ref: str
    position: str
    reason: str
    line: int | None = None


def iso_utc_from_epoch(value: Any) -> str | None:
    """``value`` (seconds since the epoch, int or numeric string) as ISO 8601 UTC, or None."""
    try:
        seconds = float(value)
        when = datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return iso_utc(when)


def iso_utc(when: datetime) -> str:
    """An aware datetime as "YYYY-MM-DDTHH:MM:SS[.mmm]Z"."""
    when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds") + "Z"


def media_role_for(name: str, default: str = "file") -> str:
    """The role a file name suggests: photo, video, voice or ``default``."""
    suffix = PurePosixPath(name.split("?", 1)[0]).suffix.lower()
    if suffix in _PHOTO_EXT:
        return "photo"
    if suffix in _VIDEO_EXT:
        return "video"
    if suffix in _AUDIO_EXT:
        return "voice"
    return default


def relative_media(root: Path, ref: str) -> tuple[str, str | None]:
    """``ref`` (a path an export wrote) made relative to ``root``, and why it is missing if so.

    References that climb out of the export root are refused: an export never needs them.
    """
    cleaned = ref.replace("\\", "/").strip()
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        return cleaned, "The export refers to an absolute path outside the export folder."
    parts = [p for p in cleaned.split("/") if p not in ("", ".")]
    if ".." in parts:
        return cleaned, "The export refers to a path outside the export folder."
    rel = "/".join(parts)
    if not rel:
        return cleaned, "The export gives an empty file path."
    if not (root / Path(*parts)).is_file():
        return rel, "The export lists this file but it is not in the export folder."
    return rel, None


def json_safe(value: Any) -> Any:
    """``value`` with anything JSON cannot hold turned into strings."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        pass
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return str(value)
    return str(value)


def load_json_file(path: Path) -> Any:
    """Parse a whole JSON file, raising FormatError with its line and column when malformed."""
    try:
        with path.open("r", encoding="utf-8-sig") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{path.name} is not UTF-8 text (bad byte at position {exc.start}), so it is not "
            "a JSON export."
        ) from exc
    except RecursionError as exc:
        raise FormatError(f"{path.name} nests JSON too deeply to be read.") from exc
    except OSError as exc:
        raise FormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc


def display_name(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` with POSIX separators, for source references."""
    if root is not None:
        try:
            return Path(os.path.relpath(path, root)).as_posix()
        except ValueError:
            pass
    return path.name
