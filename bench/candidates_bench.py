"""The image-link candidate search, full against incremental (analysis/imagelinks.py
``search_candidates``), on a case and on a synthetic set of hashes.

Usage:
    python bench/candidates_bench.py --case CASE [--new 10] [--workers 2]
    python bench/candidates_bench.py --synthetic 20000 [--add 100] [--windows 4] [--seed 1]
    (either also with [--radius R] [--repeat K])

``--case``: a case whose media are hashed (``analyse``; linking need not have run). The media
of the last ``--new`` sightings imported play the files added in a later run. The areas'
visual words are computed once and kept in CASE/cache/candidates-bench/ (the case's own link
cache is not touched). Timed in the same run: the full search over all areas (what every
run with anything new did before), then with a kept search: a first run without the new
media (nothing kept: a full search, saved), the run that adds them, and a run with nothing
new. Prints how the incremental result compares with the full one: hash candidates must be
identical; similar pairs may differ only where visual-word weights moved (see
``search_candidates``), and the bench counts those differences and the pairs they touch.

``--synthetic N``: N random areas (256-bit PDQ, 64-bit pHash, 7 dihedral variants, windows)
with planted near-duplicates (a quarter of the areas are copies of another with up to 40 PDQ
bits flipped) and random visual words; the full search over N + ``--add`` areas against a
kept search of N areas extended by ``--add`` new ones.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import imagelinks, retrieval  # noqa: E402
from analysis.imagelinks import LinkCache, RegionRecord  # noqa: E402


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _hash_tuples(regions: list[RegionRecord], cands: list[imagelinks.Candidate]) -> list:
    key = imagelinks.area_key
    return [(key(regions[c.i]), key(regions[c.j]), c.pdq, c.phash, c.transformed, c.partial)
            for c in cands]


def _similar_diff(regions: list[RegionRecord], full: list[retrieval.SimilarPair],
                  inc: list[retrieval.SimilarPair], new: set[int]) -> dict[str, int]:
    def pairs(ps: list[retrieval.SimilarPair]) -> dict[tuple[int, int], tuple[float, bool]]:
        return {(p.i, p.j): (p.similarity, p.mirrored) for p in ps}

    f, i = pairs(full), pairs(inc)
    touches = {k for k in f.keys() | i.keys() if k[0] in new or k[1] in new}
    return {
        "full": len(f), "incremental": len(i),
        "same pair and similarity": sum(1 for k in f.keys() & i.keys() if f[k] == i[k]),
        "same pair, similarity moved": sum(1 for k in f.keys() & i.keys() if f[k] != i[k]),
        "only in full": len(f.keys() - i.keys()),
        "only in incremental": len(i.keys() - f.keys()),
        "touching a new area, identical": sum(
            1 for k in touches if k in f and k in i and f[k] == i[k]),
        "touching a new area, only in full": sum(1 for k in touches if k in f and k not in i),
        "touching a new area, only in incremental": sum(
            1 for k in touches if k in i and k not in f),
        "touching a new area, similarity moved": sum(
            1 for k in touches if k in f and k in i and f[k] != i[k]),
    }


def compare(regions: list[RegionRecord], words: list, new_media: set[str], label: str,
            repeat: int = 1, radius: int | None = None) -> None:
    """Full search over all ``regions`` against a kept search extended by ``new_media``."""
    if radius is None:
        radius = imagelinks.candidate_radius(imagelinks.Thresholds(), True)
    old_idx = [k for k, r in enumerate(regions) if r.media not in new_media]
    old = [regions[k] for k in old_idx]
    old_words = [words[k] for k in old_idx]
    new_pos = {k for k, r in enumerate(regions) if r.media in new_media}
    print(f"\n## {label}, PDQ radius {radius}: {len(old)} areas, then {len(new_pos)} new areas "
          f"({len(new_media)} media)\n")
    fulls = [_timed(lambda: imagelinks.search_candidates(regions, words, radius))
             for _ in range(repeat)]
    full, t_full = fulls[-1][0], min(t for _, t in fulls)
    with tempfile.TemporaryDirectory() as folder:
        cache = LinkCache(Path(folder))
        version = imagelinks.candidates_version(radius, ["bench"])
        first, t_first = _timed(lambda: imagelinks.search_candidates(
            old, old_words, radius, cache, version))
        described = {imagelinks.area_key(regions[k]) for k in new_pos}
        inc, t_inc = _timed(lambda: imagelinks.search_candidates(
            regions, words, radius, cache, version, described))
        again, t_again = _timed(lambda: imagelinks.search_candidates(
            regions, words, radius, cache, version))
        size = sum(f.stat().st_size for f in Path(folder).iterdir())
    assert not cache.warnings, cache.warnings
    print("| run | areas searched | seconds | candidates (hash / similar) | read back |")
    print("|---|---|---|---|---|")
    print(f"| before: full search over all areas (every run with anything new) | "
          f"{len(regions)} | {t_full:.2f} | {len(full.hash)} / {len(full.similar)} | 0 |")
    print(f"| after, first run (nothing kept) | {first.searched_areas} | {t_first:.2f} | "
          f"{len(first.hash)} / {len(first.similar)} | {first.reused} |")
    print(f"| after, +{len(new_media)} media | {inc.searched_areas} | {t_inc:.2f} | "
          f"{len(inc.hash)} / {len(inc.similar)} | {inc.reused} |")
    print(f"| after, nothing new | {again.searched_areas} | {t_again:.2f} | "
          f"{len(again.hash)} / {len(again.similar)} | {again.reused} |")
    print(f"\nRatio full / incremental (+{len(new_media)} media): {t_full / t_inc:.1f}x; "
          f"kept search on disk: {size / 1e6:.1f} MB")
    same_hash = _hash_tuples(regions, full.hash) == _hash_tuples(regions, inc.hash)
    print(f"Hash candidates identical to the full search, in order: {same_hash}")
    diff = _similar_diff(regions, full.similar, inc.similar, new_pos)
    print("Similar pairs, incremental against full: "
          + ", ".join(f"{k} {v}" for k, v in diff.items()))
    plain_full = imagelinks.pairs_from_regions(regions, candidates=full.hash)
    plain_inc = imagelinks.pairs_from_regions(regions, candidates=inc.hash)
    print(f"Pairs on hashes alone (no verification) identical: {plain_full == plain_inc} "
          f"({len(plain_full)} media pairs)")


def case_regions(case_path: Path, new: int, workers: int) -> tuple[list, list, set[str]]:
    from evidence.case import Case

    case = Case.open(case_path)
    try:
        regions = imagelinks._regions(case)
        keep = LinkCache(case.cache_dir / "candidates-bench")
        kept = keep.load_words()
        keys = [imagelinks.area_key(r) for r in regions]
        todo = [k for k in keys if k not in kept]
        by_key = dict(zip(keys, regions, strict=True))
        if todo:
            t0 = time.perf_counter()
            found = retrieval.words_many([(case.vault.path_for(by_key[k].media), by_key[k].box)
                                          for k in todo], workers, keep.features_dir)
            print(f"Described {len(todo)} areas in {time.perf_counter() - t0:.1f} s "
                  "(kept for the next bench run)")
            kept.update({k: ("", w) for k, w in zip(todo, found, strict=True)
                         if w is not None})
            keep.save_words(kept)
        words = [kept[k][1] if k in kept else None for k in keys]
        last = [sha for (sha,) in case.db.execute(
            "SELECT media_sha256 FROM sightings GROUP BY media_sha256 "
            "ORDER BY MIN(rowid) DESC LIMIT ?", [new])]
    finally:
        case.close()
    return regions, words, set(last)


def _flip(rng: np.random.Generator, words: np.ndarray, max_flips: int) -> np.ndarray:
    """Copies of 256-bit hashes (4 uint64 words each) with 1..max_flips random bits flipped."""
    out = words.copy()
    for row in range(len(out)):
        for bit in rng.choice(256, int(rng.integers(1, max_flips + 1)), replace=False):
            out[row, bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def _hex(words: np.ndarray) -> list[str]:
    return [row.astype(">u8").tobytes().hex() for row in words]


def synthetic(n: int, seed: int, windows: int) -> tuple[list[RegionRecord], list]:
    """``n`` areas of about 0.8 n media: a quarter are near copies of another area."""
    rng = np.random.default_rng(seed)
    per = 1 + 7 + windows  # original, dihedral variants, windows
    base = rng.integers(0, 2 ** 63, size=(n, per, 4), dtype=np.int64).view(np.uint64)
    ph = rng.integers(0, 2 ** 63, size=(n, 2), dtype=np.int64).view(np.uint64)
    copies = rng.random(n) < 0.25
    copies[0] = False
    sources = np.asarray([rng.integers(0, k) if c else k for k, c in enumerate(copies)])
    for k in np.flatnonzero(copies):
        src = sources[k]
        base[k] = _flip(rng, base[src], 40)
        ph[k] = ph[src] ^ (np.uint64(1) << rng.integers(0, 64, 2).astype(np.uint64))
    vocab = retrieval.WORD_TABLES << retrieval.WORD_BITS
    zipf = np.minimum(rng.zipf(1.3, size=(n, 2, 300)), vocab // 2).astype(np.int64)
    media = [f"m{k // 5 * 4 + min(k % 5, 3):07d}" for k in range(n)]  # some with 2 areas
    regions, words = [], []
    for k in range(n):
        hexes = _hex(base[k])
        pdq_ph = [f"{w:016x}" for w in ph[k]]
        regions.append(RegionRecord(
            k, media[k], "photo", (0, 0, 100, 100 + k), hexes[0], pdq_ph[0], pdq_ph[1],
            hexes[1:8], False, [(h, pdq_ph[0]) for h in hexes[8:]]))
        src = sources[k]
        own = rng.integers(0, vocab, size=(2, 300))
        # A copy shares most of its source's words; everything has some common words.
        shared = (np.sort(np.unique(np.concatenate([own[0][:100], zipf[src, 0]])))
                  if copies[k] else np.unique(np.concatenate([own[0], zipf[k, 0]])))
        words.append(retrieval.AreaWords(shared, np.unique(np.concatenate([own[1],
                                                                          zipf[k, 1]]))))
    return regions, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", type=Path)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--synthetic", type=int)
    parser.add_argument("--add", type=int, default=100)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--radius", type=int,
                        help="PDQ candidate radius (default: the linker's, "
                        f"{imagelinks.candidate_radius(imagelinks.Thresholds(), True)})")
    args = parser.parse_args()
    if args.case is None and args.synthetic is None:
        parser.error("give --case or --synthetic")
    if args.case is not None:
        regions, words, new_media = case_regions(args.case, args.new, args.workers)
        compare(regions, words, new_media, f"Case {args.case.name}", args.repeat, args.radius)
    if args.synthetic is not None:
        t0 = time.perf_counter()
        regions, words = synthetic(args.synthetic + args.add, args.seed, args.windows)
        print(f"\nMade {len(regions)} synthetic areas in {time.perf_counter() - t0:.1f} s")
        new_media = {r.media for r in regions[args.synthetic:]}
        # Areas of a media split across the boundary count as new.
        compare(regions, words, new_media, f"Synthetic, {args.windows} windows an area",
                args.repeat, args.radius)


if __name__ == "__main__":
    main()
