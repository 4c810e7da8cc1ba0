"""Benchmark of the near-duplicate index against numpy brute force and faiss, in the same run.

Usage: python bench/index_bench.py [--big] [--n N] [--pdq-n N] [--material DIR]
                                   [--faiss-python PATH] [--full-brute N] [--only TEXT]
                                   [--workers N]

Prints seconds and the ratio ours/brute for: all pairs within 10 among 64-bit hashes (random
with planted near-duplicates, and clumpy hashes with biased bits and Zipf-sized clusters, as
real pHashes of many near-flat images are), all pairs within 31 among 256-bit PDQ-like hashes,
and 1,000 new hashes queried against the index. With ``--material DIR`` the pHashes and PDQ
hashes of every region of the images under DIR (``analysis.hashing.hash_image``) are replicated
with small bit flips to the run size and benchmarked too. Results are checked to be identical to
the brute-force answer. Sets larger than ``--full-brute`` hashes compare only the first rows
(10,000, or 2,000 at a million) against all others by brute force (every pair with one of those
rows is checked) and extrapolate the brute-force time from that slice. ``--big`` adds
1,000,000-hash runs. Each line also gives the index's CPU seconds (all its threads) and the
load average, as the machine may be shared.

faiss is not a project dependency. ``--faiss-python`` names an interpreter of a separate
environment with faiss-cpu and numpy; the bench hands it the same hashes in a temporary file
and times ``faiss.IndexBinaryFlat.range_search`` there (same slice rule as brute force), and
checks its pairs against ours.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.hashing import HashingError, hash_image, popcount, to_words
from analysis.ndindex import HammingIndex


def brute_pairs(words: np.ndarray, t: int, rows: int | None = None) -> np.ndarray:
    """(k, 3) array of (i, j, dist), i < j, by blocked XOR and popcount of every pair.

    With ``rows`` only the first ``rows`` rows are compared against everything (for timing).
    """
    n, n_words = words.shape
    cols = np.ascontiguousarray(words.T)
    out = []
    block = max(1, (1 << 23) // n)
    last = n if rows is None else rows
    for lo in range(0, last, block):
        hi = min(last, lo + block)
        dist = np.zeros((hi - lo, n - lo - 1), dtype=np.uint16)
        for w in range(n_words):
            dist += popcount(words[lo:hi, w, None] ^ cols[w, None, lo + 1 :])
        r, c = np.nonzero(dist <= t)
        i, j = r + lo, c + lo + 1
        keep = i < j
        out.append(np.stack([i[keep], j[keep], dist[r[keep], c[keep]]], axis=1))
    found = np.concatenate(out) if out else np.empty((0, 3), np.int64)
    return found[np.lexsort((found[:, 1], found[:, 0]))]


def brute_query(words: np.ndarray, new: np.ndarray, t: int) -> np.ndarray:
    cols = np.ascontiguousarray(words.T)
    dist = np.zeros((len(new), len(words)), dtype=np.uint16)
    for w in range(words.shape[1]):
        dist += popcount(new[:, w, None] ^ cols[w, None, :])
    r, c = np.nonzero(dist <= t)
    return np.stack([r, c, dist[r, c]], axis=1)


def planted(rng: np.random.Generator, n: int, bits: int, max_flips: int) -> np.ndarray:
    """Uniform random hashes, 5% of them near-copies of others within max_flips bits."""
    hashes = rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)
    k = n // 20
    src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
    hashes[dst] = hashes[src]
    flips = rng.integers(0, max_flips + 1, k)
    for row, f in zip(dst, flips, strict=True):
        for bit in rng.choice(bits, f, replace=False):
            hashes[row, bit // 8] ^= np.uint8(1 << (bit % 8))
    return hashes


def clumpy(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    """Biased bits (as in real pHashes) plus Zipf-sized clusters of reposts and flat images."""
    p_bit = rng.beta(2, 2, bits)
    bitmat = rng.random((n, bits)) < p_bit
    n_clustered = int(n * 0.3)
    sizes = np.minimum(np.ceil(1000 / np.arange(1, 2000) ** 1.1).astype(int), 1500)
    sizes = sizes[np.cumsum(sizes) <= n_clustered]
    row = 0
    for size in sizes:
        proto = rng.random(bits) < p_bit
        members = np.repeat(proto[None, :], size, axis=0)
        flips = rng.poisson(2.5, size)
        for m, f in enumerate(flips):
            members[m, rng.choice(bits, min(f, bits), replace=False)] ^= True
        bitmat[row : row + size] = members
        row += size
    bitmat = bitmat[rng.permutation(n)]
    return np.packbits(bitmat, axis=1)


# Runs in the faiss environment, which holds only numpy and faiss-cpu.
FAISS_WORKER = """
import sys, time
import numpy as np
import faiss
data = np.load(sys.argv[1])
base, queries, radius = data["base"], data["queries"], int(data["radius"])
index = faiss.IndexBinaryFlat(base.shape[1] * 8)
index.add(base)
t0 = time.perf_counter()
lims, dist, labels = index.range_search(queries, radius)
elapsed = time.perf_counter() - t0
np.savez(sys.argv[2], lims=lims, dist=dist, labels=labels, elapsed=elapsed,
         threads=faiss.omp_get_max_threads())
"""


def faiss_range(
    python: str | None, base: np.ndarray, queries: np.ndarray, t: int
) -> tuple[np.ndarray, float] | None:
    """(k, 3) array of (query row, base row, dist) within t by faiss, and its search seconds.

    faiss's binary range search keeps distances strictly below the radius, hence t + 1.
    """
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(src, base=base, queries=queries, radius=t + 1)
        subprocess.run([python, "-c", FAISS_WORKER, src, out], check=True)
        res = np.load(out)
        lims, dist, labels = res["lims"], res["dist"], res["labels"]
        q = np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64))
        found = np.stack([q, labels.astype(np.int64), dist.astype(np.int64)], axis=1)
        return found, float(res["elapsed"])


# Threads each HammingIndex may use (--workers); None means one per core.
WORKERS: int | None = None


def timed(fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


def timed_cpu(fn, *args):
    """Result, wall seconds and process CPU seconds (all threads) of ``fn(*args)``."""
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0, time.process_time() - c0


def same_triples(ref: np.ndarray, i: np.ndarray, j: np.ndarray, d: np.ndarray) -> bool:
    ref = ref[np.lexsort((ref[:, 1], ref[:, 0]))]
    return (
        len(ref) == len(i)
        and np.array_equal(ref[:, 0], i)
        and np.array_equal(ref[:, 1], j)
        and np.array_equal(ref[:, 2], d)
    )


def slice_rows(n: int) -> int:
    return min(n, 10_000 if n <= 200_000 else 2_000)


def run_pairs(
    label: str, hashes: np.ndarray, t: int, full_brute: bool, faiss_python: str | None
) -> None:
    n, nbytes = hashes.shape
    ids = np.arange(n, dtype=np.int64)
    index = HammingIndex(nbytes * 8, workers=WORKERS)
    _, t_add = timed(index.add, ids, hashes)
    (i, j, d), t_ours, cpu_ours = timed_cpu(index.pairs_within, t)
    words = to_words(hashes)
    rows = n if full_brute else slice_rows(n)
    mine = i < rows
    if full_brute:
        ref, t_brute = timed(brute_pairs, words, t)
    else:
        ref, t_part = timed(brute_pairs, words, t, rows)
        # Rows processed cover (2n - rows) * rows / 2 of the n^2 / 2 pairs.
        t_brute = t_part * (n * n / 2) / ((2 * n - rows) * rows / 2)
    ok = same_triples(ref, i[mine], j[mine], d[mine])
    scope = "identical" if full_brute else f"identical for rows < {rows:,}; extrapolated"
    check = scope if ok else "MISMATCH vs brute"
    faiss_part = ""
    got = faiss_range(faiss_python, hashes, hashes[:rows], t)
    if got is not None:
        found, t_part = got
        # faiss compares every query row with every row, so its time scales with n / rows.
        t_faiss = t_part * n / rows
        found = found[found[:, 0] < found[:, 1]]
        faiss_ok = same_triples(found, i[mine], j[mine], d[mine])
        check += "" if faiss_ok else "; MISMATCH vs faiss"
        faiss_part = f"faiss {t_faiss:8.2f}s  vs faiss {t_ours / t_faiss:6.3f}  "
    print(
        f"{label:<36} n={n:>9,} t={t:<3} pairs={len(i):>11,}  add {t_add:6.2f}s  "
        f"ours {t_ours:7.2f}s (cpu {cpu_ours:7.2f}s)  brute {t_brute:8.2f}s  "
        f"vs brute {t_ours / t_brute:6.3f}  {faiss_part}{check}  load {load()}",
        flush=True,
    )
    if "MISMATCH" in check:
        raise SystemExit(f"{label}: index result differs")


def run_query(
    label: str, hashes: np.ndarray, t: int, rng: np.random.Generator, faiss_python: str | None
) -> None:
    n, nbytes = hashes.shape
    index = HammingIndex(nbytes * 8, workers=WORKERS)
    index.add(np.arange(n, dtype=np.int64), hashes)
    new = hashes[rng.integers(0, n, 1000)].copy()
    new[500:] = rng.integers(0, 256, (500, nbytes), dtype=np.uint8)
    new[:500, 0] ^= np.uint8(3)
    (rows, ids, dists), t_ours, cpu_ours = timed_cpu(index.query, new, t)
    ref, t_brute = timed(brute_query, to_words(hashes), to_words(new), t)
    check = "identical" if same_triples(ref, rows, ids, dists) else "MISMATCH vs brute"
    faiss_part = ""
    got = faiss_range(faiss_python, hashes, new, t)
    if got is not None:
        found, t_faiss = got
        check += "" if same_triples(found, rows, ids, dists) else "; MISMATCH vs faiss"
        faiss_part = f"faiss {t_faiss:8.3f}s  vs faiss {t_ours / t_faiss:6.3f}  "
    print(
        f"{label:<36} n={n:>9,} t={t:<3} hits={len(rows):>12,}  "
        f"ours {t_ours:7.3f}s (cpu {cpu_ours:6.3f}s)  brute {t_brute:8.3f}s  "
        f"vs brute {t_ours / t_brute:6.3f}  {faiss_part}{check}  load {load()}",
        flush=True,
    )
    if "MISMATCH" in check:
        raise SystemExit(f"{label}: query result differs")


def load() -> str:
    """The one-minute load average: the machine may be shared, which skews wall seconds."""
    return f"{os.getloadavg()[0]:.1f}"


def _region_hashes(path: str) -> list[tuple[bytes, bytes]]:
    try:
        found = hash_image(path)
    except HashingError:
        return []
    return [(bytes.fromhex(r.phash), bytes.fromhex(r.pdq)) for r in found.regions]


def material_hashes(root: Path, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """(pHashes (k, 8), PDQ hashes (k, 32)) of every region of every image under ``root``.

    Hashing takes minutes, so the result is kept in ``cache`` and reused.
    """
    if cache.exists():
        data = np.load(cache)
        return data["phash"], data["pdq"]
    files = sorted(
        str(p) for p in root.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        regions = [r for rs in pool.map(_region_hashes, files, chunksize=8) for r in rs]
    phash = np.frombuffer(b"".join(r[0] for r in regions), np.uint8).reshape(-1, 8)
    pdq = np.frombuffer(b"".join(r[1] for r in regions), np.uint8).reshape(-1, 32)
    np.savez(cache, phash=phash, pdq=pdq)
    return phash, pdq


def replicate(
    rng: np.random.Generator, base: np.ndarray, n: int, mean_flips: float
) -> np.ndarray:
    """``n`` rows: every base hash in turn, each copy with a Poisson number of flipped bits."""
    bits = base.shape[1] * 8
    mat = np.unpackbits(base[np.arange(n) % len(base)], axis=1).astype(bool)
    flips = np.minimum(rng.poisson(mean_flips, n), bits)
    for row in np.flatnonzero(flips):
        mat[row, rng.choice(bits, flips[row], replace=False)] ^= True
    return np.packbits(mat[rng.permutation(n)], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also run 1,000,000 64-bit hashes")
    parser.add_argument("--n", type=int, default=100_000, help="64-bit hashes per run")
    parser.add_argument("--pdq-n", type=int, default=100_000, help="256-bit hashes")
    parser.add_argument(
        "--full-brute", type=int, default=50_000, help="largest set compared pair by pair"
    )
    parser.add_argument("--material", type=Path, help="folder of images to hash for real runs")
    parser.add_argument(
        "--material-cache", type=Path, default=Path(tempfile.gettempdir()) / "index-bench-hashes.npz"
    )
    parser.add_argument("--faiss-python", help="interpreter of an environment with faiss-cpu")
    parser.add_argument("--only", default="", help="run only labels containing this text")
    parser.add_argument(
        "--workers", type=int, default=None, help="threads per index search (default: cores)"
    )
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers
    rng = np.random.default_rng(20240611)
    fp = args.faiss_python
    print(f"numpy {np.__version__}; times in seconds; ratios = ours / other")
    print("faiss: " + (f"timed with {fp}" if fp else "not timed (no --faiss-python)"))
    print(f"index workers: {args.workers or os.cpu_count()}; load average {load()}")
    runs = []
    full = args.n <= args.full_brute
    pdq_full = args.pdq_n <= args.full_brute
    runs.append(("64-bit random + planted, pairs", lambda: planted(rng, args.n, 64, 10), 10, full))
    runs.append(("64-bit clumpy, pairs", lambda: clumpy(rng, args.n, 64), 10, full))
    runs.append(("64-bit random + planted, t=0", lambda: planted(rng, args.n, 64, 10), 0, full))
    runs.append(
        ("256-bit PDQ-like + planted, pairs", lambda: planted(rng, args.pdq_n, 256, 31), 31,
         pdq_full)
    )
    if args.material:
        phash, pdq = material_hashes(args.material, args.material_cache)
        print(f"material: {len(phash):,} regions hashed under {args.material}")
        runs.append(
            ("64-bit real pHash x copies, pairs", lambda: replicate(rng, phash, args.n, 2.0), 10,
             full)
        )
        runs.append(
            ("256-bit real PDQ x copies, pairs", lambda: replicate(rng, pdq, args.pdq_n, 8.0), 31,
             pdq_full)
        )
    for label, make, t, f in runs:
        if args.only in label:
            run_pairs(label, make(), t, f, fp)
    queries = [
        ("64-bit clumpy, 1,000 queries", lambda: clumpy(rng, args.n, 64), 10),
        ("256-bit PDQ-like, 1,000 queries", lambda: planted(rng, args.pdq_n, 256, 31), 31),
    ]
    for label, make, t in queries:
        if args.only in label:
            run_query(label, make(), t, rng, fp)
    if args.big:
        big = [
            ("64-bit random + planted, 1M", lambda: planted(rng, 1_000_000, 64, 10)),
            ("64-bit clumpy, 1M", lambda: clumpy(rng, 1_000_000, 64)),
        ]
        for label, make in big:
            if args.only in label:
                run_pairs(label, make(), 10, False, fp)
        if args.only in "64-bit clumpy 1M, 1,000 queries":
            run_query("64-bit clumpy 1M, 1,000 queries", clumpy(rng, 1_000_000, 64), 10, rng, fp)


if __name__ == "__main__":
    main()
