"""Benchmark: exporting and verifying an evidence bundle, as ratios to a plain copy.

A case of N fictional JPEG photos (default 300) is built in a temporary folder (not timed).
The baseline, measured in the same run, is ``shutil.copytree`` of the same original files.
Each figure is the best of ``--repeat`` runs:

- export to a BagIt folder (copy from the vault with hash check, sha256 + sha512 manifests,
  items/links/report files, audit entry) and to a ``.zip``;
- verify the folder and the zip (bagit validator plus Tideline's own checks), and verify the
  folder against the case (audit entry and a byte comparison with every vault file).

    python bench/bundle_bench.py [N_IMAGES] [--repeat R]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from PIL import Image, ImageDraw

from evidence import bundle
from evidence.case import Case
from evidence.importer import import_path


def make_photos(folder: Path, count: int, seed: int = 0) -> int:
    """``count`` distinct 800x600 JPEGs with texture, about the size of a phone photo resized
    for posting; returns their total size in bytes."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    total = 0
    for n in range(count):
        small = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((800, 600), Image.Resampling.BILINEAR)
        draw = ImageDraw.Draw(img)
        draw.rectangle((40 + n % 200, 300, 500 + n % 200, 420), fill=(30, 60 + n % 150, 140))
        path = folder / f"boat-{n:04d}.jpg"
        img.save(path, quality=85)
        total += path.stat().st_size
    return total


def best_of(repeat: int, fn: Callable[[int], object]) -> float:
    times = []
    for r in range(repeat):
        t0 = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_images", type=int, nargs="?", default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tideline-bundle-bench-") as tmp:
        root = Path(tmp)
        size = make_photos(root / "photos", args.n_images)
        case = Case.create(root / "bench", title="Bundle benchmark (fictional)", actor="bench")
        try:
            import_path(case, root / "photos")
            scope = bundle.scope_all(case)
            base = best_of(args.repeat, lambda r: shutil.copytree(root / "photos",
                                                                  root / f"copy{r}"))
            export_dir = best_of(args.repeat, lambda r: bundle.export_bundle(
                case, root / f"bag{r}", scope))
            export_zip = best_of(args.repeat, lambda r: bundle.export_bundle(
                case, root / f"bag{r}.zip", scope))
            verify_dir = best_of(args.repeat, lambda r: bundle.verify_bundle(root / f"bag{r}"))
            verify_zip = best_of(args.repeat,
                                 lambda r: bundle.verify_bundle(root / f"bag{r}.zip"))
            verify_case = best_of(args.repeat,
                                  lambda r: bundle.verify_bundle(root / f"bag{r}", case))
        finally:
            case.close()
    print(f"{args.n_images} photos, {size / 1e6:.1f} MB; best of {args.repeat} runs")
    print(f"baseline copytree of the originals: {base * 1000:8.1f} ms")
    for label, secs in (("export to folder", export_dir), ("export to zip", export_zip),
                        ("verify folder", verify_dir), ("verify zip", verify_zip),
                        ("verify folder --case", verify_case)):
        print(f"{label:<24} {secs * 1000:8.1f} ms  {secs / base:6.1f}x copytree")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
