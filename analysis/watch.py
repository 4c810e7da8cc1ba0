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
