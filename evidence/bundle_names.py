"""Names and cells that are safe to hand to someone else's computer.

``safe_filename`` turns an original file name (as received: any Unicode, path separators,
bidi overrides, control characters, Windows device names) into one that every common
filesystem accepts and that displays as what it is; ``NameAllocator`` keeps the names of one
folder unique the way case-insensitive, normalising filesystems (Windows, macOS) compare them.
``spreadsheet_cell`` neutralises CSV cells that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

# Device names Windows reserves in any folder, with any extension ("CON.jpg" too).
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
_RESERVED |= {f"{p}{n}" for p in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
_WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
# Zero-width non-joiner and joiner are ordinary parts of Persian and Arabic words; every other
# format character (bidi overrides and isolates, marks, BOM) can make a name display as
# something else ("gpj.exe" shown as "exe.jpg") and is removed.
_KEEP_FORMAT = {"\u200c", "\u200d"}
MAX_NAME_BYTES = 180  # well under the 255-byte limit, leaving room for "-<sha8>" and a counter


def _clean(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if ch in _WINDOWS_FORBIDDEN or cat in ("Cc", "Zl", "Zp"):
            out.append("_")
        elif cat == "Cf" and ch not in _KEEP_FORMAT:
            continue
        elif cat in ("Cs", "Co", "Cn"):
            out.append("_")
        elif cat == "Zs":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def split_extension(name: str) -> tuple[str, str]:
    """``("photo", ".jpg")``; a leading dot or an over-long "extension" is part of the stem."""
    dot = name.rfind(".")
    if dot <= 0 or len(name) - dot > 10 or not re.fullmatch(r"\.[\w-]+", name[dot:]):
        return name, ""
    return name[:dot], name[dot:]


def safe_filename(original: str | None, mime: str | None = None) -> str:
    """A single path component, safe on Windows, macOS and Linux, keeping the extension."""
    name = _clean(original or "")
    stem, ext = split_extension(name)
    stem = re.sub(r"\s+", " ", stem).strip(" .")
    ext = ext.rstrip(" .").lower() if ext else ""
    if not ext and mime:
        ext = mimetypes.guess_extension(mime, strict=False) or ""
    if not stem:
        stem = "file"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    stem = _truncate(stem, MAX_NAME_BYTES - len(ext.encode("utf-8"))).rstrip(" .") or "file"
    return stem + ext


def _fold(name: str) -> str:
    # How Windows (case-insensitive) and macOS (normalising, case-insensitive) compare names.
    return unicodedata.normalize("NFD", name).casefold()


class NameAllocator:
    """Hands out names unique within one folder, however that folder's filesystem compares."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def allocate(self, original: str | None, mime: str | None = None, tag: str = "") -> str:
        """A safe unique name; on a clash ``tag`` (e.g. the start of the sha256) is added."""
        name = safe_filename(original, mime)
        stem, ext = split_extension(name)
        candidates = [name]
        if tag:
            candidates.append(f"{stem}-{tag}{ext}")
        for candidate in candidates:
            if _fold(candidate) not in self._taken:
                self._taken.add(_fold(candidate))
                return candidate
        n = 2
        while _fold(f"{stem}-{tag or 'n'}-{n}{ext}") in self._taken:
            n += 1
        chosen = f"{stem}-{tag or 'n'}-{n}{ext}"
        self._taken.add(_fold(chosen))
        return chosen


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def reveal_bidi_controls(text: str) -> str:
    """Show bidi embeddings, overrides and isolates as ``<U+202E>``: invisible, they can make a
    received name or text read as something else ("gpj.exe" displayed as "exe.jpg")."""
    return _BIDI_CONTROLS.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def spreadsheet_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one beginning with = + - @ tab or CR gets a
    leading apostrophe (OWASP's advice on CSV injection), so "+44…" stays a phone number.
    Bidi controls are shown, not applied (see ``reveal_bidi_controls``)."""
    if value is None:
        return ""
    text = reveal_bidi_controls(str(value))
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
