"""Benchmark: seconds per 1,000 generated files, as a ratio to plain Pillow encoding.

The baseline, measured in the same run, is Pillow encoding the same number of blank images
of the same sizes and formats as the generated files (so the ratio says how much the
drawing costs on top of merely writing the bytes).

    python bench/generate_bench.py [N_FILES] [--workers W]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from synthetic import generate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_files", type=int, nargs="?", default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gen"
        t0 = time.perf_counter()
        report = generate(out, args.n_files, seed=args.seed, workers=args.workers)
        gen_s = time.perf_counter() - t0
        truth = json.loads(report.truth_path.read_text(encoding="utf-8"))
        files = truth["files"]
        base_dir = Path(tmp) / "base"
        base_dir.mkdir()
        t0 = time.perf_counter()
        for i, f in enumerate(files):
            blank = Image.new("RGB", tuple(f["size"]), (128, 128, 128))
            if f["format"] == "PNG":
                blank.save(base_dir / f"{i}.png", "PNG", compress_level=1)
            else:
                blank.save(base_dir / f"{i}.jpg", "JPEG", quality=85)
        base_s = time.perf_counter() - t0
    n = len(files)
    per_k = gen_s / n * 1000
    base_per_k = base_s / n * 1000
    print(f"files: {n} ({', '.join(f'{k} {v}' for k, v in sorted(report.counts.items()))})")
    print(f"generate: {per_k:.1f} s per 1,000 files with {args.workers} workers")
    print(f"baseline (Pillow encoding blank images of the same sizes, 1 process): "
          f"{base_per_k:.1f} s per 1,000 files")
    print(f"RESULT generate_bench: {per_k:.1f} s/1000 files, ratio to baseline "
          f"{per_k / base_per_k:.1f}x (n={n}, workers={args.workers})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
