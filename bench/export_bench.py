"""Benchmark: exporting an evidence bundle of 2,000 originals, as a ratio to copy-and-hash.

The material is the benchmark collection at /tmp/bench-material when it holds at least N
images (read only: it is imported into a temporary case, never changed), otherwise N
fictional JPEG photos drawn with Pillow. Building the case is not timed.

The baseline, measured in the same run on the same files, is what any careful copy needs:
copy each original and hash the copy with SHA-256 and SHA-512 (one read for both). Figures
are the best of ``--repeat`` runs, each as a ratio to the baseline:

- export to a BagIt folder (copy from the vault checking SHA-256 and computing SHA-512 in the
  same pass, items/links/clusters/referral/report files, manifests, audit entry): aim <= 1.5;
- export to a ``.zip``;
- verify the folder (Tideline's checks plus the ``bagit`` validator, which rereads every
  payload file with both hashes) and verify it against the case (adds a byte comparison of
  every original with its vault copy).

    python bench/export_bench.py [N_IMAGES] [--repeat R] [--material DIR] [--no-zip]
"""

from __future__ import annotations

import argparse
import hashlib
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

DEFAULT_MATERIAL = Path("/tmp/bench-material")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"}


def make_photos(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` distinct 800x600 textured JPEGs, about the size of a photo resized for
    posting."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    paths = []
    for n in range(count):
        small = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((800, 600), Image.Resampling.BILINEAR)
        ImageDraw.Draw(img).rectangle((40 + n % 200, 300, 500 + n % 200, 420),
                                      fill=(30, 60 + n % 150, 140))
        path = folder / f"boat-{n:04d}.jpg"
        img.save(path, quality=85)
        paths.append(path)
    return paths


def pick_material(material: Path, count: int) -> list[Path]:
    """The first ``count`` images under ``material`` in name order, or [] if too few."""
    if not material.is_dir():
        return []
    found = sorted(p for p in material.rglob("*")
                   if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return found[:count] if len(found) >= count else []


def gather(files: list[Path], folder: Path) -> list[Path]:
    """Copies of the chosen files in one folder to import (the importer refuses symbolic
    links, and the material itself must stay untouched)."""
    folder.mkdir(parents=True)
    out = []
    for n, src in enumerate(files):
        dst = folder / f"{n:05d}-{src.name}"
        shutil.copyfile(src, dst)
        out.append(dst)
    return out


def copy_and_hash(files: list[Path], dest: Path) -> None:
    dest.mkdir()
    for n, src in enumerate(files):
        dst = dest / f"{n:05d}-{src.name}"
        shutil.copyfile(src, dst)
        h256, h512 = hashlib.sha256(), hashlib.sha512()
        with open(dst, "rb") as f:
            while chunk := f.read(1 << 20):
                h256.update(chunk)
                h512.update(chunk)
        h256.hexdigest()
        h512.hexdigest()


def best_of(repeat: int, fn: Callable[[int], object], cleanup: Callable[[int], object]
            ) -> float:
    times = []
    for r in range(repeat):
        t0 = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - t0)
        cleanup(r)
    return min(times)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_images", type=int, nargs="?", default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--material", type=Path, default=DEFAULT_MATERIAL)
    parser.add_argument("--no-zip", action="store_true", help="skip the zip export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tideline-export-bench-") as tmp:
        root = Path(tmp)
        files = pick_material(args.material, args.n_images)
        origin = f"{args.material} (read only)"
        if not files:
            files = make_photos(root / "photos", args.n_images)
            origin = "generated JPEGs"
        files = gather(files, root / "import")
        size = sum(p.stat().st_size for p in files)
        t0 = time.perf_counter()
        case = Case.create(root / "bench", title="Export benchmark (fictional)", actor="bench")
        try:
            import_path(case, root / "import")
            scope = bundle.scope_all(case)
            build = time.perf_counter() - t0
            # Warm the page cache for both sides alike before anything is timed.
            copy_and_hash(files, root / "warm")
            shutil.rmtree(root / "warm")
            base = best_of(args.repeat, lambda r: copy_and_hash(files, root / f"copy{r}"),
                           lambda r: _remove(root / f"copy{r}"))
            export_dir = best_of(
                args.repeat, lambda r: bundle.export_bundle(case, root / f"bag{r}", scope),
                lambda r: r > 0 and _remove(root / f"bag{r}"))
            export_zip = None if args.no_zip else best_of(
                args.repeat, lambda r: bundle.export_bundle(case, root / f"bag{r}.zip", scope),
                lambda r: _remove(root / f"bag{r}.zip"))
            verify_dir = best_of(args.repeat, lambda r: bundle.verify_bundle(root / "bag0"),
                                 lambda r: None)
            verify_case = best_of(args.repeat,
                                  lambda r: bundle.verify_bundle(root / "bag0", case),
                                  lambda r: None)
        finally:
            case.close()
    print(f"{len(files)} originals ({origin}), {size / 1e6:.1f} MB; case built in "
          f"{build:.1f} s (not timed); best of {args.repeat} runs")
    print(f"baseline: copy + sha256 + sha512      {base:7.2f} s")
    rows = [("export to a folder", export_dir), ("export to a .zip", export_zip),
            ("verify the folder", verify_dir), ("verify the folder --case", verify_case)]
    for label, secs in rows:
        if secs is not None:
            print(f"{label:<36} {secs:7.2f} s  {secs / base:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
