"""write_atomic: the old whole file or the new whole file, and no temporary file left over."""

from __future__ import annotations

import threading
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


def test_threads_writing_the_same_file_each_leave_a_whole_file(tmp_path: Path) -> None:
    # Thumbnail workers are threads of one process: with one temporary name per process, one
    # thread's rename could publish another thread's half-written file.
    target = tmp_path / "thumb.png"
    barrier = threading.Barrier(4)
    contents = [bytes([n]) * 200_000 for n in range(4)]
    errors: list[BaseException] = []

    def write(n: int) -> None:
        def slow(out) -> None:
            out.write(contents[n][:100_000])
            barrier.wait(timeout=10)  # every thread is half way through its own temporary file
            out.write(contents[n][100_000:])
        try:
            write_atomic(target, slow, sync=False)
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in contents
    assert [p.name for p in tmp_path.iterdir()] == ["thumb.png"]
