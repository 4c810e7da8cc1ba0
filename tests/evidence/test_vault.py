import hashlib
import os
import stat
from pathlib import Path

import pytest

from evidence.case import Case


def test_add_is_content_addressed_and_idempotent(case: Case, tmp_path: Path):
    src = tmp_path / "boat.jpg"
    src.write_bytes(b"fictional boat photo bytes")
    first = case.vault.add(src)
    again = case.vault.add(src)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    assert first.sha256 == again.sha256 == sha
    assert first.new and not again.new
    stored = case.vault.path_for(sha)
    assert stored == case.path / "vault" / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == src.read_bytes()
    assert len(list(case.vault.stored())) == 1
    assert not list(case.tmp_dir.glob("*.part"))


def test_stored_files_are_read_only(case: Case, tmp_path: Path):
    src = tmp_path / "a.png"
    src.write_bytes(b"x" * 10)
    entry = case.vault.add(src)
    mode = case.vault.path_for(entry.sha256).stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_add_streams_in_chunks(case: Case):
    class Stream:
        """A 5 MiB stream that records the largest read asked of it."""

        def __init__(self):
            self.left = 5 << 20
            self.largest = 0

        def read(self, n=-1):
            assert n > 0, "the vault must not read a whole file at once"
            self.largest = max(self.largest, n)
            n = min(n, self.left)
            self.left -= n
            return b"\0" * n

    stream = Stream()
    entry = case.vault.add_stream(stream)
    assert entry.size == 5 << 20
    assert stream.largest <= 1 << 20


def test_stream_over_the_limit_is_refused_and_leaves_nothing(case: Case):
    import io

    with pytest.raises(ValueError, match="larger than the limit"):
        case.vault.add_stream(io.BytesIO(b"y" * 1000), max_bytes=100)
    assert not list(case.vault.stored())
    assert not list(case.tmp_dir.glob("*.part"))


def test_verify_finds_changed_and_missing_files(case: Case, tmp_path: Path):
    entries = []
    for i in range(3):
        p = tmp_path / f"f{i}"
        p.write_bytes(f"content {i}".encode())
        entries.append(case.vault.add(p))
    assert case.vault.verify([e.sha256 for e in entries]).ok
    changed = case.vault.path_for(entries[0].sha256)
    os.chmod(changed, 0o644)
    changed.write_bytes(b"tampered")
    gone = case.vault.path_for(entries[1].sha256)
    os.chmod(gone, 0o644)
    gone.unlink()
    result = case.vault.verify([e.sha256 for e in entries])
    assert not result.ok
    assert result.changed == [entries[0].sha256]
    assert result.missing == [entries[1].sha256]
    assert result.checked == 2
