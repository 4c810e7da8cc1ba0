"""Scraper output: generic CSV, JSON and JSON Lines read through a column mapping.

A mapping says which column (or, for JSON, which dotted key path such as ``user.name``) holds
each record field: ``{"text": "Message", "url": "Link", "author": ..., "posted_at": ...,
"media": ...}``, written on the command line as ``--map text=Message,url=Link``. Without a
mapping, common column names are guessed. ``posted_at`` may be epoch seconds or milliseconds or
ISO 8601; a time without a zone leaves ``posted_at_utc`` empty and keeps the original text.
``media`` may be one path or URL, a list, or several separated by ``|``, ``;`` or new lines
(addresses also by commas or spaces); local paths resolve against the file's folder and remote addresses are recorded,
never fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence.formats.records import (
    FormatError,
    MediaRef,
    ParseError,
    PostRecord,
    iso_utc,
    load_json_file,
    media_role_for,
    relative_media,
)
from evidence.formats.tabular import CsvSource

FIELDS = ("text", "url", "author", "author_id", "posted_at", "media", "id", "text_found_in_image")

_GUESSES = {
    "text": ("text", "message", "content", "body", "post_text", "caption", "description"),
    "url": ("url", "post_url", "permalink", "link", "post_link"),
    "author": ("author", "page_name", "page", "username", "user", "name", "from"),
    "author_id": ("author_id", "page_id", "user_id", "facebook_id", "from_id"),
    "posted_at": ("posted_at", "created_at", "created_time", "timestamp", "date", "time"),
    "media": ("media", "images", "image", "image_url", "photo", "photos", "attachments"),
    "id": ("id", "post_id", "message_id"),
    "text_found_in_image": ("image_text", "ocr_text"),
}
_SPLIT_LIST = re.compile(r"[|;\n]+")
_SPLIT_URLS = re.compile(r"[,\s]+")


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"text=Message,url=Link"`` as a mapping; raises ValueError (one sentence) when bad."""
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for part in spec.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        key, column = key.strip(), column.strip()
        if not sep or not key or not column:
            raise ValueError(f"The mapping entry '{part.strip()}' is not of the form FIELD=COLUMN.")
        if key not in FIELDS:
            raise ValueError(
                f"The mapping names an unknown field '{key}'; known fields are {', '.join(FIELDS)}."
            )
        mapping[key] = column
    return mapping


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """A mapping from common column names, matched case-insensitively."""
    by_key = {_norm(c): c for c in columns}
    mapping: dict[str, str] = {}
    for field_name, candidates in _GUESSES.items():
        for candidate in candidates:
            if candidate in by_key and by_key[candidate] not in mapping.values():
                mapping[field_name] = by_key[candidate]
                break
    return mapping


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def parse_posted_at(value: Any) -> str | None:
    """A scraper's time value as ISO 8601 UTC, or None when it has no zone or is not a time."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or re.fullmatch(r"\s*\d{9,13}(\.\d+)?\s*", str(value)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds since the epoch
            seconds /= 1000
        try:
            return iso_utc(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return iso_utc(when)


def parse_generic_csv(
    path: str | Path, mapping: dict[str, str] | None = None
) -> Iterator[PostRecord | ParseError]:
    """Read a scraper CSV through ``mapping`` (column names per field)."""
    path = Path(path)
    with CsvSource(path) as source:
        mapping = _check_mapping(mapping, source.header, path)
        for item in source.rows():
            if isinstance(item, ParseError):
                yield item
                continue
            line, row = item
            record = _record(row, mapping, f"{path.name}#line/{line}", path.parent, _get_flat)
            record.extra["source_encoding"] = source.encoding
            if source.encoding_note:
                record.extra["encoding_note"] = source.encoding_note
            yield record


def parse_generic_json(
    path: str | Path, mapping: dict[str, str] | None = None
) -> Iterator[PostRecord | ParseError]:
    """Read a scraper JSON file: a list of objects, or an object holding one such list."""
    path = Path(path)
    data = load_json_file(path)
    records, key = _record_list(data)
    if records is None:
        raise FormatError(f"{path.name} holds no list of records (objects) to import.")
    mapping = _check_mapping(mapping, _keys_of(records), path)
    prefix = f"{path.name}#{key + '/' if key else ''}"
    for pos, obj in enumerate(records):
        if not isinstance(obj, dict):
            yield ParseError(f"{prefix}{pos}", f"item {pos}", "The record is not a JSON object.")
            continue
        yield _record(obj, mapping, f"{prefix}{pos}", path.parent, _get_path)


def parse_jsonl(
    path: str | Path, mapping: dict[str, str] | None = None
) -> Iterator[PostRecord | ParseError]:
    """Read a JSON Lines file one line at a time; a bad line becomes a ParseError."""
    path = Path(path)
    try:
        fh = path.open("r", encoding="utf-8-sig", errors="strict")
    except OSError as exc:
        raise FormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    with fh:
        checked: dict[str, str] | None = None
        line_no = 0
        while True:
            line_no += 1
            try:
                line = fh.readline()
            except UnicodeDecodeError as exc:
                raise FormatError(
                    f"{path.name} is not UTF-8 text near line {line_no} ({exc.reason})."
                ) from exc
            if not line:
                return
            if not line.strip():
                continue
            ref = f"{path.name}#line/{line_no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ParseError(
                    ref,
                    f"line {line_no}",
                    f"Malformed JSON: {exc.msg} at column {exc.colno}.",
                    line_no,
                )
                continue
            if not isinstance(obj, dict):
                yield ParseError(ref, f"line {line_no}", "The line is not a JSON object.", line_no)
                continue
            if checked is None:
                checked = _check_mapping(mapping, _keys_of([obj]), path)
            yield _record(obj, checked, ref, path.parent, _get_path)


def _record_list(data: Any) -> tuple[list[Any] | None, str]:
    if isinstance(data, list):
        return data, ""
    if isinstance(data, dict):
        lists = [
            (k, v) for k, v in data.items() if isinstance(v, list) and v and isinstance(v[0], dict)
        ]
        if len(lists) == 1:
            return lists[0][1], lists[0][0]
    return None, ""


def _keys_of(records: list[Any]) -> list[str]:
    keys: dict[str, None] = {}
    for obj in records[:200]:
        if isinstance(obj, dict):
            keys.update(dict.fromkeys(str(k) for k in obj))
    return list(keys)


def _check_mapping(
    mapping: dict[str, str] | None, columns: list[str], path: Path
) -> dict[str, str]:
    if not mapping:
        guessed = guess_mapping(columns)
        if "text" not in guessed and "media" not in guessed:
            raise FormatError(
                f"{path.name} has no column that looks like post text or media; give a mapping "
                "such as --map text=Message,url=Link."
            )
        return guessed
    unknown = [f for f in mapping if f not in FIELDS]
    if unknown:
        raise FormatError(f"The mapping names unknown fields: {', '.join(unknown)}.")
    # A dotted path names a nested JSON key, so only its first step must be a column.
    missing = [c for c in mapping.values() if c not in columns and c.split(".")[0] not in columns]
    if missing:
        raise FormatError(f"{path.name} has no column named {', '.join(repr(m) for m in missing)}.")
    return dict(mapping)


def _get_flat(obj: dict[str, Any], key: str) -> Any:
    return obj.get(key)


def _get_path(obj: dict[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    value: Any = obj
    for step in key.split("."):
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def _record(obj: dict[str, Any], mapping: dict[str, str], ref: str, base: Path, get) -> PostRecord:
    def field_value(name: str) -> Any:
        column = mapping.get(name)
        return None if column is None else get(obj, column)

    posted = field_value("posted_at")
    extra: dict[str, Any] = {"mapping": mapping}
    if field_value("id") not in (None, ""):
        extra["record_id"] = _text(field_value("id"))
    return PostRecord(
        source_ref=ref,
        kind="post",
        author=_text(field_value("author")) or None,
        author_id=_text(field_value("author_id")) or None,
        url=_text(field_value("url")) or None,
        posted_at_utc=parse_posted_at(posted),
        posted_at_original=_text(posted) or None,
        text=_text(field_value("text")),
        text_found_in_image=_text(field_value("text_found_in_image")) or None,
        media=list(_media(field_value("media"), base)),
        raw=obj,
        extra=extra,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    return json.dumps(value, ensure_ascii=False)


def _media(value: Any, base: Path) -> Iterator[MediaRef]:
    for ref in _media_values(value):
        if re.match(r"^[a-z][a-z0-9+.-]*://", ref, re.IGNORECASE):
            name = ref.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
            yield MediaRef(
                ref,
                media_role_for(ref, "photo"),
                name,
                "Remote media is not downloaded; only its address is recorded.",
            )
        else:
            rel, missing = relative_media(base, ref)
            yield MediaRef(rel, media_role_for(rel, "file"), rel.rsplit("/", 1)[-1], missing)


def _media_values(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            if isinstance(v, dict):
                v = v.get("url") or v.get("uri") or v.get("path") or v.get("src")
            if isinstance(v, str) and v.strip():
                out.append(v.strip())
        return out
    if isinstance(value, dict):
        return _media_values([value])
    text = str(value).strip()
    if text.startswith("["):
        try:
            return _media_values(json.loads(text))
        except json.JSONDecodeError:
            pass
    out = []
    for piece in _SPLIT_LIST.split(text):
        piece = piece.strip()
        if "://" in piece:
            # Several addresses in one cell are separated by commas or spaces; a local path
            # may itself contain spaces, so it is never split that way.
            out.extend(v for v in _SPLIT_URLS.split(piece) if v)
        elif piece:
            out.append(piece)
    return out
