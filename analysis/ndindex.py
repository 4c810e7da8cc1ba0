"""The near-duplicate index: every pair of stored hashes within a Hamming distance, exactly.

``HammingIndex`` holds fixed-width binary hashes (64-bit pHash, 256-bit PDQ) under integer ids
and answers two questions without an all-pairs Python loop: which stored pairs lie within
distance ``t`` (``pairs_within``) and which stored hashes lie within ``t`` of new ones
(``query``). Results are exact, identical to a brute-force comparison.

Two strategies, chosen per search from a cost estimate made on the actual data:

* multi-index hashing: each 64-bit word is split into substrings; by the generalised
  pigeonhole principle a pair within ``t`` agrees within a small radius on at least one
  substring, so candidates come from direct-addressed bucket tables and are then verified
  with a vectorised popcount. Each pair is reported by the first substring that catches it
  (no sort to remove duplicates); a self-join probes each pair from one end only; 64-bit
  candidates are read from per-substring sorted copies of the words, bucket by bucket, in
  rectangles of buckets of similar size (widths a quarter power of two apart); in a self-join
  the rows of a crowded bucket, which all probe the same buckets, probe together: the probed
  buckets' members are read once and compared with all those rows in one outer XOR; a probe
  first reads a one-byte flag per bucket, the offsets only when the bucket holds something; wider
  hashes are verified word by word, dropping repeats of pairs an earlier substring catches
  as soon as the word that shows it is read;
* blocked brute force: XOR and popcount over blocks of rows, used when buckets are so crowded
  (clumpy hashes, large ``t``) that candidate generation would cost more.

The probes of one search are split into independent tasks run on a few threads (numpy
releases the GIL inside its loops); results are concatenated in task order and pairs come back
sorted by one packed int64 key, so the output never depends on the number of threads. A
self-join packs each small piece of hits into those keys as soon as it is verified, so the
millions of pairs of a crowded set are held once, as one array, and sorted in place.

Hashes are added in segments that merge like a log-structured merge tree, so ``add`` never
rebuilds the whole index and the amortised cost stays O(n log n).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from analysis.hashing import popcount, to_words

# Bucket tables are direct-addressed, so a substring may not be wider than this (2**22 offsets).
_MAX_SUBSTRING_BITS = 22
# Below this many rows a blocked comparison is always cheap enough.
_SMALL = 2048
# Upper bound on candidate pairs held in memory at once during verification.
_CANDIDATE_BUDGET = 1 << 22
# Candidates verified per step of the 64-bit path: small enough that its temporaries stay in
# the CPU cache, which matters more than the per-step Python overhead.
_PIECE = 1 << 16
# Buckets up to this size are verified as rectangles (see _verify_sorted); the sorted words
# carry this many padding entries so that a rectangle never reads past their end.
_RECT_MAX = 1 << 10
# From this bucket size on, a rectangle copies each bucket as a run instead of word by word.
_ROW_COPY = 16
# From this bucket size on, a self-join probes a bucket's rows as one block (64-bit hashes),
# and only when its rows make at least _BLOCK_PROBES probes in all: a block has a fixed cost
# (about fifteen numpy calls) that only enough shared probes repay. Measured with
# bench/index_bench.py: at a million clumpy hashes (1,562 masks a row) blocks from 8 rows took
# 49 s against 92 s from 128; at 100,000 real pHash copies (137 masks) blocks from 8 rows took
# 3.6 s, from 128 rows 2.5 s, none 2.4 s. 12,000 probes are 8 rows there, 88 here.
_BLOCK_MIN = 8
_BLOCK_PROBES = 12_000
# Bits of an int64 sort key that may hold (i rank, j rank, distance) without the sign bit.
_PACK_BITS = 63
# Upper bound on XOR elements per block in the brute-force path.
_BLOCK_ELEMENTS = 1 << 23
# Relative costs per unit of work, measured with bench/index_bench.py on numpy 2.x.
_COST_PROBE = 1.0
_COST_CANDIDATE = 6.0
# 64-bit candidates are read from the sorted words (see _verify_sorted), without row gathers.
_COST_CANDIDATE_SORTED = 0.8
_COST_BRUTE_WORD = 0.55


@dataclass
class _Segment:
    """An immutable run of hashes with its bucket tables."""

    ids: np.ndarray  # int64 (n,)
    words: np.ndarray  # uint64 (n, W), big-endian interpretation of the hash bytes
    sorted_ids: np.ndarray  # int64 (n,), for duplicate-id checks
    per_word: int  # substrings per 64-bit word
    orders: list[np.ndarray]  # per substring: row positions sorted by substring value
    starts: list[np.ndarray]  # per substring: CSR offsets into orders, length 2**width + 1
    ranks: list[np.ndarray]  # per substring: each row's position in orders (int32)
    # 64-bit hashes only: per substring the words laid out in that substring's order, so that
    # a bucket's members are contiguous and candidates are verified without a row gather.
    sorted_words: list[np.ndarray]
    # Wider hashes only: the words column by column, for word-at-a-time verification.
    columns: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class _Hits:
    """Verified pairs as row positions: query rows, segment rows, distances."""

    q: np.ndarray
    s: np.ndarray
    d: np.ndarray


@dataclass
class _Pack:
    """How a self-join turns its hits into ``pairs_within``'s sort keys as they are found.

    A key is (smaller rank, larger rank, distance) packed into one int64, ranks being the
    positions of the ids in increasing order. Packing each small piece of hits while it is in
    the CPU cache leaves one array per pair, instead of several passes over millions of
    (query row, segment row, distance) triples. ``None`` ranks mean the rows are the ranks.
    """

    q_rank: np.ndarray | None
    s_rank: np.ndarray | None
    rank_bits: int
    dist_bits: int

    def keys(self, found: list[_Hits]) -> np.ndarray:
        parts = [np.empty(0, dtype=np.int64)]
        for h in found:
            a = h.q.astype(np.int64) if self.q_rank is None else self.q_rank[h.q]
            b = h.s.astype(np.int64) if self.s_rank is None else self.s_rank[h.s]
            key = np.minimum(a, b)
            b ^= a
            b ^= key  # the larger of the two
            key <<= self.rank_bits + self.dist_bits
            b <<= self.dist_bits
            key |= b
            key |= h.d
            parts.append(key)
        return np.concatenate(parts)


def _substring_layout(n: int) -> int:
    """Substrings per 64-bit word, so that buckets hold about one row each.

    Rounding (not ceiling) 64 / log2(n) matters at a million rows: three 21-bit substrings
    leave buckets nearly empty, where four 16-bit ones would hold about 15 rows each.
    """
    target = max(4, min(_MAX_SUBSTRING_BITS, round(math.log2(max(n, 2)))))
    return max(math.ceil(64 / _MAX_SUBSTRING_BITS), round(64 / target))


def _substring_bounds(per_word: int) -> list[tuple[int, int]]:
    """(shift, bits) of each substring inside a 64-bit word, covering all 64 bits."""
    base, extra = divmod(64, per_word)
    bounds = []
    used = 0
    for k in range(per_word):
        bits = base + (1 if k < extra else 0)
        used += bits
        bounds.append((64 - used, bits))
    return bounds


def _keys(words: np.ndarray, word: int, shift: int, bits: int) -> np.ndarray:
    return ((words[:, word] >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)


def _build_segment(ids: np.ndarray, words: np.ndarray) -> _Segment:
    per_word = _substring_layout(len(ids))
    orders: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    ranks: list[np.ndarray] = []
    sorted_words: list[np.ndarray] = []
    for w in range(words.shape[1]):
        for shift, bits in _substring_bounds(per_word):
            key = _keys(words, w, shift, bits)
            # int32 positions halve the memory traffic of candidate expansion.
            order = np.argsort(key, kind="stable").astype(np.int32)
            counts = np.bincount(key, minlength=1 << bits)
            start = np.zeros((1 << bits) + 1, dtype=np.int32)
            np.cumsum(counts, out=start[1:])
            rank = np.empty(len(order), dtype=np.int32)
            rank[order] = np.arange(len(order), dtype=np.int32)
            orders.append(order)
            starts.append(start)
            ranks.append(rank)
            if words.shape[1] == 1:
                padded = np.zeros(len(order) + _RECT_MAX, dtype=np.uint64)
                padded[: len(order)] = words[order, 0]
                sorted_words.append(padded)
    columns = np.ascontiguousarray(words.T) if words.shape[1] > 1 else np.empty((0, 0), np.uint64)
    return _Segment(
        ids, words, np.sort(ids), per_word, orders, starts, ranks, sorted_words, columns
    )


def _radii(n_substrings: int, t: int) -> list[int]:
    """Per-substring search radii whose (r + 1) sum to t + 1; -1 means skip the substring.

    If every substring differed by more than its radius the total distance would be at least
    sum(r + 1) = t + 1, so any pair within t is caught by at least one substring.
    """
    base, extra = divmod(t + 1, n_substrings)
    return [base - 1 + (1 if i < extra else 0) for i in range(n_substrings)]


def _ball_size(bits: int, r: int) -> int:
    return sum(math.comb(bits, k) for k in range(min(r, bits) + 1)) if r >= 0 else 0


def _ball(bits: int, r: int) -> np.ndarray:
    """Every XOR mask of at most r set bits among ``bits`` bits."""
    masks = [0]
    for k in range(1, min(r, bits) + 1):
        masks.extend(sum(1 << i for i in combo) for combo in combinations(range(bits), k))
    return np.asarray(masks, dtype=np.int64)


class HammingIndex:
    """Exact Hamming-distance search over binary hashes of a fixed width."""

    def __init__(self, bits: int, workers: int | None = None) -> None:
        """``workers``: threads a search may use (default: one per CPU core). numpy releases
        the GIL inside its loops, so pieces of one search run on several cores; the result
        does not depend on the number of workers."""
        if not isinstance(bits, int) or bits <= 0 or bits % 8:
            raise ValueError(f"Hash width must be a positive multiple of 8 bits, got {bits!r}.")
        if workers is None:
            workers = os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"Workers must be a positive integer, got {workers!r}.")
        self.bits = bits
        self.workers = workers
        self._segments: list[_Segment] = []

    def __len__(self) -> int:
        return sum(len(s) for s in self._segments)

    # -- input -------------------------------------------------------------------------------

    def _check_hashes(self, hashes: np.ndarray) -> np.ndarray:
        hashes = np.asarray(hashes)
        if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] != self.bits // 8:
            raise ValueError(
                f"Hashes must be a uint8 array of shape (n, {self.bits // 8}), "
                f"got {hashes.dtype} {hashes.shape}."
            )
        return to_words(hashes)

    def add(self, ids: np.ndarray, hashes: np.ndarray) -> None:
        """Store ``hashes`` (uint8, one row per hash) under the matching int64 ``ids``."""
        words = self._check_hashes(hashes)
        ids = np.asarray(ids)
        if ids.ndim != 1 or len(ids) != len(words) or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"Ids must be a 1-D integer array with one id per hash, got shape {ids.shape}."
            )
        ids = ids.astype(np.int64)
        if len(ids) == 0:
            return
        sorted_new = np.sort(ids)
        if np.any(sorted_new[1:] == sorted_new[:-1]):
            raise ValueError("Ids given to HammingIndex.add must be unique.")
        for seg in self._segments:
            pos = np.searchsorted(seg.sorted_ids, sorted_new)
            pos = np.minimum(pos, len(seg.sorted_ids) - 1)
            if np.any(seg.sorted_ids[pos] == sorted_new):
                raise ValueError("Some ids given to HammingIndex.add are already in the index.")
        self._segments.append(_build_segment(ids, words))
        # Merge while the newer run is at least half the size of the older one, which keeps
        # O(log n) segments and makes each row take part in O(log n) rebuilds.
        while len(self._segments) >= 2 and len(self._segments[-2]) <= 2 * len(self._segments[-1]):
            newer = self._segments.pop()
            older = self._segments.pop()
            self._segments.append(
                _build_segment(
                    np.concatenate([older.ids, newer.ids]),
                    np.concatenate([older.words, newer.words]),
                )
            )

    def _check_t(self, t: int) -> int:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"Distance threshold must be a non-negative integer, got {t!r}.")
        return int(t)

    # -- search ------------------------------------------------------------------------------

    def pairs_within(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored pair within distance ``t``: (i_ids, j_ids, dists), i < j, each once.

        Sorted by (i, j).
        """
        t = self._check_t(t)
        if not self._segments:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), np.empty(0, dtype=np.int32)
        # Pairs are gathered as ranks of the ids (ids in increasing order), so that a pair and
        # its distance pack into one int64 whose plain sort gives the (i, j) order.
        sorted_ids = np.sort(np.concatenate([seg.ids for seg in self._segments]))
        ranks = [np.searchsorted(sorted_ids, seg.ids) for seg in self._segments]
        rank_bits = max(1, (len(sorted_ids) - 1).bit_length())
        dist_bits = self.bits.bit_length()
        if 2 * rank_bits + dist_bits > _PACK_BITS:
            return self._pairs_unpacked(t, sorted_ids, ranks)
        # Ids given in increasing order in one segment (the usual case) are their own ranks.
        identity = [r if not np.array_equal(r, np.arange(len(r))) else None for r in ranks]
        parts: list[np.ndarray] = []
        for a, seg in enumerate(self._segments):
            pack = _Pack(identity[a], identity[a], rank_bits, dist_bits)
            parts.append(_search(seg.words, seg, t, same=True, workers=self.workers, pack=pack))
            # Older segments are larger, so the newer one is the query side.
            for b, newer in enumerate(self._segments[a + 1 :], start=a + 1):
                pack = _Pack(identity[b], identity[a], rank_bits, dist_bits)
                parts.append(
                    _search(newer.words, seg, t, same=False, workers=self.workers, pack=pack)
                )
        key = np.concatenate(parts) if len(parts) > 1 else parts[0]
        del parts
        key.sort()
        dists = (key & ((1 << dist_bits) - 1)).astype(np.int32)
        key >>= dist_bits
        j_rank = key & ((1 << rank_bits) - 1)
        key >>= rank_bits
        if sorted_ids[0] == 0 and sorted_ids[-1] == len(sorted_ids) - 1:
            # Unique ids 0 .. n - 1 are their own ranks.
            return key, j_rank, dists
        return sorted_ids[key], sorted_ids[j_rank], dists

    def _pairs_unpacked(
        self, t: int, sorted_ids: np.ndarray, ranks: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``pairs_within`` for an index too large to pack a pair into one int64 key."""
        a_parts: list[np.ndarray] = []
        b_parts: list[np.ndarray] = []
        d_parts: list[np.ndarray] = []
        for a, seg in enumerate(self._segments):
            hits = _search(seg.words, seg, t, same=True, workers=self.workers)
            a_parts.append(ranks[a][hits.q])
            b_parts.append(ranks[a][hits.s])
            d_parts.append(hits.d)
            for b, newer in enumerate(self._segments[a + 1 :], start=a + 1):
                hits = _search(newer.words, seg, t, same=False, workers=self.workers)
                a_parts.append(ranks[b][hits.q])
                b_parts.append(ranks[a][hits.s])
                d_parts.append(hits.d)
        r_a = np.concatenate(a_parts)
        r_b = np.concatenate(b_parts)
        dists = np.concatenate(d_parts)
        lo = np.minimum(r_a, r_b)
        hi = np.maximum(r_a, r_b)
        order = np.lexsort((hi, lo))
        return sorted_ids[lo[order]], sorted_ids[hi[order]], dists[order]

    def query(self, hashes: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stored hashes within ``t`` of each new hash: (query_row, ids, dists).

        ``query_row`` indexes the rows of ``hashes``; sorted by (query_row, id).
        """
        words = self._check_hashes(hashes)
        t = self._check_t(t)
        rows: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        ids: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        dists: list[np.ndarray] = [np.empty(0, dtype=np.int32)]
        for seg in self._segments:
            hits = _search(words, seg, t, same=False, workers=self.workers)
            rows.append(hits.q.astype(np.int64))
            ids.append(seg.ids[hits.s])
            dists.append(hits.d)
        row = np.concatenate(rows)
        found = np.concatenate(ids)
        dist = np.concatenate(dists)
        order = np.lexsort((found, row))
        return row[order], found[order], dist[order]


# -- search strategies ---------------------------------------------------------------------


def _search(
    q_words: np.ndarray,
    seg: _Segment,
    t: int,
    *,
    same: bool,
    workers: int = 1,
    pack: _Pack | None = None,
) -> _Hits | np.ndarray:
    """Pairs (query row, segment row) within t; with ``same`` only query row < segment row.

    With ``pack`` the pairs come back as packed sort keys (see ``_Pack``), else as ``_Hits``.
    """
    n_q, n_s = len(q_words), len(seg)
    n_words = seg.words.shape[1]
    if n_q == 0 or n_s == 0:
        return _no_hits(pack)
    if t >= 64 * n_words or n_q * n_s <= _SMALL * _SMALL // 4:
        return _brute(q_words, seg.words, t, same=same, workers=workers, pack=pack)
    plan = _mih_plan(seg, t)
    brute_cost = _COST_BRUTE_WORD * n_q * n_s * n_words / (2 if same else 1)
    if plan is None or _mih_cost(q_words, seg, plan, same) > brute_cost:
        return _brute(q_words, seg.words, t, same=same, workers=workers, pack=pack)
    return _mih(q_words, seg, t, plan, same=same, workers=workers, pack=pack)


def _no_hits(pack: _Pack | None) -> _Hits | np.ndarray:
    if pack is not None:
        return np.empty(0, dtype=np.int64)
    return _Hits(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))


@dataclass
class _Probe:
    index: int  # substring number, indexing seg.orders / seg.starts
    word: int
    shift: int
    bits: int
    radius: int
    masks: np.ndarray

    @property
    def field(self) -> np.uint64:
        """The substring's bits inside its 64-bit word."""
        return np.uint64(((1 << self.bits) - 1) << self.shift)


def _mih_plan(seg: _Segment, t: int) -> list[_Probe] | None:
    n_words = seg.words.shape[1]
    bounds = _substring_bounds(seg.per_word)
    radii = _radii(n_words * len(bounds), t)
    layout = [(w, shift, bits) for w in range(n_words) for shift, bits in bounds]
    plan = []
    for index, ((w, shift, bits), r) in enumerate(zip(layout, radii, strict=True)):
        if r < 0:
            continue
        if _ball_size(bits, r) > (1 << bits):
            return None
        plan.append(_Probe(index, w, shift, bits, r, _ball(bits, r)))
    return plan


def _mih_cost(q_words: np.ndarray, seg: _Segment, plan: list[_Probe], same: bool) -> float:
    """Estimated work for multi-index hashing, counting real bucket sizes on a sample."""
    n_q = len(q_words)
    rng = np.random.default_rng(0)
    sample = q_words if n_q <= 512 else q_words[rng.choice(n_q, 512, replace=False)]
    probes = 0
    candidates = 0.0
    for p in plan:
        keys = _keys(sample, p.word, p.shift, p.bits)[:, None] ^ p.masks[None, :]
        start = seg.starts[p.index]
        candidates += float((start[keys + 1] - start[keys]).sum()) * n_q / len(sample)
        probes += len(p.masks) * n_q
    if same:
        # Only the smaller-key end of a self-join probes (see _mask_groups).
        candidates /= 2
        probes /= 2
    per_candidate = _COST_CANDIDATE_SORTED if seg.sorted_words else _COST_CANDIDATE
    return _COST_PROBE * probes + per_candidate * candidates * seg.words.shape[1]


def _top_bits(masks: np.ndarray, bits: int) -> np.ndarray:
    """The highest set bit of every mask (0 for the empty mask)."""
    top = np.zeros(len(masks), dtype=np.int64)
    for h in range(bits):
        top[(masks >> h) & 1 == 1] = h
    return top


def _mask_groups(
    q_keys: np.ndarray,
    masks: np.ndarray,
    bits: int,
    same: bool,
    small: np.ndarray | None = None,
) -> list[tuple[np.ndarray | None, np.ndarray, bool]]:
    """(query rows or None for all, masks, own bucket) groups to probe for one substring.

    In a self-join a pair whose substrings differ by a mask is seen from both ends; probing
    only from the end with the smaller key (the mask's highest bit clear in the row's own key)
    halves the probes and the candidates. ``small``, if given, limits the rows to those marked
    (rows of crowded buckets probe as whole buckets, see ``_verify_bucket_blocks``).
    """
    if not same:
        return [(None, masks, False)]
    rows_all = None if small is None else np.flatnonzero(small)
    groups: list[tuple[np.ndarray | None, np.ndarray, bool]] = [(rows_all, masks[:1], True)]
    top = _top_bits(masks, bits)
    for h in range(bits):
        chosen = masks[1:][top[1:] == h]
        if len(chosen):
            clear = (q_keys >> h) & 1 == 0
            if small is not None:
                clear &= small
            groups.append((np.flatnonzero(clear), chosen, False))
    return groups


def _run(tasks: list, fn, workers: int) -> list:
    """``fn`` over ``tasks``, on up to ``workers`` threads, results in task order."""
    if workers <= 1 or len(tasks) <= 1:
        return [fn(task) for task in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        return list(pool.map(fn, tasks))


@dataclass
class _BlockTask:
    """Crowded buckets of a self-join's substring, each probing as one block of rows."""

    k: int  # position of the probe in the plan
    buckets: np.ndarray  # bucket keys


@dataclass
class _ProbeTask:
    """One chunk of query rows probing one substring with one group of masks."""

    k: int  # position of the probe in the plan
    q_keys: np.ndarray  # the chunk's substring keys
    rows: np.ndarray | None  # the chunk's query rows, or None for rows lo, lo + 1, ...
    lo: int
    masks: np.ndarray
    own_bucket: bool


def _mih(
    q_words: np.ndarray,
    seg: _Segment,
    t: int,
    plan: list[_Probe],
    *,
    same: bool,
    workers: int,
    pack: _Pack | None = None,
) -> _Hits | np.ndarray:
    tasks: list[_ProbeTask | _BlockTask] = []
    # One byte per bucket: at a million rows the int32 bucket tables are 8 to 16 MB and every
    # probe reads them at random; the nonempty flags are a quarter of that, and only probes
    # that hit something read the offsets.
    occupied = [np.diff(seg.starts[p.index]) > 0 for p in plan]
    # Wider hashes are verified word by word from column-major copies (see _verify_buckets).
    if seg.sorted_words:
        q_columns = np.empty((0, 0), np.uint64)
    else:
        q_columns = seg.columns if same else np.ascontiguousarray(q_words.T)
    tops = [_top_bits(p.masks, p.bits) for p in plan]
    for k, p in enumerate(plan):
        q_keys_all = _keys(q_words, p.word, p.shift, p.bits)
        small = None
        if same and seg.sorted_words:
            # The rows of a crowded bucket all probe the same buckets: probing them as one
            # block reads each probed bucket once for all of them (see _verify_bucket_blocks).
            sizes = np.diff(seg.starts[p.index])
            block_min = max(1, _BLOCK_MIN, math.ceil(_BLOCK_PROBES / len(p.masks)))
            crowded = np.flatnonzero(sizes >= block_min)
            if len(crowded):
                small = sizes[q_keys_all] < block_min
                # Tasks of similar work: each bucket costs about its size squared.
                work = np.cumsum(sizes[crowded].astype(np.float64) ** 2)
                cut = np.searchsorted(work, np.arange(1, 4 * workers) * work[-1] / (4 * workers))
                for part in np.split(crowded, np.unique(cut)):
                    if len(part):
                        tasks.append(_BlockTask(k, part))
        for rows, masks, own_bucket in _mask_groups(q_keys_all, p.masks, p.bits, same, small):
            q_keys = q_keys_all if rows is None else q_keys_all[rows]
            chunk = max(1, _CANDIDATE_BUDGET // (4 * len(masks)))
            for lo in range(0, len(q_keys), chunk):
                part_rows = None if rows is None else rows[lo : lo + chunk]
                tasks.append(
                    _ProbeTask(k, q_keys[lo : lo + chunk], part_rows, lo, masks, own_bucket)
                )

    def probe(task: _ProbeTask | _BlockTask) -> list[_Hits]:
        p = plan[task.k]
        if isinstance(task, _BlockTask):
            return _verify_bucket_blocks(task.buckets, seg, t, p, tops[task.k], occupied[task.k],
                                         plan[: task.k])
        start = seg.starts[p.index]
        n_masks = len(task.masks)
        keys = (task.q_keys[:, None] ^ task.masks[None, :]).ravel()
        nonzero = np.flatnonzero(occupied[task.k][keys])
        if len(nonzero) == 0:
            return []
        q_rows = nonzero // n_masks
        q_rows = task.lo + q_rows if task.rows is None else task.rows[q_rows]
        q_rows = q_rows.astype(np.int32)
        keys = keys[nonzero]
        first = start[keys]
        keys += 1
        counts = start[keys] - first
        return _verify_probes(
            q_rows, first, counts, q_words, q_columns, seg, t, p, plan[: task.k], task.own_bucket
        )

    if pack is not None:
        return np.concatenate([pack.keys([]), *_run(tasks, lambda k: pack.keys(probe(k)), workers)])
    return _concat([h for hits in _run(tasks, probe, workers) for h in hits])


def _verify_probes(
    q_rows: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
    q_words: np.ndarray,
    q_columns: np.ndarray,
    seg: _Segment,
    t: int,
    p: _Probe,
    earlier: list[_Probe],
    own_bucket: bool,
) -> list[_Hits]:
    """Verify (query row, bucket) probes; ``own_bucket`` marks a self-join's same-key probes,
    where each pair is met from both rows and only one meeting is kept."""
    if not seg.sorted_words:
        order = seg.orders[p.index]
        n_words = seg.words.shape[1]
        word_order = [(p.word + 1 + i) % n_words for i in range(n_words)]
        return _verify_buckets(
            q_rows, first, counts, order, q_columns, seg, t, own_bucket, earlier, word_order
        )
    if own_bucket:
        # In its own bucket a row pairs only with the members after it in the bucket.
        end = first + counts
        first = seg.ranks[p.index][q_rows] + 1
        counts = end - first
        live = counts > 0
        q_rows, first, counts = q_rows[live], first[live], counts[live]
    return _verify_sorted(q_rows, first, counts, q_words[:, 0], seg, p, t, earlier)


def _verify_buckets(
    q_rows: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
    order: np.ndarray,
    q_columns: np.ndarray,
    seg: _Segment,
    t: int,
    row_order: bool,
    earlier: list[_Probe],
    word_order: list[int],
) -> list[_Hits]:
    """Expand (query row, bucket) probes into candidates in bounded pieces and verify them.

    With ``row_order`` only pairs with query row < segment row are kept. A pair that an
    ``earlier`` probe also catches (its substring within that probe's radius) is dropped here,
    so every pair is reported once without sorting all hits.
    """
    hits = []
    if len(counts) == 0:
        return hits
    earlier_in: dict[int, list[_Probe]] = {w: [] for w in word_order}
    for e in earlier:
        earlier_in[e.word].append(e)
    ends = np.cumsum(counts)
    piece_lo = 0
    while piece_lo < len(counts):
        base = ends[piece_lo - 1] if piece_lo else 0
        piece_hi = int(np.searchsorted(ends, base + _CANDIDATE_BUDGET, side="right"))
        piece_hi = max(piece_hi, piece_lo + 1)
        c = counts[piece_lo:piece_hi]
        total = int(c.sum())
        # Positions inside the sorted order: a ragged arange, one arange plus one repeat.
        shift = first[piece_lo:piece_hi] - (np.cumsum(c, dtype=np.int32) - c)
        s = order[np.arange(total, dtype=np.int32) + np.repeat(shift, c)]
        q = np.repeat(q_rows[piece_lo:piece_hi], c)
        if row_order:
            keep = q < s
            q, s = q[keep], s[keep]
        # Word by word, dropping a candidate as soon as its partial distance exceeds t or an
        # earlier probe inside that word also catches it (a near copy agrees on many
        # substrings, so most candidates of a crowded real set are such repeats); the probed
        # word comes last, as its substring already agrees and rejects least.
        d = np.zeros(len(q), dtype=np.int32)
        for w in word_order:
            x = q_columns[w].take(q) ^ seg.columns[w].take(s)
            d += popcount(x)
            live = d <= t
            for e in earlier_in[w]:
                live &= popcount(x & e.field) > e.radius
            keep = np.flatnonzero(live)
            if len(keep) < len(d):
                q, s, d = q[keep], s[keep], d[keep]
        hits.append(_Hits(q, s, d))
        piece_lo = piece_hi
    return hits


def _verify_sorted(
    q_rows: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
    q_word: np.ndarray,
    seg: _Segment,
    probe: _Probe,
    t: int,
    earlier: list[_Probe],
) -> list[_Hits]:
    """``_verify_buckets`` for 64-bit hashes, reading bucket members from the sorted words.

    Candidates stay as positions in the substring's order; only verified pairs are mapped back
    to rows. Probes are grouped by bucket size rounded up to a power of two, and each group is
    verified as a rectangle (probe x slot): no ragged expansion, and the slots past a bucket's
    end (they read the next buckets, or the padding) are dropped only among the few hits.
    """
    hits: list[_Hits] = []
    if len(counts) == 0:
        return hits
    order = seg.orders[probe.index]
    sorted_w = seg.sorted_words[probe.index]
    # Size class: the bucket size rounded up to the next of _rect_widths (quarter powers of
    # two), so that the slots past a bucket's end are under a fifth of a rectangle.
    widths, class_of = _rect_widths(_RECT_MAX)
    # A table lookup: a binary search over the widths cost more than the rest of the sorting.
    size_class = class_of[np.minimum(counts, _RECT_MAX + 1)]
    by_class = np.argsort(size_class, kind="stable")
    bounds = np.searchsorted(size_class[by_class], np.arange(int(size_class.max()) + 2))
    for k in range(len(bounds) - 1):
        sel = by_class[bounds[k] : bounds[k + 1]]
        if len(sel) == 0:
            continue
        if k == len(widths):
            hits.extend(
                _verify_ragged(q_rows[sel], first[sel], counts[sel], q_word, seg, probe, t,
                               earlier)
            )
            continue
        width = int(widths[k])
        slots = np.arange(width, dtype=np.int64)
        windows = sliding_window_view(sorted_w, width) if width >= _ROW_COPY else None
        step = max(1, _PIECE // width)
        for lo in range(0, len(sel), step):
            part = sel[lo : lo + step]
            m = len(part)
            f = first[part].astype(np.int64)
            if windows is None:
                # Slot-major (width, m): the broadcasts then run along the long axis.
                x = sorted_w.take((slots[:, None] + f[None, :]).ravel())
                x.reshape(width, m)[:] ^= q_word[q_rows[part]][None, :]
            else:
                # Probe-major (m, width): each bucket is copied as one contiguous run.
                x = windows[f]
                x ^= q_word[q_rows[part]][:, None]
                x = x.ravel()
            d = popcount(x)
            # A flat scan: np.nonzero on a 2-D mask costs several times more.
            flat = np.flatnonzero(d <= t)
            if windows is None:
                slot, r = np.divmod(flat, m)
            else:
                r, slot = np.divmod(flat, width)
            # Slots past the bucket's end and repeats of pairs an earlier substring catches
            # are dropped together: one compaction of the hits instead of two.
            x = x[flat]
            if width > 1:
                keep = slot < counts[part[r]]
            else:
                keep = np.ones(len(flat), dtype=bool)
            for e in earlier:
                keep &= popcount(x & e.field) > e.radius
            flat, r, slot = flat[keep], r[keep], slot[keep]
            hits.append(_Hits(q_rows[part[r]], order[f[r] + slot], d[flat].astype(np.int32)))
    return hits


def _verify_bucket_blocks(
    buckets: np.ndarray,
    seg: _Segment,
    t: int,
    probe: _Probe,
    top: np.ndarray,
    occupied: np.ndarray,
    earlier: list[_Probe],
) -> list[_Hits]:
    """A 64-bit self-join's probes from the rows of crowded ``buckets``, bucket by bucket.

    Every row of a bucket probes the same buckets (its key XOR the masks whose highest bit is
    clear in the key, and its own bucket for the members after it), so the members of those
    buckets are read once into one run and compared with all the bucket's rows as one outer
    XOR: no per-row probe and no per-slot gather (at a million clumpy hashes about 3 ns a
    slot against about 19 ns a candidate, probes included, on the per-row path). The pairs
    are exactly those the rows' own probes would verify.
    """
    hits: list[_Hits] = []
    order = seg.orders[probe.index]
    sorted_w = seg.sorted_words[probe.index]
    start = seg.starts[probe.index]
    nonzero_masks = probe.masks[1:]
    nonzero_top = top[1:]
    x_buf = np.empty(0, dtype=np.uint64)
    d_buf = np.empty(0, dtype=np.uint8)
    near_buf = np.empty(0, dtype=bool)
    for key in buckets.tolist():
        lo, hi = int(start[key]), int(start[key + 1])
        rows_w = sorted_w[lo:hi]
        targets = key ^ nonzero_masks[(key >> nonzero_top) & 1 == 0]
        targets = targets[occupied[targets]]
        first = start[targets].astype(np.int64)
        counts = start[targets + 1] - first
        # The probed buckets' members laid end to end, then the bucket itself (own pairs).
        ends = np.cumsum(counts)
        total = int(ends[-1]) if len(ends) else 0
        pos = np.empty(total + hi - lo, dtype=np.int64)
        if total:
            pos[:total] = np.repeat(first - (ends - counts), counts)
            pos[:total] += np.arange(total)
        pos[total:] = np.arange(lo, hi)
        cols_w = sorted_w[pos]
        width = len(pos)
        step = max(1, _PIECE // width)
        if step * width > len(x_buf):
            x_buf = np.empty(step * width, dtype=np.uint64)
            d_buf = np.empty(step * width, dtype=np.uint8)
            near_buf = np.empty(step * width, dtype=bool)
        for r0 in range(0, hi - lo, step):
            # Reused buffers: fresh temporaries cost about a third more per slot (measured).
            size = min(step, hi - lo - r0) * width
            x = x_buf[:size]
            np.bitwise_xor(rows_w[r0 : r0 + step, None], cols_w[None, :], out=x.reshape(-1, width))
            d = popcount(x, out=d_buf[:size])
            flat = np.flatnonzero(np.less_equal(d, t, out=near_buf[:size]))
            r, c = np.divmod(flat, width)
            r += r0
            # In its own bucket a row pairs only with the members after it.
            keep = (c < total) | (c - total > r)
            x = x[flat]
            for e in earlier:
                keep &= popcount(x & e.field) > e.radius
            flat, r, c = flat[keep], r[keep], c[keep]
            hits.append(_Hits(order[lo + r], order[pos[c]], d[flat].astype(np.int32)))
    return hits


@cache
def _rect_widths(largest: int) -> tuple[np.ndarray, np.ndarray]:
    """Rectangle widths 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, ... up to ``largest``,
    and for every bucket size 0 .. largest + 1 the position of the narrowest width that holds
    it (len(widths) for buckets too large for a rectangle)."""
    steps = np.arange(4 * max(1, largest).bit_length() + 1)
    widths = np.unique(np.ceil(2.0 ** (steps / 4) - 1e-9).astype(np.int64))
    widths = np.append(widths[widths < largest], largest)
    class_of = np.searchsorted(widths, np.arange(largest + 2)).astype(np.uint8)
    return widths, class_of


def _verify_ragged(
    q_rows: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
    q_word: np.ndarray,
    seg: _Segment,
    probe: _Probe,
    t: int,
    earlier: list[_Probe],
) -> list[_Hits]:
    """``_verify_sorted`` for crowded buckets: their ranges laid end to end, in pieces."""
    hits = []
    order = seg.orders[probe.index]
    sorted_w = seg.sorted_words[probe.index]
    ends = np.cumsum(counts, dtype=np.int64)
    piece_lo = 0
    while piece_lo < len(counts):
        base = ends[piece_lo - 1] if piece_lo else 0
        piece_hi = int(np.searchsorted(ends, base + _PIECE, side="right"))
        piece_hi = max(piece_hi, piece_lo + 1)
        c = counts[piece_lo:piece_hi]
        f = first[piece_lo:piece_hi]
        rows = q_rows[piece_lo:piece_hi]
        c_ends = np.cumsum(c, dtype=np.int64)
        total = int(c_ends[-1])
        # Ragged ranges f[i] .. f[i] + c[i] laid end to end, and the probe each element came
        # from, by running sums of step arrays (much faster than np.repeat with small counts).
        step = np.ones(total, dtype=np.int64)
        step[0] = f[0]
        step[c_ends[:-1]] = f[1:] - (f[:-1] + c[:-1]) + 1
        pos = np.cumsum(step)
        probe_of = np.zeros(total, dtype=np.int32)
        probe_of[c_ends[:-1]] = 1
        np.cumsum(probe_of, out=probe_of)
        x = q_word[rows][probe_of] ^ sorted_w[pos]
        d = popcount(x)
        hit = np.flatnonzero(d <= t)
        x = x[hit]
        keep = np.ones(len(hit), dtype=bool)
        for e in earlier:
            keep &= popcount(x & e.field) > e.radius
        hit = hit[keep]
        hits.append(_Hits(rows[probe_of[hit]], order[pos[hit]], d[hit].astype(np.int32)))
        piece_lo = piece_hi
    return hits


def _concat(found: list[_Hits]) -> _Hits:
    if not found:
        return _Hits(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))
    return _Hits(
        np.concatenate([h.q for h in found]).astype(np.int64),
        np.concatenate([h.s for h in found]).astype(np.int64),
        np.concatenate([h.d for h in found]),
    )


def _brute(
    q_words: np.ndarray,
    s_words: np.ndarray,
    t: int,
    *,
    same: bool,
    workers: int = 1,
    pack: _Pack | None = None,
) -> _Hits | np.ndarray:
    """Blocked XOR and popcount of every query row against every segment row."""
    n_q, n_s = len(q_words), len(s_words)
    n_words = s_words.shape[1]
    # Word-major columns keep each XOR pass over contiguous memory.
    columns = np.ascontiguousarray(s_words.T)
    block = max(1, _BLOCK_ELEMENTS // max(1, n_s))
    # For a self-join only columns after the block's first row can pair with it.
    starts = [lo for lo in range(0, n_q, block) if not same or lo + 1 < n_s]

    def compare(lo: int) -> _Hits:
        hi = min(n_q, lo + block)
        col0 = lo + 1 if same else 0
        xor = np.empty((hi - lo, n_s - col0), dtype=np.uint64)
        bits = np.empty(xor.shape, dtype=np.uint8)
        dist = np.zeros(xor.shape, dtype=np.uint16) if n_words > 1 else bits
        for w in range(n_words):
            np.bitwise_xor(q_words[lo:hi, w, None], columns[w, None, col0:], out=xor)
            popcount(xor, out=bits)
            if n_words > 1:
                dist += bits
        r, c = np.nonzero(dist <= t)
        q, s = r + lo, c + col0
        if same:
            keep = q < s
            q, s, r, c = q[keep], s[keep], r[keep], c[keep]
        return _Hits(q.astype(np.int64), s.astype(np.int64), dist[r, c].astype(np.int32))

    if pack is not None:
        return np.concatenate(
            [pack.keys([]), *_run(starts, lambda lo: pack.keys([compare(lo)]), workers)]
        )
    return _concat(_run(starts, compare, workers))


def brute_force_pairs(
    ids: np.ndarray, hashes: np.ndarray, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference answer for ``pairs_within`` by blocked comparison of every pair, i < j."""
    words = to_words(np.asarray(hashes, dtype=np.uint8))
    ids = np.asarray(ids, dtype=np.int64)
    hits = _brute(words, words, t, same=True)
    i, j = ids[hits.q], ids[hits.s]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    order = np.lexsort((hi, lo))
    return lo[order], hi[order], hits.d[order]
