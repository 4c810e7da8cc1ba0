"""Export formats: detecting what a path is and parsing exports into plain records.

``detect(path)`` names the format; ``parse(path, fmt, mapping)`` yields ``PostRecord`` and
``ParseError`` items for the record-bearing formats (telegram, facebook, crowdtangle, csv, json,
jsonl). Folders and zip archives are walked by the importer (see ``evidence.safezip``), not
parsed here. Nothing in this package writes anything or touches the case database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from evidence.formats.crowdtangle import parse_crowdtangle
from evidence.formats.detect import FORMATS, detect
from evidence.formats.facebook import fix_mojibake, parse_facebook
from evidence.formats.generic import (
    parse_generic_csv,
    parse_generic_json,
    parse_jsonl,
    parse_mapping,
)
from evidence.formats.records import FormatError, MediaRef, ParseError, PostRecord
from evidence.formats.telegram import parse_telegram

RECORD_FORMATS = ("telegram", "facebook", "crowdtangle", "csv", "json", "jsonl")

__all__ = [
    "FORMATS",
    "RECORD_FORMATS",
    "FormatError",
    "MediaRef",
    "ParseError",
    "PostRecord",
    "detect",
    "fix_mojibake",
    "parse",
    "parse_crowdtangle",
    "parse_facebook",
    "parse_generic_csv",
    "parse_generic_json",
    "parse_jsonl",
    "parse_mapping",
    "parse_telegram",
]


def parse(
    path: str | Path, fmt: str | None = None, mapping: dict[str, str] | None = None
) -> Iterator[PostRecord | ParseError]:
    """Records of the export at ``path``; ``fmt`` defaults to ``detect(path)``.

    ``mapping`` applies to csv, json and jsonl. Raises FormatError (one sentence) when the
    format holds no records or the file cannot be parsed at all.
    """
    fmt = fmt or detect(path)
    if fmt == "telegram":
        return parse_telegram(path)
    if fmt == "facebook":
        return parse_facebook(path)
    if fmt == "crowdtangle":
        return parse_crowdtangle(path)
    if fmt == "csv":
        return parse_generic_csv(path, mapping)
    if fmt == "json":
        return parse_generic_json(path, mapping)
    if fmt == "jsonl":
        return parse_jsonl(path, mapping)
    if fmt in ("folder", "zip"):
        raise FormatError(f"A {fmt} holds files, not records; the importer walks it instead.")
    raise FormatError(f"'{fmt}' is not a known format; known formats are {', '.join(FORMATS)}.")
