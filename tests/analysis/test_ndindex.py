"""The near-duplicate index gives exactly the brute-force answer, whichever strategy it picks."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import ndindex
from analysis.ndindex import HammingIndex


def distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All Hamming distances by unpacked bits and a matrix product, independent of the index."""
    x = np.unpackbits(a, axis=1).astype(np.float32)
    y = np.unpackbits(b, axis=1).astype(np.float32)
    return np.rint(x @ (1 - y).T + (1 - x) @ y.T).astype(np.int64)


def reference_pairs(ids: np.ndarray, dist: np.ndarray, t: int) -> set[tuple[int, int, int]]:
    a, b = np.nonzero(np.triu(dist <= t, k=1))
    i, j = ids[a], ids[b]
    return set(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), dist[a, b].tolist(),
                   strict=True))


def as_set(result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> set[tuple[int, int, int]]:
    i, j, d = result
    assert np.all(i < j)
    triples = list(zip(i.tolist(), j.tolist(), d.tolist(), strict=True))
    assert len(triples) == len(set(triples)), "a pair was reported twice"
    return set(triples)


def random_hashes(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    return rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)


def clumpy_hashes(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    """Biased bits, exact duplicates and tight clusters, as real hashes of reposts are."""
    p = rng.beta(0.7, 0.7, bits)
    mat = rng.random((n, bits)) < p
    for start in range(0, n // 2, 60):
        proto = mat[start]
        for row in range(start + 1, min(start + 60, n)):
            mat[row] = proto
            mat[row, rng.choice(bits, int(rng.integers(0, 6)), replace=False)] ^= True
    mat[n - 10 :] = mat[0]
    return np.packbits(mat, axis=1)


@pytest.fixture(params=["mih", "brute", "auto"])
def strategy(request, monkeypatch):
    """Force each search strategy in turn (and let the cost model choose once)."""
    monkeypatch.setattr(ndindex, "_SMALL", 8)
    if request.param == "mih":
        monkeypatch.setattr(ndindex, "_COST_BRUTE_WORD", 1e9)
    elif request.param == "brute":
        monkeypatch.setattr(ndindex, "_COST_BRUTE_WORD", 0.0)
    return request.param


@pytest.mark.parametrize("bits", [64, 256])
@pytest.mark.parametrize("kind", ["random", "clumpy"])
def test_pairs_match_brute_force(strategy: str, bits: int, kind: str) -> None:
    rng = np.random.default_rng(bits + len(kind))
    n = 1200
    hashes = random_hashes(rng, n, bits) if kind == "random" else clumpy_hashes(rng, n, bits)
    ids = rng.permutation(10 * n)[:n].astype(np.int64)
    index = HammingIndex(bits)
    # Several adds of uneven size, so the index holds more than one segment.
    for part in np.split(np.arange(n), [700, 1000, 1150]):
        index.add(ids[part], hashes[part])
    assert len(index) == n
    dist = distance_matrix(hashes, hashes)
    for t in ([0, 3, 10, 16] if bits == 64 else [0, 31, 60]):
        assert as_set(index.pairs_within(t)) == reference_pairs(ids, dist, t), t


def test_pairs_are_sorted_and_exact_duplicates_found_at_zero() -> None:
    rng = np.random.default_rng(7)
    hashes = random_hashes(rng, 300, 64)
    hashes[[10, 50, 290]] = hashes[5]
    index = HammingIndex(64)
    index.add(np.arange(300, dtype=np.int64) * 3, hashes)
    i, j, d = index.pairs_within(0)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) >= {(15, 30), (15, 150), (30, 870)}
    assert np.all(d == 0)
    order = np.lexsort((j, i))
    assert np.array_equal(order, np.arange(len(i)))


def test_query_matches_brute_force(strategy: str) -> None:
    rng = np.random.default_rng(3)
    stored = clumpy_hashes(rng, 900, 64)
    ids = np.arange(900, dtype=np.int64) + 1000
    index = HammingIndex(64)
    index.add(ids[:500], stored[:500])
    index.add(ids[500:], stored[500:])
    new = np.concatenate([stored[rng.integers(0, 900, 40)], random_hashes(rng, 40, 64)])
    new[:20, 0] ^= 1
    rows, found, dists = index.query(new, 8)
    dist = distance_matrix(new, stored)
    r, k = np.nonzero(dist <= 8)
    expected = set(zip(r.tolist(), ids[k].tolist(), dist[r, k].tolist(), strict=True))
    got = set(zip(rows.tolist(), found.tolist(), dists.tolist(), strict=True))
    assert got == expected
    assert len(got) == len(rows)


def test_empty_index_and_bad_input() -> None:
    index = HammingIndex(64)
    assert len(index) == 0
    assert all(len(a) == 0 for a in index.pairs_within(5))
    assert all(len(a) == 0 for a in index.query(np.zeros((2, 8), np.uint8), 5))
    with pytest.raises(ValueError, match="uint8 array of shape"):
        index.add(np.arange(2), np.zeros((2, 4), np.uint8))
    with pytest.raises(ValueError, match="one id per hash"):
        index.add(np.arange(3), np.zeros((2, 8), np.uint8))
    with pytest.raises(ValueError, match="unique"):
        index.add(np.array([1, 1]), np.zeros((2, 8), np.uint8))
    index.add(np.array([1, 2]), np.zeros((2, 8), np.uint8))
    with pytest.raises(ValueError, match="already in the index"):
        index.add(np.array([2]), np.zeros((1, 8), np.uint8))
    with pytest.raises(ValueError, match="non-negative integer"):
        index.pairs_within(-1)
    with pytest.raises(ValueError, match="multiple of 8"):
        HammingIndex(60)


def test_threshold_at_full_width_pairs_everything() -> None:
    rng = np.random.default_rng(11)
    index = HammingIndex(64)
    index.add(np.arange(40, dtype=np.int64), random_hashes(rng, 40, 64))
    assert len(index.pairs_within(64)[0]) == 40 * 39 // 2


@pytest.mark.parametrize("per_word", [3, 4, 6])
def test_wide_substrings_and_large_radii_match_brute_force(monkeypatch, per_word: int) -> None:
    """Few wide substrings (as at a million hashes) probe radii of up to 3 bits per substring."""
    monkeypatch.setattr(ndindex, "_SMALL", 8)
    monkeypatch.setattr(ndindex, "_COST_BRUTE_WORD", 1e9)
    monkeypatch.setattr(ndindex, "_substring_layout", lambda n: per_word)
    rng = np.random.default_rng(per_word)
    n = 900
    hashes = clumpy_hashes(rng, n, 64)
    # A large block of identical hashes fills one bucket of every substring.
    hashes[100:250] = hashes[99]
    ids = np.arange(n, dtype=np.int64) * 7
    index = HammingIndex(64)
    index.add(ids[:600], hashes[:600])
    index.add(ids[600:], hashes[600:])
    dist = distance_matrix(hashes, hashes)
    for t in (0, 5, 10):
        assert as_set(index.pairs_within(t)) == reference_pairs(ids, dist, t), t
    new = hashes[rng.integers(0, n, 30)].copy()
    new[:, 7] ^= 5
    rows, found, dists = index.query(new, 10)
    qd = distance_matrix(new, hashes)
    r, k = np.nonzero(qd <= 10)
    expected = set(zip(r.tolist(), ids[k].tolist(), qd[r, k].tolist(), strict=True))
    assert set(zip(rows.tolist(), found.tolist(), dists.tolist(), strict=True)) == expected
    assert len(rows) == len(expected)


def test_layout_keeps_buckets_sparse_at_a_million() -> None:
    """Three substrings of 21-22 bits at a million rows, four of 16 bits at 100,000."""
    assert ndindex._substring_layout(1_000_000) == 3
    assert ndindex._substring_layout(100_000) == 4
    for n in (2, 100, 10_000, 10_000_000):
        assert 64 / ndindex._substring_layout(n) <= ndindex._MAX_SUBSTRING_BITS


@pytest.mark.parametrize("bits", [64, 256])
def test_every_verification_path_and_worker_count_give_the_same_arrays(
    monkeypatch, bits: int
) -> None:
    """Small bucket-size limits send buckets down all three 64-bit verification paths
    (slot-major rectangles, bucket-run rectangles, ragged ranges); 1 and 3 workers must
    return identical arrays in identical order, equal to brute force."""
    monkeypatch.setattr(ndindex, "_SMALL", 8)
    monkeypatch.setattr(ndindex, "_COST_BRUTE_WORD", 1e9)
    monkeypatch.setattr(ndindex, "_RECT_MAX", 32)
    monkeypatch.setattr(ndindex, "_ROW_COPY", 4)
    monkeypatch.setattr(ndindex, "_PIECE", 64)
    monkeypatch.setattr(ndindex, "_CANDIDATE_BUDGET", 1 << 12)
    rng = np.random.default_rng(bits)
    n = 1000
    hashes = clumpy_hashes(rng, n, bits)
    # Buckets of every size class: 1, 2, 3-4, ..., and a block of 90 identical rows.
    hashes[300:390] = hashes[299]
    ids = rng.permutation(5 * n)[:n].astype(np.int64)
    dist = distance_matrix(hashes, hashes)
    new = hashes[rng.integers(0, n, 50)].copy()
    new[:, 1] ^= 3
    results = []
    for workers in (1, 3):
        index = HammingIndex(bits, workers=workers)
        index.add(ids[:800], hashes[:800])
        index.add(ids[800:], hashes[800:])
        t = 10 if bits == 64 else 40
        results.append((index.pairs_within(t), index.query(new, t)))
    (pairs_1, query_1), (pairs_3, query_3) = results
    for a, b in zip(pairs_1 + query_1, pairs_3 + query_3, strict=True):
        assert np.array_equal(a, b)
    assert as_set(pairs_1) == reference_pairs(ids, dist, t)
    assert len(pairs_1[0]) > 5000
    qd = distance_matrix(new, hashes)
    r, k = np.nonzero(qd <= t)
    expected = set(zip(r.tolist(), ids[k].tolist(), qd[r, k].tolist(), strict=True))
    assert set(zip(*(a.tolist() for a in query_1), strict=True)) == expected


def _same_packed_and_unpacked(index: HammingIndex, t: int, monkeypatch) -> tuple:
    """``pairs_within(t)`` with packed sort keys, checked equal (dtypes too) to the unpacked
    path's."""
    packed = index.pairs_within(t)
    monkeypatch.setattr(ndindex, "_PACK_BITS", 0)
    unpacked = index.pairs_within(t)
    for a, b in zip(packed, unpacked, strict=True):
        assert np.array_equal(a, b) and a.dtype == b.dtype
    return packed


def test_pair_order_is_the_same_with_and_without_packed_sort_keys(monkeypatch) -> None:
    """Ids far apart (negative and huge) come back sorted by (i, j) either way."""
    rng = np.random.default_rng(5)
    hashes = clumpy_hashes(rng, 400, 64)
    ids = np.concatenate([np.arange(-200, 0), np.arange(200) * (1 << 40)]).astype(np.int64)
    ids = ids[rng.permutation(400)]
    index = HammingIndex(64)
    index.add(ids, hashes)
    packed = _same_packed_and_unpacked(index, 12, monkeypatch)
    i, j, _ = packed
    assert np.all(i < j)
    assert np.array_equal(np.lexsort((j, i)), np.arange(len(i)))
    assert as_set(packed) == reference_pairs(ids, distance_matrix(hashes, hashes), 12)


def test_bad_worker_count_is_refused() -> None:
    for workers in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="Workers must be a positive integer"):
            HammingIndex(64, workers=workers)


def test_rectangle_widths_hold_every_bucket_size_with_little_slack() -> None:
    """Each bucket size maps to the narrowest width that holds it, a quarter power of two at
    most above it; sizes past the largest width go to the ragged path."""
    for largest in (32, 1024):
        widths, class_of = ndindex._rect_widths(largest)
        assert widths[0] == 1 and widths[-1] == largest
        assert np.all(np.diff(widths) > 0)
        for size in range(1, largest + 1):
            k = int(class_of[size])
            assert widths[k] >= size
            assert k == 0 or widths[k - 1] < size
            assert widths[k] <= max(size + 1, np.ceil(size * 2 ** 0.25))
        assert class_of[largest + 1] == len(widths)


@pytest.mark.parametrize("shuffled", [False, True])
def test_ids_zero_to_n_come_back_as_with_unpacked_keys(monkeypatch, shuffled: bool) -> None:
    """Ids 0 .. n - 1 (their own ranks) in one ordered add, or shuffled over two segments,
    give the same arrays, dtypes included, as the unpacked path and the brute-force pairs."""
    monkeypatch.setattr(ndindex, "_SMALL", 8)
    monkeypatch.setattr(ndindex, "_COST_BRUTE_WORD", 1e9)
    rng = np.random.default_rng(13)
    n = 700
    hashes = clumpy_hashes(rng, n, 64)
    ids = rng.permutation(n).astype(np.int64) if shuffled else np.arange(n, dtype=np.int64)
    index = HammingIndex(64)
    if shuffled:
        index.add(ids[:500], hashes[:500])
        index.add(ids[500:], hashes[500:])
    else:
        index.add(ids, hashes)
    packed = _same_packed_and_unpacked(index, 10, monkeypatch)
    assert [a.dtype for a in packed] == [np.int64, np.int64, np.int32]
    assert as_set(packed) == reference_pairs(ids, distance_matrix(hashes, hashes), 10)
    assert len(packed[0]) > 1000


@pytest.mark.parametrize(("block_min", "probes"), [(2, 0), (7, 0), (1 << 30, 0), (2, 10**9)])
def test_crowded_buckets_probed_as_blocks_give_the_brute_force_pairs(
    monkeypatch, block_min: int, probes: int
) -> None:
    """A self-join probes the rows of crowded buckets bucket by bucket (one outer XOR per
    bucket) and the other rows one by one; whichever rows go which way, and on 1 or 3
    workers, the pairs are the brute-force ones, each once, in the same arrays."""
    monkeypatch.setattr(ndindex, "_SMALL", 8)
    monkeypatch.setattr(ndindex, "_COST_BRUTE_WORD", 1e9)
    monkeypatch.setattr(ndindex, "_BLOCK_MIN", block_min)
    # This small set has few masks a row: blocks need no more probes than their rows make,
    # unless the test asks for more than any bucket here makes.
    monkeypatch.setattr(ndindex, "_BLOCK_PROBES", probes)
    # Small pieces so that a block is cut into several row steps.
    monkeypatch.setattr(ndindex, "_PIECE", 256)
    blocked: list[int] = []
    verify = ndindex._verify_bucket_blocks

    def spy(buckets, *args, **kwargs):
        blocked.append(len(buckets))
        return verify(buckets, *args, **kwargs)

    monkeypatch.setattr(ndindex, "_verify_bucket_blocks", spy)
    rng = np.random.default_rng(21)
    n = 1500
    hashes = clumpy_hashes(rng, n, 64)
    # Exact duplicates make one bucket hold many rows on every substring.
    hashes[700:780] = hashes[699]
    ids = rng.permutation(3 * n)[:n].astype(np.int64)
    expected = reference_pairs(ids, distance_matrix(hashes, hashes), 10)
    results = []
    for workers in (1, 3):
        index = HammingIndex(64, workers=workers)
        index.add(ids, hashes)
        results.append(index.pairs_within(10))
    for a, b in zip(*results, strict=True):
        assert np.array_equal(a, b)
    assert as_set(results[0]) == expected
    assert len(results[0][0]) > 5000
    if block_min < n and probes == 0:
        assert sum(blocked) > 0
    else:
        assert blocked == []
