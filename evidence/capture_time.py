"""When a screenshot or photo was taken, from EXIF, the file name, or the file's time.

``capture_time`` tries, in order: EXIF ``DateTimeOriginal`` (with ``OffsetTimeOriginal`` when the
camera wrote one), the time in a known phone, desktop or messenger file-name pattern, and the
file's modification time. Times written without a zone (almost all of them) are kept as naive
local times in ``when_local``; no zone is invented. ``when_utc`` is set only when the true UTC
instant is known (an EXIF offset, a Pixel file name, which Pixel phones write in UTC, or a file
time, which is an epoch instant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# Space, no-break space and the narrow no-break space macOS puts before AM/PM.
_SP = r"[ \u00a0\u202f]"
_AMPM = rf"(?:{_SP}*(?P<ampm>[AaPp][Mm]))?"


@dataclass(frozen=True)
class CaptureTime:
    """A capture time and where it came from.

    ``when_utc`` is an ISO 8601 UTC instant ("...Z") when the zone is known; ``when_local`` is a
    naive ISO 8601 local time when it is not. ``source`` is "exif", "filename" or "file_time",
    or None when nothing was found. ``original`` is the text the time was read from, with a note
    when the zone is unknown.
    """

    when_utc: str | None
    source: str | None
    original: str
    when_local: str | None = None

    @property
    def zone_known(self) -> bool:
        return self.when_utc is not None

    @property
    def when(self) -> str | None:
        """The best value to show or sort by: the UTC instant, else the naive local time."""
        return self.when_utc or self.when_local


@dataclass(frozen=True)
class _Pattern:
    label: str
    regex: re.Pattern[str]
    utc: bool = False


def _p(label: str, pattern: str, utc: bool = False) -> _Pattern:
    return _Pattern(label, re.compile(pattern, re.IGNORECASE), utc)


_DATE8 = r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})"
_TIME6 = r"(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})"
_DATE_DASH = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"

_PATTERNS: tuple[_Pattern, ...] = (
    # Android: Screenshot_20260302-101500.png
    _p("Android screenshot", rf"^Screenshot_{_DATE8}-{_TIME6}"),
    # Android (Samsung/MIUI): Screenshot_2026-03-02-10-15-00-123_com.facebook.katana.jpg
    _p(
        "Android screenshot",
        rf"^Screenshot_{_DATE_DASH}-(?P<h>\d{{2}})-(?P<mi>\d{{2}})-(?P<s>\d{{2}})"
        r"(?:-(?P<ms>\d{1,3}))?",
    ),
    # macOS: "Screenshot 2026-03-02 at 10.15.00.png", "Screen Shot ... at 10.15.00 AM.png"
    _p(
        "macOS screenshot",
        rf"^Screen{_SP}?Shot{_SP}{_DATE_DASH}{_SP}at{_SP}"
        rf"(?P<h>\d{{1,2}})\.(?P<mi>\d{{2}})\.(?P<s>\d{{2}}){_AMPM}",
    ),
    # GNOME: "Screenshot from 2026-03-02 10-15-00.png"
    _p(
        "GNOME screenshot",
        rf"^Screenshot{_SP}from{_SP}{_DATE_DASH}{_SP}"
        r"(?P<h>\d{2})-(?P<mi>\d{2})-(?P<s>\d{2})",
    ),
    # Windows Snipping Tool: "Screenshot 2026-03-02 101500.png"
    _p("Windows screenshot", rf"^Screenshot{_SP}{_DATE_DASH}{_SP}{_TIME6}(?!\d)"),
    # Android camera: IMG_20260302_101500.jpg, VID_20260302_101500.mp4
    _p("Android camera", rf"^(?:IMG|VID)_{_DATE8}_{_TIME6}"),
    # Google Pixel: PXL_20260302_101500123.jpg; Pixel writes these names in UTC.
    _p("Pixel camera (UTC)", rf"^PXL_{_DATE8}_{_TIME6}(?P<ms>\d{{3}})?", utc=True),
    # WhatsApp: "WhatsApp Image 2026-03-02 at 10.15.00.jpeg" (also "... 10.15.00 AM (1).jpeg")
    _p(
        "WhatsApp media",
        rf"^WhatsApp{_SP}(?:Image|Video){_SP}{_DATE_DASH}{_SP}at{_SP}"
        rf"(?P<h>\d{{1,2}})\.(?P<mi>\d{{2}})\.(?P<s>\d{{2}}){_AMPM}",
    ),
    # Telegram Desktop export: photo_2026-03-02_10-15-00.jpg
    _p(
        "Telegram export",
        rf"^(?:photo|video|file)_{_DATE_DASH}_(?P<h>\d{{2}})-(?P<mi>\d{{2}})-(?P<s>\d{{2}})",
    ),
)


def capture_time(name: str, exif: dict[str, Any], file_mtime: float | None) -> CaptureTime:
    """The capture time of a file named ``name`` (a base name or path) with ``exif`` facts."""
    for finder in (_from_exif, _from_filename, _from_epoch_name):
        found = finder(name, exif or {})
        if found is not None:
            return found
    if file_mtime is not None:
        try:
            when = datetime.fromtimestamp(float(file_mtime), UTC)
        except (OverflowError, OSError, ValueError):
            when = None
        if when is not None:
            return CaptureTime(_iso_utc(when), "file_time", f"file modified at {_iso_utc(when)}")
    return CaptureTime(None, None, "no capture time found")


_EPOCH_NAME = re.compile(r"^FB_IMG_(?P<ms>1\d{12})(?!\d)", re.IGNORECASE)


def _from_epoch_name(name: str, _exif: dict[str, Any]) -> CaptureTime | None:
    """Facebook for Android saves images as FB_IMG_<milliseconds since 1970, UTC>.jpg."""
    m = _EPOCH_NAME.match(name.replace("\\", "/").rsplit("/", 1)[-1])
    if not m:
        return None
    when = datetime.fromtimestamp(int(m["ms"]) / 1000, UTC)
    return CaptureTime(_iso_utc(when), "filename", f"{m.group(0)} (Facebook app download, UTC)")


def _from_exif(_name: str, exif: dict[str, Any]) -> CaptureTime | None:
    raw = exif.get("DateTimeOriginal")
    if not isinstance(raw, str):
        return None
    match = re.match(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", raw)
    if not match:
        return None
    try:
        local = datetime(*(int(part) for part in match.groups()))
    except ValueError:  # "0000:00:00 00:00:00" and other placeholders
        return None
    offset = _parse_offset(exif.get("OffsetTimeOriginal"))
    if offset is not None:
        when = local.replace(tzinfo=offset).astimezone(UTC)
        return CaptureTime(_iso_utc(when), "exif", f"{raw.strip()} {exif['OffsetTimeOriginal']}")
    return CaptureTime(None, "exif", f"{raw.strip()} (local time, zone unknown)", _iso(local))


def _parse_offset(value: Any) -> timezone | None:
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*([+-])(\d{2}):?(\d{2})\s*", value)
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_filename(name: str, _exif: dict[str, Any]) -> CaptureTime | None:
    base = re.split(r"[\\/]", name)[-1]
    for pattern in _PATTERNS:
        match = pattern.regex.search(base)
        if not match:
            continue
        when = _build(match.groupdict())
        if when is None:
            continue
        if pattern.utc:
            return CaptureTime(
                _iso_utc(when.replace(tzinfo=UTC)), "filename", f"{base} ({pattern.label})"
            )
        return CaptureTime(
            None,
            "filename",
            f"{base} ({pattern.label}; local time, zone unknown)",
            _iso(when),
        )
    return None


def _build(parts: dict[str, str | None]) -> datetime | None:
    try:
        hour = int(parts["h"] or 0)
        ampm = (parts.get("ampm") or "").upper()
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm == "PM" else 0)
        millis = parts.get("ms")
        micro = int(millis.ljust(3, "0")) * 1000 if millis else 0
        return datetime(
            int(parts["y"] or 0),
            int(parts["mo"] or 0),
            int(parts["d"] or 0),
            hour,
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            micro,
        )
    except ValueError:  # impossible dates such as month 13 are not times
        return None


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds")


def _iso_utc(when: datetime) -> str:
    return _iso(when.astimezone(UTC).replace(tzinfo=None)) + "Z"
