"""Tests for evidence.textnorm against a real in-memory SQLite FTS5 table."""

from __future__ import annotations

import sqlite3

import pytest

from evidence.textnorm import (
    FTS5_TOKENIZE,
    fts_query,
    normalise_for_search,
    normalise_for_similarity,
    shingles,
)

DOCS = {
    1: "رحلة إلى إيطاليا كَتَبَ الموعد غداً",  # Arabic with harakat and tanwin
    2: "من می\u200cخواهم بروم یونان",  # Persian with ZWNJ and Persian yeh
    3: "Call +90 501 234 56 78 on WhatsApp, Sea Star Travel (fictional)",
    4: "Boats leave every Friday from the harbour",
    5: "السعر ١٥٠٠ يورو فقط",  # Arabic-Indic digits
    6: "علي في القرية",  # Arabic yeh
}


@pytest.fixture()
def fts() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(f'CREATE VIRTUAL TABLE t USING fts5(body, tokenize="{FTS5_TOKENIZE}")')
    conn.executemany(
        "INSERT INTO t(rowid, body) VALUES (?, ?)",
        [(k, normalise_for_search(v)) for k, v in DOCS.items()],
    )
    return conn


def search(conn: sqlite3.Connection, q: str) -> set[int]:
    rows = conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query(q),)).fetchall()
    return {r[0] for r in rows}


def test_arabic_word_with_harakat_found_by_bare_form(fts):
    assert search(fts, "كتب") == {1}
    assert search(fts, "اليطاليا") == set()
    assert search(fts, "ايطاليا") == {1}  # hamza-on-alef variant found by the plain alef


def test_persian_word_with_zwnj_found_whole(fts):
    assert search(fts, "می\u200cخواهم") == {2}
    assert search(fts, "میخواهم") == {2}
    # The ZWNJ no longer splits the word, so its second half alone is not a word of its own.
    assert search(fts, "خواهم") == set()


def test_yeh_variants_match(fts):
    assert search(fts, "يونان") == {2}  # Arabic yeh finds Persian yeh
    assert search(fts, "علی") == {6}  # Persian yeh finds Arabic yeh


def test_phone_number_found_by_its_digits(fts):
    assert search(fts, "905012345678") == {3}
    assert search(fts, "+90 501 234 56 78") == {3}
    assert search(fts, '"501 234"') == {3}


def test_eastern_digits_found_by_latin_digits(fts):
    assert search(fts, "1500") == {5}
    assert search(fts, "۱۵۰۰") == {5}  # Persian digits in the query


def test_prefix_search(fts):
    assert search(fts, "whats") == {3}
    assert search(fts, "BOAT") == {4}
    assert search(fts, "harb fri") == {4}


def test_or_and_phrases(fts):
    assert search(fts, "harbour OR whatsapp") == {3, 4}
    assert search(fts, '"every friday"') == {4}
    assert search(fts, '"friday every"') == set()


@pytest.mark.parametrize(
    "odd",
    [
        '"',
        "AND (",
        "OR",
        "NOT",
        "*",
        "a AND",
        "(x",
        'x" OR "',
        "NEAR(a b",
        "col:val",
        "^",
        "-",
        "''",
        "",
        "   ",
        "\u200f",
        '"" ""',
        "OR OR x OR",
        "wa.me/905012345678",
    ],
)
def test_odd_input_never_raises(fts, odd):
    search(fts, odd)  # must not raise sqlite3.OperationalError


def test_fts_query_shapes():
    assert fts_query("boat") == '"boat"*'
    assert fts_query('"Sea Star" travel') == '"sea star" "travel"*'
    assert fts_query("") == '""'
    assert fts_query("a OR b") == '"a"* OR "b"*'
    assert fts_query("OR a OR") == '"a"*'


def test_normalise_for_search_details():
    assert normalise_for_search("ﻻ") == "لا"  # presentation form to base letters
    assert normalise_for_search("مدرسة") == "مدرسه"
    assert normalise_for_search("كتاب ڪ ک") == "كتاب ك ك"
    assert normalise_for_search("ـــسلام\u200f") == "سلام"
    assert normalise_for_search("  STRASSE  ß ") == "strasse ss"
    assert normalise_for_search("2026 10:15") == "2026 10:15"  # short numbers not joined
    with pytest.raises(TypeError):
        normalise_for_search(None)  # type: ignore[arg-type]


def test_similarity_sets_numbers_and_emoji_aside():
    a = "🚤 Boat to Italy!! Call +90 501 234 56 78, price 1500€"
    b = "Boat to ITALY - call +90 501 234 99 99 price 2000 € 🔥🔥"
    assert (
        normalise_for_similarity(a) == normalise_for_similarity(b) == ("boat to italy call price")
    )
    assert normalise_for_similarity("رِحْلَة ١٢٣") == "رحله"


def test_shingles():
    assert shingles("abcdef", k=5) == {"abcde", "bcdef"}
    assert shingles("abc", k=5) == {"abc"}
    assert shingles("123 🔥", k=5) == set()
    near = shingles("Boat to Italy every Friday, call now")
    other = shingles("Boat to Italy every Friday - CALL NOW!!")
    unrelated = shingles("Selling used furniture in good condition")
    assert len(near & other) / len(near | other) == 1.0
    assert len(near & unrelated) / len(near | unrelated) < 0.1
    with pytest.raises(ValueError):
        shingles("x", k=0)
