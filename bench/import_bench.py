"""Import speed: ``import_path`` on N generated images against a baseline, in the same run.

The baseline copies, SHA-256-hashes and fsyncs the same files, one after another (what any
safe ingest must do). The import does that too (plus an fsync of the vault directory), and: a
header check with the pixel cap, a structure check of every image (PNG: every chunk CRC and
IEND, no inflating; JPEG: a 1/8-scale draft decode that still reads every byte; other formats:
a full decode), EXIF, a capture time from the name, and the database rows, committed in
batches. A few threads receive files ahead of the single row writer, so one file's fsync wait
overlaps the next files' reading and checking. The full decode of every image happens in the
analysis stage (hashing).

    python bench/import_bench.py [--n 5000] [--material DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evidence.case import Case
from evidence.importer import import_path


def baseline(files: list[Path], dest: Path) -> float:
    dest.mkdir(parents=True)
    started = time.perf_counter()
    for i, f in enumerate(files):
        digest = hashlib.sha256()
        with open(f, "rb") as src, open(dest / f"{i}.part", "wb") as out:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(dest / f"{i}.part", dest / digest.hexdigest())
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--material", type=Path, help="reuse a generated folder")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tideline-import-bench-"))
    try:
        material = args.material
        if material is None:
            from synthetic import generate

            material = work / "material"
            t = time.perf_counter()
            generate(material, args.n, seed=11, exports=False)
            print(f"generated {args.n} files in {time.perf_counter() - t:.1f} s")
        folders = [material / d for d in ("photos", "reposts", "screenshots", "distractors")]
        files = sorted(p for d in folders if d.is_dir() for p in d.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in files)
        # The baseline runs before and after the import and the two are averaged: on a shared
        # machine the load drifts within a run, and one baseline alone swings the ratio.
        base_before = baseline(files, work / "baseline-1")
        shutil.rmtree(work / "baseline-1")
        with Case.create(work / "bench", title="import bench") as case:
            started = time.perf_counter()
            cpu = time.process_time()
            items = 0
            for d in folders:
                if d.is_dir():
                    items += import_path(case, d, "folder").items_added
            took = time.perf_counter() - started
            cpu = time.process_time() - cpu
        base_after = baseline(files, work / "baseline-2")
        base = (base_before + base_after) / 2
        print(f"files: {len(files)} ({size / 1e6:.0f} MB), items: {items}")
        print(f"baseline (copy + sha256 + fsync): {base:.2f} s "
              f"(before {base_before:.2f} s, after {base_after:.2f} s)")
        print(f"import_path: {took:.2f} s ({len(files) / took:.0f} files/s, "
              f"{cpu:.2f} s of CPU in all threads)")
        print(f"RATIO import/baseline: {took / base:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
