"""Benchmark of hash_image against Pillow decoding the same files at full size, in one run.

Usage: python bench/hash_bench.py [--count N] [--keep DIR] [--profile]

Draws ``--count`` screenshot-sized files (phone 1080x2340 and desktop 1440x900, light and
dark, one or two posts; half JPEG, half PNG), then times, per format, every region and hash
that ``hash_image`` computes against ``Image.open(...).load()`` of the same files: once as
the analysis pipeline runs it (``windows=True``, the window hashes of every photo area; how
many windows an area gets is printed) and once without window hashes. Each timing runs
``--runs`` times (default 2), in turns with the others, and the fastest run counts;
wall-clock and CPU-time ratios are both printed, since on a shared machine the wall clock
also counts other people's work. Like the analysis workers, the bench runs with one BLAS
thread (``OPENBLAS_NUM_THREADS=1`` unless set). Aims, for what the pipeline runs: ratio
<= 1.0 for JPEG and <= 1.3 for PNG. ``--stages`` adds the CPU time per file of each stage of
``hash_image`` (decode, region finder, area hashes, window hashes); ``--profile`` adds a
cProfile of the pipeline's hashing of the JPEG files (the 20 functions with the most time of
their own).
"""

from __future__ import annotations

import os

# Hashing runs in the analysis workers, each started with one BLAS thread
# (analysis.worker.spawn_context); OpenBLAS reads this when numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import cProfile
import functools
import importlib.util
import pstats
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import hashing  # noqa: E402
from analysis.hashing import hash_image  # noqa: E402

# The screenshot drawing helpers are shared with the region tests.
_spec = importlib.util.spec_from_file_location(
    "region_fixtures", ROOT / "tests" / "analysis" / "test_regions.py"
)
_screens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_screens)


def make_files(folder: Path, count: int) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {"jpg": [], "png": []}
    variants = max(1, count // 2 // 4)
    for k in range(variants):
        layout = "phone" if k % 2 == 0 else "desktop"
        theme = "light" if k % 4 < 2 else "dark"
        shot, _ = _screens.draw_screenshot(layout, theme, 1 + k % 2, k % 3 == 0, seed=k + 1)
        for q, level in zip((70, 80, 90, 95), (1, 3, 6, 9), strict=True):
            jpg = folder / f"shot{k:03d}_q{q}.jpg"
            shot.save(jpg, quality=q)
            files["jpg"].append(jpg)
            png = folder / f"shot{k:03d}_z{level}.png"
            shot.save(png, compress_level=level)
            files["png"].append(png)
    return files


def decode_all(paths: list[Path]) -> None:
    for path in paths:
        with Image.open(path) as im:
            im.load()


def hash_all(paths: list[Path], windows: bool = False) -> None:
    for path in paths:
        hash_image(path, windows=windows)


def best_of(fns: list, paths: list[Path], runs: int = 2) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds) of the fastest of ``runs`` runs of each of ``fns``, the runs
    taken in turns (a, b, c, a, b, c, ...) so that a busy spell of a shared machine falls on
    all of them alike."""
    times: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(runs):
        for k, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            fn(paths)
            times[k].append((time.perf_counter() - t0, time.process_time() - c0))
    return [min(t) for t in times]


def stage_times(paths: list[Path]) -> dict[str, float]:
    """CPU seconds per file spent in each stage of ``hash_image(..., windows=True)``."""
    spent = {"decode": 0.0, "regions": 0.0, "area hashes": 0.0, "windows": 0.0}
    saved = {name: getattr(hashing, name)
             for name in ("_decode", "find_photo_regions", "_hash_region", "_windows")}

    def timed(name: str, stage: str):
        def call(*args, **kwargs):
            c0 = time.process_time()
            try:
                return saved[name](*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - c0
        return call

    for name, stage in (("_decode", "decode"), ("find_photo_regions", "regions"),
                        ("_hash_region", "area hashes"), ("_windows", "windows")):
        setattr(hashing, name, timed(name, stage))
    try:
        hash_all(paths, windows=True)
    finally:
        for name, fn in saved.items():
            setattr(hashing, name, fn)
    # Window hashing runs inside the area hashing: count it once.
    spent["area hashes"] -= spent["windows"]
    return {k: v / len(paths) for k, v in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="number of files to draw")
    parser.add_argument("--keep", type=Path, help="draw into this folder and keep the files")
    parser.add_argument("--profile", action="store_true", help="profile the JPEG hashing")
    parser.add_argument("--stages", action="store_true", help="CPU time of each stage")
    parser.add_argument("--runs", type=int, default=2, help="timing runs; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        files = make_files(folder, args.count)
        print(f"drew {sum(len(v) for v in files.values())} files in {time.perf_counter() - t0:.1f}s; "
              f"{len(hashing.WINDOW_CUTS)} windows an area")
        hash_image(files["jpg"][0])  # load scipy's DCT and friends before timing
        pipeline = functools.partial(hash_all, windows=True)
        for fmt, paths in files.items():
            n = len(paths)
            (decode, decode_cpu), (plain, plain_cpu), (ours, ours_cpu) = best_of(
                [decode_all, hash_all, pipeline], paths, args.runs)
            print(
                f"{fmt.upper():<4} files={n:>4}  full decode {1000 * decode / n:5.1f} ms/file  "
                f"hash_image windows=True {1000 * ours / n:5.1f} ms/file  ratio "
                f"{ours / decode:5.2f} (CPU {ours_cpu / decode_cpu:5.2f})  without windows "
                f"{1000 * plain / n:5.1f} ms/file, ratio {plain / decode:5.2f} "
                f"(CPU {plain_cpu / decode_cpu:5.2f})"
            )
            if args.stages:
                stages = stage_times(paths)
                print("     CPU ms/file: " + ", ".join(
                    f"{k} {1000 * v:.1f}" for k, v in stages.items())
                      + f"; full decode {1000 * decode_cpu / n:.1f}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(pipeline, files["jpg"])
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
