"""Which window hashes produce the candidates that become true image links.

Usage: python bench/window_candidates.py --out DIR [--dump FILE] [--words] [--workers 2]

``DIR`` is a labelled collection made by bench/link_accuracy.py (its truth.json and files);
``--dump`` is that bench's ``--dump`` file from a run with the window scheme before, which
says which media pairs were strong links then. Every file is hashed once with every window
of ``FULL_CUTS`` (the scheme before), each window tagged with its cut, so any subset of cuts
can be judged without hashing again. Candidates are built by analysis/imagelinks.py's own
``candidate_pairs`` and kept as the linker keeps them (strong on hashes, or within the
verification radii); with ``--words`` the visual-word candidates (analysis/retrieval.py,
reading the features the accuracy bench cached in ``DIR``) are added, since they do not
depend on windows.

Prints, for each cut alone, the true pairs only it brings; a greedy order of cuts by the
true pairs they add; and, for the scheme before and for ``hashing.WINDOW_CUTS`` now, how
many of the strong true pairs before, and of all true pairs, stay candidates, and how many
candidate media pairs and region pairs there are.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import json
import pickle
import sys
import time
import types
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import features, hashing, imagelinks, retrieval  # noqa: E402

_spec = importlib.util.spec_from_file_location("link_accuracy", ROOT / "bench" /
                                               "link_accuracy.py")
link_accuracy = importlib.util.module_from_spec(_spec)
sys.modules["link_accuracy"] = link_accuracy  # its dataclasses look their module up
_spec.loader.exec_module(link_accuracy)


def full_cuts() -> list[tuple[float, float, float, float]]:
    """The 90 window cuts of the scheme before: the top or bottom 50-90 % kept, and every
    side cut by 0, 7.5 or 15 %."""
    cuts = [(0.0, 0.0, 0.0, 1 - f) for f in (0.5, 0.6, 0.7, 0.8, 0.9)]
    cuts += [(0.0, 1 - f, 0.0, 0.0) for f in (0.5, 0.6, 0.7, 0.8, 0.9)]
    steps = (0.0, 0.075, 0.15)
    cuts += [(a, b, c, d) for a in steps for b in steps for c in steps for d in steps
             if (a, b, c, d) != (0.0, 0.0, 0.0, 0.0)]
    return cuts


FULL_CUTS = full_cuts()

Pair = tuple[str, str]


def _hash_tagged(path: Path) -> tuple[hashing.ImageHashes | str, list[list[int]]]:
    """hash_image with windows of every FULL_CUTS cut, and each region's window cut numbers."""
    stash: dict[int, list[int]] = {}

    def tagged(area):
        cut, pdq, phash = hashing.window_table(area)
        out = list(zip(pdq, phash, strict=True))
        stash[id(out)] = cut
        return out

    saved = hashing._windows, hashing.WINDOW_CUTS
    hashing._windows, hashing.WINDOW_CUTS = tagged, FULL_CUTS
    hashing._window_plan.cache_clear()
    try:
        h = hashing.hash_image(path, windows=True)
    except hashing.HashingError as exc:
        return str(exc), []
    finally:
        hashing._windows, hashing.WINDOW_CUTS = saved
        hashing._window_plan.cache_clear()
    return h, [stash.get(id(r.windows), []) for r in h.regions]


def hash_collection(folder: Path, files: list[str]) -> dict:
    # Keyed by the code that decodes, finds regions and hashes, not by the cuts chosen now
    # (every FULL_CUTS window is hashed whatever they are).
    code = "".join(inspect.getsource(f) for f in (
        hashing._decode, hashing._to_grey, hashing.hash_pil, hashing._hash_region,
        hashing._area_copy, hashing.window_table, hashing._window_grids, hashing._window_plan,
        hashing.pdq_quality, hashing._pdq_bits_hex, hashing._phash_bits_hex))
    code += (ROOT / "analysis" / "regions.py").read_text()
    tag = hashlib.sha256(code.encode()).hexdigest()[:16]
    cache = folder / f".window-tags-{tag}.pkl"
    if cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    started = time.perf_counter()
    out = {rel: _hash_tagged(folder / rel) for rel in files}
    print(f"hashed {len(files)} files with all {len(FULL_CUTS)} windows tagged in "
          f"{time.perf_counter() - started:.1f} s")
    with cache.open("wb") as fh:
        pickle.dump(out, fh)
    return out


def records_and_tags(hashed: dict, files: list[str]
                     ) -> tuple[list[imagelinks.RegionRecord], dict[int, list[int]]]:
    records: list[imagelinks.RegionRecord] = []
    tags: dict[int, list[int]] = {}
    for rel in files:
        h, cuts = hashed[rel]
        if isinstance(h, str):
            continue
        recs = imagelinks.records_from_hashes(rel, h, len(records))
        for r, c in zip(recs, cuts, strict=True):
            tags[r.id] = c
        records += recs
    return imagelinks.linkable(records), tags


def with_cuts(records, tags, keep: set[int]) -> list[imagelinks.RegionRecord]:
    """The records with only the windows of the cuts numbered in ``keep``."""
    return [replace(r, windows=[w for w, c in zip(r.windows, tags[r.id], strict=True)
                                if c in keep]) for r in records]


def kept_candidates(records, thresholds: imagelinks.Thresholds
                    ) -> tuple[set[Pair], set[tuple[int, int]]]:
    """Media pairs the linker keeps a candidate for (strong on hashes or within the
    verification radii), and those candidates as region pairs (record ids)."""
    t = thresholds
    radius = max(t.pdq_candidate, t.pdq_partial, t.pdq_verify, t.pdq_partial_verify)
    pairs: set[Pair] = set()
    regions: set[tuple[int, int]] = set()
    for c in imagelinks.candidate_pairs(records, radius):
        if t.band(c.pdq, c.phash, c.partial) == "strong" or t.to_verify(c.pdq, c.phash,
                                                                         c.partial):
            a, b = records[c.i], records[c.j]
            pairs.add((min(a.media, b.media), max(a.media, b.media)))
            regions.add((min(a.id, b.id), max(a.id, b.id)))
    return pairs, regions


def window_only(records, thresholds) -> tuple[set[Pair], int]:
    """Media pairs kept through window (partial) candidates alone, and their region pairs."""
    t = thresholds
    radius = max(t.pdq_partial, t.pdq_partial_verify)
    got: set[Pair] = set()
    n = 0
    for c in imagelinks._window_candidates(records, radius):
        if t.band(c.pdq, c.phash, True) == "strong" or t.to_verify(c.pdq, c.phash, True):
            a, b = records[c.i].media, records[c.j].media
            got.add((min(a, b), max(a, b)))
            n += 1
    return got, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="a link_accuracy collection")
    ap.add_argument("--dump", type=Path, help="link_accuracy --dump file of the run before")
    ap.add_argument("--words", action="store_true", help="add visual-word candidates")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--greedy", type=int, default=40, help="cuts to list in greedy order")
    ap.add_argument("--start", default="", help="cut numbers the greedy order starts with")
    args = ap.parse_args(argv)
    truth = link_accuracy.load_truth(json.loads((args.out / "truth.json").read_text()))
    true_pairs = truth.positives - truth.ignored
    hashed = hash_collection(args.out, truth.files)
    records, tags = records_and_tags(hashed, truth.files)
    t = imagelinks.Thresholds()
    print(f"{len(records)} linkable regions, {sum(len(r.windows) for r in records)} windows, "
          f"{len(true_pairs)} true pairs")

    plain, _ = kept_candidates([replace(r, windows=[]) for r in records], t)
    words: set[Pair] = set()
    word_regions: set[tuple[int, int]] = set()
    if args.words:
        started = time.perf_counter()
        described = retrieval.words_many([(args.out / r.media, r.box) for r in records],
                                         args.workers, args.out / "features-cache")
        for p in retrieval.similar_pairs(described, [r.media for r in records]):
            a, b = records[p.i].media, records[p.j].media
            words.add((min(a, b), max(a, b)))
            ids = records[p.i].id, records[p.j].id
            word_regions.add((min(ids), max(ids)))
        print(f"visual-word candidates: {len(words)} media pairs "
              f"({time.perf_counter() - started:.1f} s)")
    base = plain | words

    strong_before: set[Pair] = set()
    if args.dump:
        with args.dump.open("rb") as fh:
            dump = pickle.load(fh)
        log = types.SimpleNamespace(found=dump["found"])
        passing = link_accuracy.VerifyLog.passing(
            log, features.MIN_INLIERS, features.MIN_CORRELATION, features.MIN_COVERAGE,
            retrieval.MIN_SIMILARITY)
        strong_before = (dump["hash_strong"] | passing) & true_pairs

    per_cut: list[set[Pair]] = []
    for k in range(len(FULL_CUTS)):
        got, _ = window_only(with_cuts(records, tags, {k}), t)
        per_cut.append(got & true_pairs)
    need_true = set().union(*per_cut) - base
    need_strong = need_true & strong_before
    print(f"true pairs that only windows make candidates: {len(need_true)} "
          f"({len(need_strong)} of them strong before); no windows needed for "
          f"{len(true_pairs & base)} true pairs ({len(strong_before & base)} strong before)")
    print("\n| cut (left, top, right, bottom) | true pairs it brings | only it |")
    print("|---|---|---|")
    for k, cut in enumerate(FULL_CUTS):
        others = set().union(*(per_cut[j] for j in range(len(FULL_CUTS)) if j != k))
        print(f"| {k} {cut} | {len(per_cut[k] & need_true)} | "
              f"{len(per_cut[k] & need_true - others)} |")
    # Cuts are chosen on pairs outside the held-out layout; the held-out pairs say how well
    # the choice carries over.
    held = {p for p in need_true if truth.held_out[p[0]] or truth.held_out[p[1]]}
    fit_strong, fit_true = need_strong - held, need_true - held
    start = [int(k) for k in args.start.split(",") if k.strip()]
    covered: set[Pair] = set().union(*(per_cut[k] for k in start))
    print(f"\nGreedy order after cuts {start} on pairs outside the held-out layout (strong-before pairs first, "
          "then all true pairs):")
    print("| step | cut | strong-before covered | true covered | held-out true covered |")
    print("|---|---|---|---|---|")
    left = set(range(len(FULL_CUTS))) - set(start)
    for step in range(min(args.greedy, len(FULL_CUTS))):
        k = max(left, key=lambda j: (len((per_cut[j] - covered) & fit_strong),
                                     len((per_cut[j] - covered) & fit_true), -j))
        left.discard(k)
        covered |= per_cut[k]
        print(f"| {step + 1} | {k} {FULL_CUTS[k]} | {len(covered & fit_strong)}/"
              f"{len(fit_strong)} | {len(covered & fit_true)}/{len(fit_true)} | "
              f"{len(covered & held)}/{len(held)} |")

    now = {k for k, c in enumerate(FULL_CUTS) if c in set(hashing.WINDOW_CUTS)}
    print(f"\nhashing.WINDOW_CUTS now: {len(hashing.WINDOW_CUTS)} cuts, "
          f"{len(now)} of them among the scheme before's")
    # Verification is decided per region pair, so a true media pair is surely kept when every
    # region pair it had as a candidate before is still one.
    media_of = {r.id: r.media for r in records}
    print("\n| scheme | windows | true pairs candidates | strong-before pairs candidates | "
          "true pairs with every region pair kept | candidate media pairs | "
          "candidate region pairs |")
    print("|---|---|---|---|---|---|---|")
    before_regions: dict[Pair, set] | None = None
    for label, keep in (("before (all 90)", set(range(len(FULL_CUTS)))), ("no windows", set()),
                        (f"now ({len(now)} cuts)", now)):
        recs = with_cuts(records, tags, keep)
        cand, regions = kept_candidates(recs, t)
        cand |= words
        regions |= word_regions
        by_pair: dict[Pair, set] = {}
        for i, j in regions:
            a, b = media_of[i], media_of[j]
            by_pair.setdefault((min(a, b), max(a, b)), set()).add((i, j))
        if before_regions is None:
            before_regions = by_pair
        kept = {p for p in true_pairs if p in before_regions
                and before_regions[p] <= by_pair.get(p, set())}
        print(f"| {label} | {sum(len(r.windows) for r in recs)} | "
              f"{len(cand & true_pairs)}/{len(true_pairs)} | "
              f"{len(cand & strong_before)}/{len(strong_before)} | "
              f"{len(kept)}/{len(true_pairs & set(before_regions))} (strong before "
              f"{len(kept & strong_before)}/{len(strong_before)}) | {len(cand)} | "
              f"{len(regions)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
