"""Text normalisation for full-text search and for near-duplicate text comparison.

Owns the one definition of "the same text" that the store's FTS5 index, the search box and the
text linker share: ``normalise_for_search`` is applied both when text is indexed and when a query
is built, so Arabic spelling variants, harakat, Persian half-spaces and Eastern digits match their
plain forms. ``FTS5_TOKENIZE`` is the tokenizer spec for the FTS5 table and ``fts_query`` turns what
an analyst types into a MATCH expression that never raises a syntax error.
``normalise_for_similarity`` and ``shingles`` serve near-duplicate advert detection.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "FTS5_TOKENIZE",
    "fts_query",
    "normalise_for_search",
    "normalise_for_similarity",
    "shingles",
]

# SQLite 3.40 knows the unicode61 ``categories`` option. Keeping marks (M*) inside tokens means
# text indexed without normalisation is at least not cut apart at every haraka; normally
# normalise_for_search has already removed them. ZWNJ (category Cf) would still split a word,
# which is why normalise_for_search removes it before indexing.
FTS5_TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"

_DIGITS = {cp: str(i) for i in range(10) for cp in (0x0660 + i, 0x06F0 + i)}

_LETTERS = {
    "ى": "ي",  # alef maksura
    "ی": "ي",  # Persian yeh
    "ې": "ي",
    "ک": "ك",  # Persian keheh
    "ڪ": "ك",
    "ة": "ه",  # teh marbuta
    "ۀ": "ه",
    "ە": "ه",
    "ۃ": "ه",
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
}

# Bidi controls and joiners carry no meaning for search: LRM/RLM, embeddings and overrides,
# isolates, ZWNJ (Persian half-space: dropping it keeps "می‌خواهم" one word), ZWJ, BOM.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e" \
    "\u2066\u2067\u2068\u2069\u2060\ufeff\u061c"

# Harakat, Quranic annotation marks, superscript alef and tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")

_TABLE: dict[int, str | None] = {ord(k): v for k, v in _LETTERS.items()}
_TABLE.update({cp: d for cp, d in _DIGITS.items()})
_TABLE.update({ord(c): None for c in _INVISIBLE})

# Digit groups written with spaces, dots or dashes between them ("+90 501 234 56 78").
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-/]\d+)+")
_WS = re.compile(r"\s+")


def _base(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_TABLE)
    text = _ARABIC_MARKS.sub("", text)
    return text.casefold()


def _append_joined_numbers(text: str) -> str:
    """After a run of digit groups that is long enough to be a phone number, add the run's
    digits as one token too, so "905012345678" finds "+90 501 234 56 78". The groups stay in
    place, so a phrase query for the spaced form still matches."""

    def join(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) < 7:
            return m.group(0)
        return f"{m.group(0)} {digits}"

    return _DIGIT_RUN.sub(join, text)


def normalise_for_search(text: str) -> str:
    """Return ``text`` in the form the FTS5 index stores and queries are built from.

    NFKC, casefold, Arabic letter variants unified, harakat and tatweel removed, bidi marks and
    ZWNJ removed, Arabic-Indic and Persian digits made Latin, spaced digit groups of seven or
    more digits also given as one joined token, whitespace collapsed.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise_for_search expects text, not {type(text).__name__}.")
    text = _append_joined_numbers(_base(text))
    return _WS.sub(" ", text).strip()


# What the unicode61 tokenizer treats as a token character: letters, numbers, private use, marks.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_QUOTED = re.compile(r'"([^"]*)"?')


def _fts_string(tokens: list[str]) -> str:
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def fts_query(user_query: str) -> str:
    """Turn what an analyst typed into a safe FTS5 MATCH expression.

    Text in double quotes is a phrase (an unclosed quote runs to the end); every other word is
    matched as a prefix; words are ANDed, and an upper-case ``OR`` between two words or phrases
    makes an OR. Punctuation and FTS5 operators in the input are treated as plain text. A query
    with nothing searchable gives ``'""'``, which matches no row.
    """
    if not isinstance(user_query, str):
        raise TypeError(f"fts_query expects text, not {type(user_query).__name__}.")
    parts: list[str] = []
    pos = 0
    for m in _QUOTED.finditer(user_query):
        parts.extend(_bare_terms(user_query[pos : m.start()]))
        tokens = _TOKEN.findall(normalise_for_search(m.group(1)))
        if tokens:
            parts.append(_fts_string(tokens))
        pos = m.end()
    parts.extend(_bare_terms(user_query[pos:]))
    # "OR" is only an operator with a term on both sides; anywhere else it is dropped.
    out: list[str] = []
    for part in parts:
        if part == "OR":
            if out and out[-1] != "OR":
                out.append(part)
            continue
        out.append(part)
    while out and out[-1] == "OR":
        out.pop()
    return " ".join(out) if out else '""'


def _bare_terms(chunk: str) -> list[str]:
    terms: list[str] = []
    for word in chunk.split():
        if word == "OR":
            terms.append("OR")
            continue
        tokens = _TOKEN.findall(normalise_for_search(word))
        if tokens:
            # Several tokens from one word ("wa.me/90501") must stay together, as a phrase.
            terms.append(_fts_string(tokens) + "*")
    return terms


# Emoji, symbols, punctuation and numbers are set aside for similarity: reposted adverts swap
# the phone number, price and emoji while the wording stays.
def _similarity_char(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat[0] in "LM" or ch == " ":
        return ch
    return " "


def normalise_for_similarity(text: str) -> str:
    """Return ``text`` reduced to its wording for near-duplicate comparison.

    Search normalisation, then digits, numbers, emoji, symbols and punctuation become spaces and
    whitespace is collapsed.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise_for_similarity expects text, not {type(text).__name__}.")
    base = _base(text)
    kept = "".join(_similarity_char(ch) for ch in base)
    return _WS.sub(" ", kept).strip()


def shingles(text: str, k: int = 5) -> set[str]:
    """Character ``k``-shingles of the similarity-normalised text.

    Characters rather than words, so Arabic words with attached prefixes and Latin words with
    OCR slips still share most shingles. Text shorter than ``k`` gives itself as one shingle;
    text with no wording gives an empty set.
    """
    if k < 1:
        raise ValueError(f"Shingle size must be at least 1, not {k}.")
    norm = normalise_for_similarity(text)
    if not norm:
        return set()
    if len(norm) <= k:
        return {norm}
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}
