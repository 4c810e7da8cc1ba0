"""CrowdTangle CSV exports of page and group posts.

Each row is a post: ``Page Name`` (or ``Group Name``), ``User Name``, ``Facebook Id``,
``Post Created`` ("2026-03-02 10:15:00 EST" or "2026-03-02 10:15:00 -0500"), ``Type``, ``URL``,
``Message``, ``Link``, ``Final Link``, ``Image Text`` (CrowdTangle's own OCR of the post image,
kept as ``text_found_in_image``). The export holds no media files. Zone abbreviations are read
from a fixed table of the ones CrowdTangle dashboards use; an unknown one leaves
``posted_at_utc`` empty and keeps the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from evidence.formats.records import FormatError, ParseError, PostRecord, iso_utc
from evidence.formats.tabular import CsvSource

REQUIRED = ("Facebook Id", "Post Created")
NAME_COLUMNS = ("Page Name", "Group Name")

_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "TRT": 3,
}
_CREATED = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)\s*"
    r"(?:(?P<abbr>[A-Za-z]{1,5})|(?P<off>[+-]\d{2}:?\d{2}))?\s*$"
)
_PASSED_THROUGH = (
    "Type",
    "Link",
    "Final Link",
    "Link Text",
    "Description",
    "User Name",
    "Page Category",
    "Page Admin Top Country",
    "Total Interactions",
    "Likes",
    "Comments",
    "Shares",
    "Post Views",
    "Total Views",
    "Sponsor Id",
    "Sponsor Name",
)


def is_crowdtangle_header(header: list[str]) -> bool:
    """Whether CSV column names are CrowdTangle's."""
    columns = set(header)
    return all(c in columns for c in REQUIRED) and any(c in columns for c in NAME_COLUMNS)


def parse_created(value: str) -> str | None:
    """CrowdTangle's "Post Created" as ISO 8601 UTC, or None when its zone is unknown."""
    match = _CREATED.match(value or "")
    if not match:
        return None
    time_part = match.group(2) if match.group(2).count(":") == 2 else match.group(2) + ":00"
    try:
        local = datetime.fromisoformat(f"{match.group(1)}T{time_part.zfill(8)}")
    except ValueError:
        return None
    if match.group("off"):
        digits = match.group("off").replace(":", "")
        sign = -1 if digits[0] == "-" else 1
        offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5])) * sign
    elif match.group("abbr"):
        hours = _ZONES.get(match.group("abbr").upper())
        if hours is None:
            return None
        offset = timedelta(hours=hours)
    else:
        return None
    return iso_utc(local.replace(tzinfo=timezone(offset)))


def parse_crowdtangle(path: str | Path) -> Iterator[PostRecord | ParseError]:
    """Read a CrowdTangle CSV export."""
    path = Path(path)
    with CsvSource(path) as source:
        if not is_crowdtangle_header(source.header):
            raise FormatError(
                f"{path.name} lacks the CrowdTangle columns Page Name, Facebook Id and "
                "Post Created."
            )
        name_column = next(c for c in NAME_COLUMNS if c in source.header)
        for item in source.rows():
            if isinstance(item, ParseError):
                yield item
                continue
            line, row = item
            created = row.get("Post Created", "")
            extra = {k: row[k] for k in _PASSED_THROUGH if row.get(k)}
            extra["source_encoding"] = source.encoding
            if source.encoding_note:
                extra["encoding_note"] = source.encoding_note
            if created and parse_created(created) is None:
                extra["posted_at_note"] = "The time zone of Post Created is not recognised."
            yield PostRecord(
                source_ref=f"{path.name}#line/{line}",
                kind="post",
                author=row.get(name_column) or None,
                author_id=row.get("Facebook Id") or None,
                url=row.get("URL") or None,
                posted_at_utc=parse_created(created),
                posted_at_original=created or None,
                text=row.get("Message", ""),
                text_found_in_image=row.get("Image Text") or None,
                media=[],
                raw=row,
                extra=extra,
            )
