"""Watchlist values as partners send them, normalised the way selectors are stored."""

from __future__ import annotations

import re

from evidence.errors import TidelineError

from .selectors import find_selectors


def normalise_watch_value(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "phone":
        found = [s for s in find_selectors(value, "watchlist") if s.kind in ("phone", "whatsapp")]
        if not found:
            raise TidelineError(f"'{value}' is not a phone number Tideline can read; give it "
                                "with its country code, e.g. +90 501 234 56 78.")
        return found[0].value
    if kind == "handle":
        return "@" + value.lower().lstrip("@").removeprefix("https://").removeprefix(
            "t.me/").strip("/")
    if kind in ("email", "url"):
        return value.lower()
    if kind in ("pdq", "phash"):
        bits = 256 if kind == "pdq" else 64
        if not re.fullmatch(f"[0-9a-fA-F]{{{bits // 4}}}", value):
            raise TidelineError(f"A {kind} hash is {bits // 4} hexadecimal digits.")
        return value.lower()
    raise TidelineError(f"'{kind}' is not a watchlist kind (phone, handle, email, url, pdq, phash).")


# Hash lists from partners: a photo matches when its whole image or a photo region inside it
# is within these distances, the thresholds platforms use when they exchange such lists.
WATCH_PDQ_MAX = 31
WATCH_PHASH_MAX = 10


def hash_watch_hits(case) -> list[dict]:
    """Items whose media (whole or a photo region) match a watchlisted PDQ or pHash."""
    import numpy as np

    from .hashing import hex_to_bytes
    from .ndindex import HammingIndex

    entries = [
        (w["list_name"], w["kind"], w["value"])
        for w in case.db.query("SELECT list_name, kind, value FROM watchlist"
                               " WHERE kind IN ('pdq', 'phash')")
    ]
    hits: list[dict] = []
    for algo, bits, limit in (("pdq", 256, WATCH_PDQ_MAX), ("phash", 64, WATCH_PHASH_MAX)):
        wanted = [e for e in entries if e[1] == algo]
        if not wanted:
            continue
        rows = case.db.execute(
            "SELECT h.value, r.media_sha256, r.kind, r.id FROM hashes h JOIN regions r"
            " ON r.id = h.region_id WHERE r.current = 1 AND h.algo = ?"
            " AND h.variant IN ('original', 'mirror')", [algo]).fetchall()
        if not rows:
            continue
        index = HammingIndex(bits)
        index.add(np.arange(len(rows), dtype=np.int64), hex_to_bytes([r[0] for r in rows], bits))
        q_rows, ids, dists = index.query(hex_to_bytes([w[2] for w in wanted], bits), limit)
        for q, i, d in zip(q_rows.tolist(), ids.tolist(), dists.tolist(), strict=True):
            name, kind, value = wanted[q]
            _, sha, region_kind, region_id = rows[i]
            for (item_id,) in case.db.execute(
                "SELECT DISTINCT item_id FROM sightings WHERE media_sha256 = ?"
                " AND item_id IS NOT NULL", [sha]):
                hits.append({"item_id": item_id, "list_name": name, "kind": kind, "value": value,
                             "shown": f"{region_kind} region {region_id} of {sha[:12]}",
                             "found_in": f"{algo} distance {d} (at most {limit})"})
    unique = {(h["item_id"], h["list_name"], h["value"]): h for h in hits}
    return sorted(unique.values(), key=lambda h: (h["item_id"], h["list_name"]))
