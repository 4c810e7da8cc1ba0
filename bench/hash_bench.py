"""Benchmark of hash_image against Pillow decoding the same files at full size, in one run.

Usage: python bench/hash_bench.py [--count N] [--keep DIR] [--profile]

Draws ``--count`` screenshot-sized files (phone 1080x2340 and desktop 1440x900, light and
dark, one or two posts; half JPEG, half PNG), then times, per format, every region and hash
that ``hash_image`` computes against ``Image.open(...).load()`` of the same files: once as
the analysis pipeline runs it (``windows=True``, the window hashes of every area) and once
without window hashes. Each timing runs twice and the faster run counts. Aims, for what the
pipeline runs: ratio <= 1.0 for JPEG and <= 1.3 for PNG. ``--profile`` adds a cProfile of
the pipeline's hashing of the JPEG files (the 20 functions with the most time of their own).
"""

from __future__ import annotations

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


def best_of(fn, paths: list[Path], runs: int = 2) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(paths)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="number of files to draw")
    parser.add_argument("--keep", type=Path, help="draw into this folder and keep the files")
    parser.add_argument("--profile", action="store_true", help="profile the JPEG hashing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        files = make_files(folder, args.count)
        print(f"drew {sum(len(v) for v in files.values())} files in {time.perf_counter() - t0:.1f}s")
        hash_image(files["jpg"][0])  # load scipy's DCT and friends before timing
        pipeline = functools.partial(hash_all, windows=True)
        for fmt, paths in files.items():
            decode = best_of(decode_all, paths)
            plain = best_of(hash_all, paths)
            ours = best_of(pipeline, paths)
            print(
                f"{fmt.upper():<4} files={len(paths):>4}  full decode {decode:6.2f}s "
                f"({1000 * decode / len(paths):5.1f} ms/file)  hash_image windows=True "
                f"{ours:6.2f}s ({1000 * ours / len(paths):5.1f} ms/file)  ratio "
                f"{ours / decode:5.2f}  (without windows {1000 * plain / len(paths):5.1f} "
                f"ms/file, ratio {plain / decode:5.2f})"
            )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(pipeline, files["jpg"])
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)

if __name__ == "__main__":
    main()
