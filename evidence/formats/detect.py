"""Telling which kind of collection a path is, from its layout and first bytes.

``detect`` answers one of folder, zip, telegram, facebook, crowdtangle, csv, json, jsonl, and
raises ``FormatError`` with one sentence otherwise. HTML exports (Telegram's ``messages.html``,
Facebook's HTML "Download Your Information") are refused with advice on exporting JSON instead,
because their layout changes without notice and loses the record structure. A single loose
media file is reported as "folder": it is imported the way a folder's files are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from evidence.formats.crowdtangle import is_crowdtangle_header
from evidence.formats.records import _AUDIO_EXT, _PHOTO_EXT, _VIDEO_EXT, FormatError
from evidence.formats.tabular import CsvSource

FORMATS = ("folder", "zip", "telegram", "facebook", "crowdtangle", "csv", "json", "jsonl")

TELEGRAM_HTML_ADVICE = (
    "is a Telegram HTML export; export again from Telegram Desktop (Settings > Advanced > "
    'Export Telegram data) with the format set to "Machine-readable JSON".'
)
FACEBOOK_HTML_ADVICE = (
    'is a Facebook HTML export; request "Download your information" again with the format '
    "set to JSON."
)

_SNIFF = 64 * 1024
_TELEGRAM_PREFIX = re.compile(r'"(?:messages"\s*:\s*\[|chats"\s*:\s*\{)')
# A full-account export opens with "about" then "personal_information"; its contacts list can
# push "chats" far past the sniffed prefix.
_TELEGRAM_ACCOUNT = re.compile(r'^\s*\{\s*"about"\s*:\s*"[^"]*"\s*,\s*"personal_information"\s*:')
_FACEBOOK_PREFIX = re.compile(r'^\s*\[\s*\{\s*"(?:timestamp|attachments|data|title)"\s*:')
_FB_HTML_GLOBS = ("posts/your_posts*.html", "your_facebook_activity/posts/your_posts*.html")
_FB_JSON_GLOBS = ("posts/your_posts*.json", "your_facebook_activity/posts/your_posts*.json")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# A single loose photo, video or voice file is imported like a folder holding just it.
_LOOSE_MEDIA = _PHOTO_EXT | _VIDEO_EXT | _AUDIO_EXT | {".pdf", ".txt"}


def detect(path: str | Path) -> str:
    """The format of the collection at ``path``; raises FormatError (one sentence) if unknown."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path} does not exist.")
    if path.is_dir():
        return _detect_folder(path)
    if not path.is_file():
        raise FormatError(f"{path.name} is neither a regular file nor a folder.")
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF)
    except OSError as exc:
        raise FormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    if not head:
        raise FormatError(f"{path.name} is empty.")
    suffix = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC) or suffix == ".zip":
        return "zip"
    if suffix in (".html", ".htm") or _looks_like_html(head):
        raise FormatError(f"{path.name} {_html_advice(path)}")
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return _detect_json(path, head)
    if suffix in (".csv", ".tsv"):
        return _detect_csv(path)
    if suffix in _LOOSE_MEDIA:
        return "folder"
    raise FormatError(
        f"{path.name} is not a folder, zip, Telegram or Facebook JSON export, CrowdTangle CSV, "
        "or scraper CSV/JSON/JSON Lines file."
    )


def _detect_folder(path: Path) -> str:
    if (path / "result.json").is_file():
        return "telegram"
    if (path / "messages.html").is_file() or (path / "export_results.html").is_file():
        raise FormatError(f"{path.name} {TELEGRAM_HTML_ADVICE}")
    if any(p.is_file() for pattern in _FB_JSON_GLOBS for p in path.glob(pattern)):
        return "facebook"
    if any(p.is_file() for pattern in _FB_HTML_GLOBS for p in path.glob(pattern)):
        raise FormatError(f"{path.name} {FACEBOOK_HTML_ADVICE}")
    return "folder"


def _detect_json(path: Path, head: bytes) -> str:
    text = head.decode("utf-8-sig", errors="ignore")
    if _TELEGRAM_ACCOUNT.search(text) or (
        _TELEGRAM_PREFIX.search(text) and (path.name == "result.json" or '"type"' in text)
    ):
        return "telegram"
    if path.name.startswith("your_posts") or (
        _FACEBOOK_PREFIX.match(text) and '"attachments"' in text
    ):
        return "facebook"
    if _is_json_lines(text):
        return "jsonl"
    return "json"


def _is_json_lines(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    for line in lines[:2]:
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except json.JSONDecodeError:
            return False
    return True


def _detect_csv(path: Path) -> str:
    with CsvSource(path) as source:
        return "crowdtangle" if is_crowdtangle_header(source.header) else "csv"


def _looks_like_html(head: bytes) -> bool:
    start = head[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _html_advice(path: Path) -> str:
    if path.name in ("messages.html", "export_results.html") or re.match(
        r"messages\d+\.html$", path.name
    ):
        return TELEGRAM_HTML_ADVICE
    if path.name.startswith("your_posts") or "facebook" in str(path).lower():
        return FACEBOOK_HTML_ADVICE
    return (
        "is an HTML page, which cannot be imported; export the data as JSON (Telegram Desktop: "
        '"Machine-readable JSON"; Facebook: "Download your information" in JSON format).'
    )
