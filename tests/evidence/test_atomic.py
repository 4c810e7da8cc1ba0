"""write_atomic: the old whole file or the new whole file, and no temporary file left over."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.atomic import write_atomic


@pytest.mark.parametrize("sync", [True, False])
def test_replaces_the_file_whole(tmp_path: Path, sync: bool) -> None:
    target = tmp_path / "head.json"
    target.write_bytes(b"old")
    write_atomic(target, lambda out: out.write(b"new content"), sync=sync)
    assert target.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["head.json"]


def test_a_failing_writer_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "head.json"
    target.write_bytes(b"old")

    def fail(out) -> None:
        out.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["head.json"]
