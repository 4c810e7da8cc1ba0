"""Reading CSV exports: encoding sniffing, huge fields, and one error per broken row.

The encoding is taken from a byte-order mark (UTF-8 or UTF-16) when there is one; otherwise the
whole file is checked as UTF-8 in chunks (cheap next to parsing it) and, if that fails, read as
Windows-1252, which is what spreadsheet programs on Windows write; the fallback is reported
through ``CsvSource.encoding_note``. Rows are read with ``strict`` quoting so a malformed row is
reported with its line number instead of silently swallowing the lines after it.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from evidence.formats.records import FormatError, ParseError

# Scraper exports put whole HTML pages or base64 images in one cell; the default 128 KiB cap
# would reject them. 2**31 - 1 is the largest value every platform's C long accepts.
_FIELD_LIMIT = 2**31 - 1
_CHECK_CHUNK = 1024 * 1024


def sniff_encoding(path: Path) -> tuple[str, str | None]:
    """The codec to read ``path`` with, and a note when it is a guess."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            if head.startswith(codecs.BOM_UTF8):
                return "utf-8-sig", None
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return "utf-16", None
            fh.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            while chunk := fh.read(_CHECK_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252", "The file is not valid UTF-8, so it was read as Windows-1252."
    except OSError as exc:
        raise FormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    return "utf-8", None


class CsvSource:
    """A CSV file opened for reading: its encoding, header, and an iterator over its rows."""

    def __init__(self, path: Path, ref_name: str | None = None) -> None:
        self.path = path
        self.ref_name = ref_name or path.name
        self.encoding, self.encoding_note = sniff_encoding(path)
        if csv.field_size_limit() < _FIELD_LIMIT:
            csv.field_size_limit(_FIELD_LIMIT)
        self._fh: TextIO | None = None
        self._reader = None
        self.header: list[str] = []
        self.header_line = 0

    def __enter__(self) -> CsvSource:
        # cp1252 leaves five byte values undefined; replacing them keeps the rest readable.
        errors = "replace" if self.encoding == "cp1252" else "strict"
        try:
            self._fh = self.path.open("r", encoding=self.encoding, errors=errors, newline="")
        except OSError as exc:
            raise FormatError(f"{self.path.name} cannot be read ({exc.strerror or exc}).") from exc
        self._reader = csv.reader(self._fh, strict=True)
        try:
            for row in self._reader:
                if any(cell.strip() for cell in row):
                    self.header = _unique([cell.strip() for cell in row])
                    self.header_line = self._reader.line_num
                    break
        except (csv.Error, UnicodeDecodeError) as exc:
            self.__exit__(None, None, None)
            raise FormatError(
                f"{self.path.name} has an unreadable header at line {self._reader.line_num + 1} "
                f"({exc})."
            ) from exc
        if not self.header:
            self.__exit__(None, None, None)
            raise FormatError(f"{self.path.name} has no header row, so its columns are unknown.")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def rows(self) -> Iterator[tuple[int, dict[str, str]] | ParseError]:
        """Each data row as (line number where it starts, column -> value), or a ParseError."""
        if self._reader is None:
            raise RuntimeError("CsvSource.rows() needs the source opened with 'with'.")
        reader = self._reader
        width = len(self.header)
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield ParseError(
                    f"{self.ref_name}#line/{start}",
                    f"line {start}",
                    f"Malformed CSV row: {exc}.",
                    start,
                )
                continue
            except UnicodeDecodeError as exc:
                yield ParseError(
                    f"{self.ref_name}#line/{start}",
                    f"line {start}",
                    f"The row is not valid {self.encoding} text ({exc.reason}).",
                    start,
                )
                return
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != width:
                yield ParseError(
                    f"{self.ref_name}#line/{start}",
                    f"line {start}",
                    f"The row has {len(row)} fields but the header has {width}.",
                    start,
                )
                continue
            yield start, dict(zip(self.header, row, strict=True))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name or "column"
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out
