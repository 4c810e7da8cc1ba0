"""A cheap language guess for post text: script first, then a few telling words.

Good enough to route OCR and to facet items; it is a guess and is stored as one.
"""

from __future__ import annotations

import re

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc\u06f0-\u06f9]")  # پ چ ژ گ ک ی ۰-۹
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_WORDS = {
    "fr": {"le", "la", "les", "des", "et", "pour", "avec", "départ", "prix", "bateau", "une",
           "est", "vers", "chaque", "places"},
    "tr": {"ve", "bir", "için", "ile", "fiyat", "tekne", "gidiş", "hareket", "kişi", "bu",
           "yer", "her", "günü", "ara"},
    "en": {"the", "and", "for", "with", "price", "boat", "departure", "every", "call", "to",
           "from", "places", "contact", "now"},
}
_TR_LETTERS = re.compile("[ğışĞİŞ]")


def guess_language(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic == 0 and latin == 0:
        return None
    if arabic >= latin:
        return "fa" if len(_PERSIAN_ONLY.findall(text)) >= 2 else "ar"
    words = set(re.findall(r"[^\W\d_]+", text.lower()))
    scores = {lang: len(words & vocab) for lang, vocab in _WORDS.items()}
    if _TR_LETTERS.search(text):
        scores["tr"] += 2
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "en"
