"""Reading the members of a received zip archive without trusting it.

``iter_members`` walks an archive's members in order and yields a ``Member`` for each regular
file that is safe to read, or a ``Rejected`` with a one-sentence reason: a path that climbs out
(``..``), an absolute path, a drive letter or UNC path (also when written with backslashes), a
NUL in the name, a symlink or other special file, an encrypted member, an unsupported
compression method, an entry whose data overlaps another's, a member whose header already claims
too much, and the members past the member-count cap. Nothing is ever extracted to disk; the
caller streams a member through ``Member.open()``, which yields a reader that counts the bytes it
actually produces and raises ``UnsafeMemberError`` when the per-member size, the per-member
compression ratio or the archive-wide total is exceeded, so a zip bomb is stopped while being
read whatever its headers say. A CRC mismatch or damaged data also raises ``UnsafeMemberError``.

Names are decoded as the archive says: UTF-8 when the language-encoding flag is set, else code
page 437, except that an Info-ZIP Unicode Path extra field (0x7075) whose CRC matches the raw
name wins. Names are kept exactly (no Unicode normalisation, bidi controls kept);
``Member.safe_path`` is a normalised relative path for display and for naming things.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ZipLimits:
    """Caps applied while reading one archive."""

    max_members: int = 100_000
    max_total_bytes: int = 16 * 1024**3
    max_member_bytes: int = 4 * 1024**3
    max_ratio: float = 200.0
    # Small, very compressible files (text, blank PNG screenshots) are normal; the ratio cap
    # applies only once a member has produced this many bytes.
    ratio_grace_bytes: int = 4 * 1024 * 1024


class ZipArchiveError(Exception):
    """The archive as a whole cannot be read (not a zip, damaged central directory)."""


class UnsafeMemberError(Exception):
    """Reading a member was stopped; ``reason`` is one sentence."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Rejected:
    """A member that was not read, and why."""

    index: int
    name: str
    reason: str


@dataclass
class _Budget:
    limits: ZipLimits
    total: int = 0


@dataclass
class Member:
    """A regular-file member that passed the header checks; stream it with ``open()``."""

    index: int
    name: str
    safe_path: str
    size: int
    compressed_size: int
    crc32: int
    modified_local: str | None
    modified_utc: str | None
    _zip: zipfile.ZipFile = field(repr=False)
    _info: zipfile.ZipInfo = field(repr=False)
    _budget: _Budget = field(repr=False)

    @property
    def base_name(self) -> str:
        return self.safe_path.rsplit("/", 1)[-1]

    @contextmanager
    def open(self) -> Iterator[CappedReader]:
        """A reader over the member's bytes; valid only while ``iter_members`` is running."""
        if self._zip.fp is None:
            raise UnsafeMemberError(
                self.name, "The archive was closed before this member was read."
            )
        try:
            raw = self._zip.open(self._info)
        except (NotImplementedError, RuntimeError) as exc:
            raise UnsafeMemberError(self.name, f"The member cannot be read ({exc}).") from exc
        except (zipfile.BadZipFile, OSError, ValueError, zlib.error) as exc:
            raise UnsafeMemberError(self.name, f"The member is damaged ({exc}).") from exc
        with raw:
            yield CappedReader(self, raw)

    def copy_to(self, sink: BinaryIO, chunk_size: int = _CHUNK) -> int:
        """Stream the member into ``sink``; returns the bytes written."""
        written = 0
        with self.open() as reader:
            while chunk := reader.read(chunk_size):
                sink.write(chunk)
                written += len(chunk)
        return written


class CappedReader:
    """A binary reader that stops a member at the size, ratio and total caps."""

    def __init__(self, member: Member, raw: BinaryIO) -> None:
        self._member = member
        self._raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; with no size, everything left (still counted chunk by chunk)."""
        if size is None or size < 0:
            # Read in chunks so a bomb is stopped at the caps before it fills memory.
            parts = []
            while chunk := self._read_chunk(_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        out = []
        while size > 0:
            chunk = self._read_chunk(min(size, _CHUNK))
            if not chunk:
                break
            out.append(chunk)
            size -= len(chunk)
            if len(chunk) < _CHUNK:
                break
        return b"".join(out)

    def _read_chunk(self, size: int) -> bytes:
        limits = self._member._budget.limits
        try:
            data = self._raw.read(size)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as exc:
            raise UnsafeMemberError(
                self._member.name, f"The member's data is damaged ({_short(exc)})."
            ) from exc
        self.bytes_read += len(data)
        self._member._budget.total += len(data)
        self._check(limits)
        return data

    def _check(self, limits: ZipLimits) -> None:
        name = self._member.name
        if self.bytes_read > limits.max_member_bytes:
            raise UnsafeMemberError(
                name,
                f"The member expands past the per-member limit of {_size(limits.max_member_bytes)}.",
            )
        if self._member._budget.total > limits.max_total_bytes:
            raise UnsafeMemberError(
                name,
                f"The archive expands past the total limit of {_size(limits.max_total_bytes)}.",
            )
        if self.bytes_read > limits.ratio_grace_bytes:
            ratio = self.bytes_read / max(1, self._member.compressed_size)
            if ratio > limits.max_ratio:
                raise UnsafeMemberError(
                    name,
                    f"The member expands more than {limits.max_ratio:g} times its compressed "
                    "size, as a zip bomb does.",
                )


def iter_members(
    zip_path: str | Path, limits: ZipLimits | None = None
) -> Iterator[Member | Rejected]:
    """Yield each member of the archive at ``zip_path`` as a ``Member`` or a ``Rejected``.

    Raises ``ZipArchiveError`` (one sentence) when the file is not a readable zip archive.
    The archive stays open while this iterator is alive, so stream each member inside the loop.
    Directory entries carry no data and are skipped.
    """
    limits = limits or ZipLimits()
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise ZipArchiveError(
            f"{Path(zip_path).name} is not a readable zip archive ({exc})."
        ) from exc
    except OSError as exc:
        raise ZipArchiveError(f"{Path(zip_path).name} cannot be opened ({exc.strerror}).") from exc
    budget = _Budget(limits)
    with archive:
        infos = archive.infolist()
        overlapping = _overlapping(infos, archive)
        for index, info in enumerate(infos):
            name = _decode_name(info)
            if index >= limits.max_members:
                yield Rejected(
                    index,
                    name,
                    f"This and {len(infos) - index - 1} further members were not read because "
                    f"the archive has more than {limits.max_members} members.",
                )
                return
            if info.is_dir() and info.file_size == 0:
                continue
            reason, safe = _header_problem(info, name, limits, index in overlapping)
            if reason is not None:
                yield Rejected(index, name, reason)
                continue
            yield Member(
                index=index,
                name=name,
                safe_path=safe,
                size=info.file_size,
                compressed_size=info.compress_size,
                crc32=info.CRC,
                modified_local=_local_time(info),
                modified_utc=_extended_mtime(info.extra),
                _zip=archive,
                _info=info,
                _budget=budget,
            )


def _header_problem(
    info: zipfile.ZipInfo, name: str, limits: ZipLimits, overlaps: bool
) -> tuple[str | None, str]:
    safe, reason = _safe_path(name)
    if reason is not None:
        return reason, ""
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode:
        if stat.S_ISLNK(mode):
            return "The member is a symbolic link, which is never followed or extracted.", ""
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            return "The member is a device, pipe or socket entry, not a regular file.", ""
    if info.flag_bits & 0x1:
        return "The member is encrypted, so its content cannot be read.", ""
    if info.compress_type not in _SUPPORTED_METHODS:
        return (
            f"The member uses compression method {info.compress_type}, which cannot be read.",
            "",
        )
    if overlaps:
        return "The member's data overlaps another member's, a zip bomb technique.", ""
    if info.file_size > limits.max_member_bytes:
        return (
            f"The member's header claims {_size(info.file_size)}, more than the per-member "
            f"limit of {_size(limits.max_member_bytes)}.",
            "",
        )
    if (
        info.file_size > limits.ratio_grace_bytes
        and info.file_size / max(1, info.compress_size) > limits.max_ratio
    ):
        return (
            f"The member's header claims it expands more than {limits.max_ratio:g} times its "
            "compressed size, as a zip bomb does.",
            "",
        )
    return None, safe


def _safe_path(name: str) -> tuple[str, str | None]:
    if not name:
        return "", "The member has an empty name."
    if "\x00" in name:
        return "", "The member's name contains a NUL character."
    # Windows tools write backslashes; treat them as separators so "..\\x" is caught too.
    unified = name.replace("\\", "/")
    if unified.startswith("/"):
        return "", "The member has an absolute path, which could overwrite files elsewhere."
    if _DRIVE.match(unified):
        return "", "The member's path starts with a drive letter, which could write elsewhere."
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return "", "The member's path climbs out of the archive with '..'."
    if not parts:
        return "", "The member's name has no file name in it."
    return "/".join(parts), None


def _decode_name(info: zipfile.ZipInfo) -> str:
    name = info.orig_filename
    if info.flag_bits & 0x800:
        return name
    unicode_name = _unicode_path_extra(info.extra, name)
    return unicode_name if unicode_name is not None else name


def _unicode_path_extra(extra: bytes, cp437_name: str) -> str | None:
    for tag, body in _extra_fields(extra):
        if tag != 0x7075 or len(body) < 5 or body[0] != 1:
            continue
        (name_crc,) = struct.unpack("<I", body[1:5])
        try:
            raw = cp437_name.encode("cp437")
        except UnicodeEncodeError:
            return None
        if zlib.crc32(raw) != name_crc:
            return None  # the name was changed by a tool that did not update this field
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _extra_fields(extra: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[pos : pos + 4])
        body = extra[pos + 4 : pos + 4 + length]
        if len(body) < length:
            return
        yield tag, body
        pos += 4 + length


def _extended_mtime(extra: bytes) -> str | None:
    """The UTC modification time from the 0x5455 extended-timestamp field, if present."""
    for tag, body in _extra_fields(extra):
        if tag == 0x5455 and len(body) >= 5 and body[0] & 0x1:
            (seconds,) = struct.unpack("<i", body[1:5])
            try:
                when = datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                return None
            return when.replace(tzinfo=None).isoformat() + "Z"
    return None


def _local_time(info: zipfile.ZipInfo) -> str | None:
    try:
        return datetime(*info.date_time).isoformat()
    except (TypeError, ValueError):
        return None


def _overlapping(infos: list[zipfile.ZipInfo], archive: zipfile.ZipFile) -> set[int]:
    """Indexes of entries whose compressed data runs into the next local header."""
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    end_of_data = getattr(archive, "start_dir", None)
    bad: set[int] = set()
    for pos, idx in enumerate(order):
        info = infos[idx]
        if pos + 1 < len(order):
            limit = infos[order[pos + 1]].header_offset
        else:
            limit = end_of_data
        if limit is None:
            continue
        # A local header is at least 30 bytes, so data ending after ``limit`` surely overlaps.
        if info.header_offset + 30 + info.compress_size > limit and info.compress_size > 0:
            bad.add(idx)
    return bad


_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text[:160]
