"""Tests for evidence.safezip: hostile member names, special entries, bombs and caps."""

from __future__ import annotations

import io
import os
import stat
import struct
import unicodedata
import zipfile
from pathlib import Path

import pytest

from evidence.safezip import (
    Member,
    Rejected,
    UnsafeMemberError,
    ZipArchiveError,
    ZipLimits,
    iter_members,
)


def _zip(
    path: Path,
    members: list[tuple[str | zipfile.ZipInfo, bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _patch_flags(data: bytearray, set_bits: int = 0, clear_bits: int = 0) -> bytearray:
    """Change the general-purpose flags in every local and central header."""
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        while pos != -1:
            (flags,) = struct.unpack("<H", data[pos + offset : pos + offset + 2])
            data[pos + offset : pos + offset + 2] = struct.pack(
                "<H", (flags | set_bits) & ~clear_bits
            )
            pos = data.find(sig, pos + 4)
    return data


def test_plain_members_stream_their_bytes(tmp_path: Path):
    payload = os.urandom(300_000)
    archive = _zip(tmp_path / "a.zip", [("photos/boat.jpg", payload), ("notes/", b"")])
    items = list_and_read(archive)
    assert [i.name for i in items] == ["photos/boat.jpg"]
    member = items[0]
    assert isinstance(member, Member)
    assert member.safe_path == "photos/boat.jpg" and member.base_name == "boat.jpg"
    assert member.read_back == payload


def list_and_read(archive: Path, limits: ZipLimits | None = None) -> list:
    out = []
    for item in iter_members(archive, limits):
        if isinstance(item, Member):
            sink = io.BytesIO()
            item.copy_to(sink)
            item.read_back = sink.getvalue()  # type: ignore[attr-defined]
        out.append(item)
    return out


def test_read_without_size_returns_everything(tmp_path: Path):
    payload = os.urandom(3 * 1024 * 1024 + 7)
    archive = _zip(tmp_path / "r.zip", [("big.bin", payload)])
    for member in iter_members(archive):
        with member.open() as reader:
            assert reader.read() == payload
            assert reader.read() == b""


def test_unicode_names_are_kept_exactly(tmp_path: Path):
    arabic = "رحلات_البحر.jpg"
    rlo = "invoice\u202egpj.exe"
    nfc = unicodedata.normalize("NFC", "café.png")
    nfd = unicodedata.normalize("NFD", "café.png")
    assert nfc != nfd
    archive = _zip(tmp_path / "u.zip", [(arabic, b"1"), (rlo, b"2"), (nfc, b"3"), (nfd, b"4")])
    items = list_and_read(archive)
    assert [i.name for i in items] == [arabic, rlo, nfc, nfd]
    assert all(isinstance(i, Member) for i in items)
    assert [i.read_back for i in items] == [b"1", b"2", b"3", b"4"]


def test_cp437_names_without_utf8_flag(tmp_path: Path):
    path = tmp_path / "legacy.zip"
    _zip(path, [("caf\u00e9.txt", b"x")])
    data = bytearray(path.read_bytes())
    # Rewrite the name as cp437 bytes and clear the UTF-8 flag, as old Windows zippers did.
    utf8, cp437 = "café.txt".encode(), "café.txt".encode("cp437")
    assert len(utf8) == len(cp437) + 1
    data = data.replace(b"caf\xc3\xa9.txt", b"caf\x82.txt ")  # keep lengths; trailing space
    path.write_bytes(bytes(_patch_flags(data, clear_bits=0x800)))
    (item,) = list(iter_members(path))
    assert item.name == "café.txt "


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../evil.txt", "'..'"),
        ("photos/../../evil.txt", "'..'"),
        ("..\\..\\evil.txt", "'..'"),
        ("/etc/evil.txt", "absolute"),
        ("\\\\server\\share\\evil.txt", "absolute"),
        ("C:\\Windows\\evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
    ],
)
def test_hostile_paths_are_rejected(tmp_path: Path, name: str, words: str):
    archive = _zip(tmp_path / "h.zip", [(name, b"x"), ("ok.txt", b"fine")])
    items = list(iter_members(archive))
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == 1 and rejected[0].name == name
    assert words in rejected[0].reason and rejected[0].reason.endswith(".")
    assert [i.name for i in items if isinstance(i, Member)] == ["ok.txt"]


def test_symlink_member_is_rejected(tmp_path: Path):
    info = zipfile.ZipInfo("link-to-passwd")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "s.zip", [(info, b"/etc/passwd")])
    (item,) = list(iter_members(archive))
    assert isinstance(item, Rejected) and "symbolic link" in item.reason


def test_encrypted_member_is_rejected(tmp_path: Path):
    archive = _zip(tmp_path / "e.zip", [("secret.jpg", b"flagged as encrypted")])
    archive.write_bytes(bytes(_patch_flags(bytearray(archive.read_bytes()), set_bits=0x1)))
    (item,) = list(iter_members(archive))
    assert isinstance(item, Rejected) and "encrypted" in item.reason


def test_zip_bomb_is_rejected(tmp_path: Path):
    archive = _zip(tmp_path / "bomb.zip", [("zeros.bin", bytes(24 * 1024 * 1024))])
    limits = ZipLimits(ratio_grace_bytes=1024 * 1024)
    (item,) = list(iter_members(archive, limits))
    assert isinstance(item, Rejected) and "zip bomb" in item.reason


def test_total_size_is_counted_while_streaming(tmp_path: Path):
    archive = _zip(
        tmp_path / "t.zip", [("a.bin", os.urandom(300_000)), ("b.bin", os.urandom(300_000))]
    )
    limits = ZipLimits(max_total_bytes=500_000)
    members = iter_members(archive, limits)
    first = next(members)
    first.copy_to(io.BytesIO())
    second = next(members)
    with pytest.raises(UnsafeMemberError, match="total limit"):
        second.copy_to(io.BytesIO())


def test_header_that_understates_size_is_caught(tmp_path: Path):
    path = _zip(tmp_path / "lie.zip", [("doc.txt", b"fictional advert text " * 5000)])
    data = bytearray(path.read_bytes())
    real = len(b"fictional advert text " * 5000)
    packed = struct.pack("<I", real)
    # Claim 100 bytes in both headers: the reader must not hand back a silently cut file.
    data = data.replace(packed, struct.pack("<I", 100))
    path.write_bytes(bytes(data))
    members = iter_members(path)  # the archive stays open while the iterator is alive
    member = next(members)
    with pytest.raises(UnsafeMemberError) as err:
        member.copy_to(io.BytesIO())
    assert err.value.reason.endswith(".")


def test_damaged_data_raises_one_sentence(tmp_path: Path):
    path = _zip(tmp_path / "crc.zip", [("a.txt", os.urandom(5000))], compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    members = iter_members(path)  # the archive stays open while the iterator is alive
    member = next(members)
    with pytest.raises(UnsafeMemberError, match="damaged"):
        member.copy_to(io.BytesIO())


def test_member_count_cap(tmp_path: Path):
    archive = _zip(tmp_path / "many.zip", [(f"f{i}.txt", b"x") for i in range(10)])
    items = list(iter_members(archive, ZipLimits(max_members=4)))
    assert [type(i).__name__ for i in items] == ["Member"] * 4 + ["Rejected"]
    assert "5 further members" in items[-1].reason


def test_overlapping_entries_are_rejected(tmp_path: Path):
    path = _zip(
        tmp_path / "overlap.zip", [("a.txt", os.urandom(4000)), ("b.txt", os.urandom(4000))]
    )
    data = bytearray(path.read_bytes())
    # Point the second central-directory entry at the first entry's local header.
    cd = data.find(b"PK\x01\x02")
    cd2 = data.find(b"PK\x01\x02", cd + 4)
    data[cd2 + 42 : cd2 + 46] = data[cd + 42 : cd + 46]
    path.write_bytes(bytes(data))
    items = list(iter_members(path))
    assert any(isinstance(i, Rejected) and "overlaps" in i.reason for i in items)


def test_member_cannot_be_read_after_iteration_ends(tmp_path: Path):
    archive = _zip(tmp_path / "a.zip", [("a.txt", b"x")])
    (member,) = list(iter_members(archive))
    with pytest.raises(UnsafeMemberError, match="closed before"):
        member.copy_to(io.BytesIO())


def test_not_a_zip(tmp_path: Path):
    path = tmp_path / "fake.zip"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(ZipArchiveError, match="not a readable zip"):
        list(iter_members(path))
