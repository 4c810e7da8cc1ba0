"""Which strong image pairs are stored as links: a spanning forest over matched areas."""

from __future__ import annotations

from analysis.imagelinks import kept_strong_pairs


def _pair(a: str, ra: int, b: str, rb: int, score: float, *, features_only: bool = False,
          band: str = "strong") -> tuple[tuple[str, str], dict]:
    p = {"band": band, "score": score, "partial": False,
         "regions": {a: {"region": ra}, b: {"region": rb}}}
    if features_only:  # confirmed by local features, no hash brought the areas near
        p["verification"] = {"inliers": 40, "strip": ""}
    return tuple(sorted((a, b))), p


def _order(*shas: str) -> dict[str, tuple[str, int]]:
    return {sha: ("2026-03-01", k) for k, sha in enumerate(shas)}


def _connected(edges, pairs) -> set[frozenset]:
    """Groups of (media, region) areas the given pairs connect."""
    groups: list[set] = []
    for k in edges:
        a, b = ((sha, pairs[k]["regions"][sha]["region"]) for sha in k)
        touching = [g for g in groups if a in g or b in g]
        merged = {a, b}.union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    return {frozenset(g) for g in groups}


def test_copies_of_one_photo_link_to_the_earliest() -> None:
    pairs = dict(_pair(a, 0, b, 0, 0.9) for a, b in
                 [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")])
    assert kept_strong_pairs(pairs, _order("a", "b", "c", "d")) == {
        ("a", "b"), ("a", "c"), ("a", "d")}


def test_each_photo_of_a_feed_screenshot_stays_linked_to_its_copies() -> None:
    # Screenshot s shows photo X (region 1) above photo Y (region 2); x1 and x2 are copies of
    # X, y1 and y2 of Y, x2 the earliest. Taken as media, all five are one group around x2:
    # s keeps its one link to x2, and y1 and y2, matching each other best, only each other.
    pairs = dict([_pair("x2", 0, "x1", 0, 0.97), _pair("x2", 0, "s", 1, 0.9),
                  _pair("x1", 0, "s", 1, 0.95), _pair("y2", 0, "y1", 0, 0.97),
                  _pair("y2", 0, "s", 2, 0.9), _pair("y1", 0, "s", 2, 0.95)])
    kept = kept_strong_pairs(pairs, _order("x2", "y2", "x1", "y1", "s"))
    assert _connected(kept, pairs) == _connected(pairs, pairs)
    assert len(_connected(kept, pairs)) == 2  # photo X's areas, photo Y's areas
    assert kept == {("s", "x2"), ("x1", "x2"), ("s", "y2"), ("y1", "y2")}


def test_every_area_stays_connected() -> None:
    # r is the earliest and matches only a; b and c match each other best. Linking each area
    # to the representative or else to its best match would leave b and c apart from r and a.
    pairs = dict([_pair("r", 0, "a", 0, 0.9), _pair("a", 0, "b", 0, 0.8),
                  _pair("b", 0, "c", 0, 0.95)])
    kept = kept_strong_pairs(pairs, _order("r", "a", "b", "c"))
    assert kept == set(pairs)
    assert len(_connected(kept, pairs)) == 1


def test_links_that_join_clusters_are_kept_over_ones_that_do_not() -> None:
    # a-b rests on local features alone (does not join clusters); a-c and b-c are hash matches.
    pairs = dict([_pair("a", 0, "b", 0, 0.99, features_only=True), _pair("a", 0, "c", 0, 0.8),
                  _pair("b", 0, "c", 0, 0.7)])
    assert kept_strong_pairs(pairs, _order("a", "b", "c")) == {("a", "c"), ("b", "c")}


def test_weak_pairs_are_not_part_of_the_forest() -> None:
    pairs = dict([_pair("a", 0, "b", 0, 0.9), _pair("b", 0, "c", 0, 0.5, band="weak")])
    assert kept_strong_pairs(pairs, _order("a", "b", "c")) == {("a", "b")}
