"""Benchmark of the near-duplicate index against blocked numpy brute force, in the same run.

Usage: python bench/index_bench.py [--big] [--n N] [--pdq-n N]

Prints seconds and the ratio ours/brute for: all pairs within 10 among 64-bit hashes (random
with planted near-duplicates, and clumpy hashes with biased bits and Zipf-sized clusters, as
real pHashes of many near-flat images are), all pairs within 31 among 256-bit PDQ-like hashes,
and 1,000 new hashes queried against the index. Results are checked to be identical to the
brute-force answer. To keep the default run short, sets larger than ``--full-brute`` hashes
compare only the first 10,000 rows against all others by brute force (every pair with one of
those rows is checked) and extrapolate the brute-force time from that slice; pass
``--full-brute 1000000`` to compare every pair. ``--big`` adds 1,000,000-hash runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.hashing import popcount, to_words
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


def timed(fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


def run_pairs(label: str, hashes: np.ndarray, t: int, full_brute: bool = True) -> None:
    n, nbytes = hashes.shape
    ids = np.arange(n, dtype=np.int64)
    index = HammingIndex(nbytes * 8)
    _, t_add = timed(index.add, ids, hashes)
    (i, j, d), t_ours = timed(index.pairs_within, t)
    words = to_words(hashes)
    if full_brute:
        ref, t_brute = timed(brute_pairs, words, t)
        same = (
            len(ref) == len(i)
            and np.array_equal(ref[:, 0], i)
            and np.array_equal(ref[:, 1], j)
            and np.array_equal(ref[:, 2], d)
        )
        check = "identical" if same else "MISMATCH"
    else:
        rows = min(n, 10_000)
        ref, t_part = timed(brute_pairs, words, t, rows)
        # Rows processed cover (2n - rows) * rows / 2 of the n^2 / 2 pairs.
        t_brute = t_part * (n * n / 2) / ((2 * n - rows) * rows / 2)
        mine = i < rows
        same = np.array_equal(ref[:, 0], i[mine]) and np.array_equal(ref[:, 1], j[mine])
        same = same and np.array_equal(ref[:, 2], d[mine])
        check = f"identical for rows < {rows:,}; brute extrapolated" if same else "MISMATCH"
    print(
        f"{label:<40} n={n:>9,} t={t:<3} pairs={len(i):>10,}  add {t_add:6.2f}s  "
        f"ours {t_ours:7.2f}s  brute {t_brute:8.2f}s  ratio {t_ours / t_brute:6.3f}  {check}"
    )
    if check == "MISMATCH":
        raise SystemExit(f"{label}: index result differs from brute force")


def run_query(label: str, hashes: np.ndarray, t: int, rng: np.random.Generator) -> None:
    n, nbytes = hashes.shape
    index = HammingIndex(nbytes * 8)
    index.add(np.arange(n, dtype=np.int64), hashes)
    new = hashes[rng.integers(0, n, 1000)].copy()
    new[500:] = rng.integers(0, 256, (500, nbytes), dtype=np.uint8)
    new[:500, 0] ^= np.uint8(3)
    (rows, ids, dists), t_ours = timed(index.query, new, t)
    ref, t_brute = timed(brute_query, to_words(hashes), to_words(new), t)
    ref = ref[np.lexsort((ref[:, 1], ref[:, 0]))]
    same = np.array_equal(ref[:, 0], rows) and np.array_equal(ref[:, 1], ids)
    same = same and np.array_equal(ref[:, 2], dists)
    print(
        f"{label:<40} n={n:>9,} t={t:<3} hits={len(rows):>10,}  "
        f"ours {t_ours:7.3f}s  brute {t_brute:8.3f}s  ratio {t_ours / t_brute:6.3f}  "
        f"{'identical' if same else 'MISMATCH'}"
    )
    if not same:
        raise SystemExit(f"{label}: query result differs from brute force")


def faiss_note() -> None:
    try:
        import faiss  # noqa: F401
    except ImportError:
        print("faiss is not installed here: faiss.IndexBinaryFlat comparison skipped")
        return
    print("faiss is importable but this bench does not time it yet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also run 1,000,000 64-bit hashes")
    parser.add_argument("--n", type=int, default=100_000, help="64-bit hashes per run")
    parser.add_argument("--pdq-n", type=int, default=100_000, help="256-bit hashes")
    parser.add_argument(
        "--full-brute", type=int, default=50_000, help="largest set compared pair by pair"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(20240611)
    print(f"numpy {np.__version__}; times in seconds; ratio = ours / brute force")
    faiss_note()
    full = args.n <= args.full_brute
    run_pairs("64-bit random + planted, pairs", planted(rng, args.n, 64, 10), 10, full)
    run_pairs("64-bit clumpy, pairs", clumpy(rng, args.n, 64), 10, full)
    run_pairs("64-bit random + planted, t=0", planted(rng, args.n, 64, 10), 0, full)
    full = args.pdq_n <= args.full_brute
    run_pairs("256-bit PDQ-like + planted, pairs", planted(rng, args.pdq_n, 256, 31), 31, full)
    run_query("64-bit clumpy, 1,000 queries", clumpy(rng, args.n, 64), 10, rng)
    run_query("256-bit PDQ-like, 1,000 queries", planted(rng, args.pdq_n, 256, 31), 31, rng)
    if args.big:
        run_pairs("64-bit random + planted, 1M", planted(rng, 1_000_000, 64, 10), 10, False)
        run_pairs("64-bit clumpy, 1M", clumpy(rng, 1_000_000, 64), 10, False)


if __name__ == "__main__":
    main()
