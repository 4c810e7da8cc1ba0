"""Selectors: the phone numbers, WhatsApp and Telegram links, handles, emails, URLs and prices
that identify who is behind an advert.

Owns finding them in text (``find_selectors``) and in OCR output (``find_selectors_in_ocr``,
which also mends numbers that OCR wrapped across two lines or returned in visual order inside a
right-to-left line). Phone numbers are found and validated by the ``phonenumbers`` library and
given as E.164.

Ambiguous national numbers: a number written without a country code is tried in every hinted
region. If it is valid in exactly one, that one is taken. If it is valid in several, a mobile
reading wins over a fixed-line one (adverts give WhatsApp numbers, and Italian fixed lines keep
their leading 0, so "0912 345 6789" would otherwise read as Italian before Iranian), then the
first by hint order (callers put the case's likeliest region first); the other readings are kept
in ``Selector.alternatives``, so a link or a reviewer can still see them. ``region_hints`` orders
the hints for one item from what it shows: its language or script (Persian -> AF, IR, IQ) and the
countries of the international numbers beside the national one (+218 -> LY), since an Afghan
"070..." number is also a valid Moroccan mobile.

One item alone often cannot tell (a French "06 12 34 56 19" is also a Moroccan mobile, and a
French advert gives no language hint); the case can. ``resolve_case_regions`` settles such
numbers across every item of a case: a reading the case shows in international form elsewhere
wins. It works from what the store keeps (value and ``shown``, see ``phone_readings``), so the
``analyse`` pipeline can settle older items again when a later import shows the number with its
country code. The same evidence lets ``find_selectors_in_ocr`` mend a wrapped national number
without a trunk 0 (``confirmed``), which it refuses on one item's word.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

if TYPE_CHECKING:
    from analysis.ocr import OcrResult

__all__ = ["DEFAULT_REGIONS", "KINDS", "LANGUAGE_REGIONS", "SEEN_INTERNATIONAL",
           "CaseChoice", "CasePhone", "Selector", "find_selectors",
           "find_selectors_in_ocr", "phone_readings", "region_hints", "resolve_case_regions",
           "seen_in_international_form"]

DEFAULT_REGIONS: tuple[str, ...] = (
    "TR", "LY", "TN", "EG", "MA", "DZ", "IT", "GR", "ES", "FR", "GB", "IR", "AF", "IQ", "SY", "PK",
)

# Where national numbers in adverts of each language are most likely from: Persian and Dari
# adverts are Afghan or Iranian, or Iraqi (the route through Iraq; an Iraqi "0791..." is also a
# valid British mobile, and Britain is where the boats go, not where the sellers are), Turkish
# ones Turkish, Arabic ones from an Arabic-speaking
# country before a European one (which one, the other numbers of the item decide). French and
# English are spoken on too many routes to say.
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "fa": ("AF", "IR", "IQ"),
    "tr": ("TR",),
    "ar": ("LY", "TN", "EG", "MA", "DZ", "IQ", "SY"),
}

KINDS = ("phone", "whatsapp", "telegram", "handle", "email", "url", "price")

Box = tuple[int, int, int, int]


@dataclass
class Selector:
    kind: str  # one of KINDS
    value: str  # E.164 for phone/whatsapp, "@name" for telegram/handle, "1500 EUR" for price
    shown: str  # exactly as in the text
    found_in: str  # "text", "ocr", ...
    span: tuple[int, int]  # start, end in the text searched
    boxes: list[Box] | None = None  # OCR word boxes, original image pixels
    alternatives: list[str] = field(default_factory=list)  # other readings (other regions)
    note: str = ""  # how it was found when that was not plain reading


# -- normalising with a map back to the original text ------------------------------------------

_DIGITS = {cp: str(i) for i in range(10) for cp in (0x0660 + i, 0x06F0 + i)}
_SPACES = "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u3000"
_DROP = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" \
    "\u061c\ufeff"
_MAP = {
    **{chr(cp): d for cp, d in _DIGITS.items()},
    **{c: " " for c in _SPACES},
    "\u060c": ",",  # Arabic comma stays a list separator, never glue between groups
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\uff0b": "+",
}


def _normalise(text: str) -> tuple[str, list[int]]:
    """Latin digits, plain spaces and dashes, bidi marks dropped; ``index[i]`` is where the
    i-th normalised character came from (with one extra entry for the end)."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DROP:
            continue
        out.append(_MAP.get(ch, ch))
        index.append(i)
    index.append(len(text))
    return "".join(out), index


def _orig_span(index: list[int], start: int, end: int) -> tuple[int, int]:
    return index[start], index[end - 1] + 1 if end > start else index[start]


# -- phone numbers ----------------------------------------------------------------------------

# Things phonenumbers can take for numbers in some region but that are not: dates, times,
# years next to months.
_DATE = re.compile(r"^\(?\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\)?$")
_TIME = re.compile(r"\d{1,2}:\d{2}")

_CURRENCY = (
    r"€|\$|£|₺|euros?|eur|usd|dollars?|gbp|pounds?|lira|lire|tl|try|دولار|یورو|يورو|ليرة|لیر"
)
# Only on the same line: OCR puts a price line right under a phone number, and a price line
# right above one ("4.750 دولار" / "+9647912345632"), so the end is \Z: "$" also matches before
# a final line break.
_CURRENCY_NEAR = re.compile(rf"^[ \t]*(?:{_CURRENCY})(?![a-z])", re.I)
_CURRENCY_BEFORE = re.compile(rf"(?:{_CURRENCY})[ \t]*\Z", re.I)


_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Number ranges no advert gives as a contact; written without a country code they are far more
# often a count or a misread fragment ("895 127") that some region's plan happens to allow.
_NOT_CONTACT = (
    phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN, phonenumbers.PhoneNumberType.VOICEMAIL,
    phonenumbers.PhoneNumberType.PAGER,
)


@dataclass
class _Phone:
    start: int
    end: int
    e164: str
    alternatives: list[str]


def _looks_like_other_number(norm: str, start: int, end: int) -> bool:
    raw = norm[start:end].strip()
    if _DATE.match(raw) or _TIME.search(raw):
        return True
    return bool(_CURRENCY_NEAR.match(norm[end:end + 12])) or bool(
        _CURRENCY_BEFORE.search(norm[max(0, start - 12):start])
    )


def _is_international(raw: str) -> bool:
    return raw.lstrip("([ ").startswith(("+", "00"))


# The gap before a "00" group, or before a whole national number with its trunk 0 in one
# group ("+964 791 234 5603 0701234538"); a "+" between digit groups that trails the first.
_BEFORE_00 = re.compile(r"(?<=\d)[ .\-/]+(?=00[1-9]\d|0[1-9]\d{8,}(?!\d))"
                        r"|(?<=\d)\+(?=[ .\-/]+\d)")


_CODE_THEN_GROUP = re.compile(r"00\d+[ .\-/]+\d")


def _broken(norm: str, breaks: list[re.Match]) -> str:
    """``norm`` with each break's characters made a mark no number runs through."""
    cut = list(norm)
    for m in breaks:
        cut[m.start():m.end()] = "|" * (m.end() - m.start())
    return "".join(cut)


def _match_phones(norm: str, regions: Sequence[str]
                  ) -> list[tuple[int, int, str, tuple[bool, int], bool]]:
    """phonenumbers' valid matches in every hinted region: (start, end, E.164, rank (not
    mobile, hint order), international)."""
    found = []
    for rank, region in enumerate(regions):
        for m in PhoneNumberMatcher(norm, region, leniency=Leniency.VALID):
            if _looks_like_other_number(norm, m.start, m.end):
                continue
            e164 = phonenumbers.format_number(m.number, PhoneNumberFormat.E164)
            kind = phonenumbers.number_type(m.number)
            intl = _is_international(m.raw_string)
            if kind in _NOT_CONTACT and not intl:
                continue
            if intl and m.start > 0 and norm[m.start - 1].isdigit() and m.raw_string[0] == "+":
                continue  # "964+ 91...": a "+" after digits ends the number before it (RTL)
            found.append((m.start, m.end, e164, (kind not in _MOBILE, rank), intl))
    return found


def _find_phones(norm: str, regions: Sequence[str]) -> list[_Phone]:
    """Every valid phone number in normalised text, overlapping readings merged."""
    if not re.search(r"\d{2}", norm):
        return []
    # start, end, e164, rank (not mobile, hint order), international
    found = _match_phones(norm, regions)
    # A "+" ends the number before it, but "00" does not, so "20 123 407 0033 6 12 34 56 20"
    # (a national number, then one with its country code) is one run that is no number.
    # Where no number crosses the gap before a "00" group or a whole national number in one
    # group, the gap is read as a break; so is a "+" trailing a number's digits (a
    # right-to-left line in visual order: "964-791-234-5603+ ۰۷۰ ۱۲۳ ۴۵۳۸"), which would
    # otherwise lead the next number's groups.
    # A break holds where a number starts right after it, or a "00" country code with a
    # group after it (the start of a number wrapped to the next line: "0039 312"). In a
    # right-to-left line in visual order the "00" group ends the reversed groups ("51 234
    # 501 0090" for "0090 501 234 51"), and a break there would leave their first groups as
    # a number of their own.
    breaks = [m for m in _BEFORE_00.finditer(norm)
              if not any(f[0] < m.start() and m.end() < f[1] for f in found)]
    if breaks:
        starts = {f[0] for f in _match_phones(_broken(norm, breaks), regions)}
        breaks = [m for m in breaks
                  if len(norm) - len(norm[m.end():].lstrip(" .-/")) in starts
                  or _CODE_THEN_GROUP.match(norm, m.end())]
    if breaks:
        for f in _match_phones(_broken(norm, breaks), regions):
            crossed = [g for g in found if f[0] < g[1] and g[0] < f[1]]
            # A national reading inside an international number the break let through
            # ("0 3 0020 10 01234574": the "01234574" of "+20 10 0123 4574") is part of it.
            if not crossed or (f[4] and all(not g[4] and f[0] <= g[0] and g[1] <= f[1]
                                            for g in crossed)):
                found.append(f)
    # The matcher cuts candidates differently per region ("0701234559 0501 23455 91" yields
    # the second number in IT but not in TR), so a national number found in one region is
    # read in every hinted region too.
    seen = {(f[0], f[1], f[2]) for f in found}
    for start, end in sorted({(f[0], f[1]) for f in found if not f[4]}):
        piece = norm[start:end]
        for rank, region in enumerate(regions):
            for m in PhoneNumberMatcher(piece, region, leniency=Leniency.VALID):
                e164 = phonenumbers.format_number(m.number, PhoneNumberFormat.E164)
                kind = phonenumbers.number_type(m.number)
                if (m.start, m.end) != (0, len(piece)) or (start, end, e164) in seen \
                        or kind in _NOT_CONTACT:
                    continue
                seen.add((start, end, e164))
                found.append((start, end, e164, (kind not in _MOBILE, rank), False))
    found.sort(key=lambda f: (f[0], -f[1]))
    phones: list[_Phone] = []
    group: list[tuple[int, int, str, tuple[bool, int], bool]] = []

    def flush() -> None:
        if not group:
            return
        intl = [g for g in group if g[4]]
        pool = intl or group
        # International numbers mean the same everywhere; national ones go by hint order.
        pool.sort(key=lambda g: (g[3], -(g[1] - g[0])))
        best = pool[0]
        alts: list[str] = []
        for g in sorted(pool, key=lambda g: g[3]):
            if g[2] != best[2] and g[2] not in alts:
                alts.append(g[2])
        phones.append(_Phone(best[0], best[1], best[2], alts))

    for f in found:
        if group and f[0] >= max(g[1] for g in group):
            flush()
            group = []
        group.append(f)
    flush()
    return phones


_ARABIC_SCRIPT = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_PERSIAN_LETTER = re.compile("[\u067e\u0686\u0698\u06af\u06f4-\u06f6]")  # پ چ ژ گ ۴ ۵ ۶
_TURKISH_LETTER = re.compile("[ğışĞİŞ]")
_INTERNATIONAL = re.compile(r"(?:\+|\b00)\s?[1-9]")
_ARABIC_WORD = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u200c]+")
# Common short words of each language. The Arabic and Persian OCR models read together often
# give a Persian text Arabic letter forms (ي for ی, ج for چ), so letters alone do not tell the
# two apart; the small words do, compared after folding ي ى ك to the Persian forms.
_FA_WORDS = frozenset(
    "از به برای با است می را این که ما داریم هست نیست هم یا تا هر یک شما بگیرید کنید قیمت "
    "تومان افغانی روز شب جا".split())
_AR_WORDS = frozenset(
    "من فی علی الی إلی عن مع کل فقط هذا هذه التی الذی او أو ثم قد نحن اتصل لدینا یوجد".split())
_FOLD = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9",
                       "\u0623": "\u0627", "\u0625": "\u0627", "\u200c": " "})


def _script_language(text: str) -> str | None:
    """"fa", "ar" or "tr" when the text's letters and small words say so, else None."""
    words = " ".join(_ARABIC_WORD.findall(text)).translate(_FOLD).split()
    # Several different words: app chrome read as Arabic letters ("لا لا لا" for reaction
    # icons) repeats one short word.
    if len({w for w in words if len(w) >= 2}) >= 3:
        fa = sum(w in _FA_WORDS for w in words) + len(_PERSIAN_LETTER.findall(text)) / 2
        fa += 2 * text.count("\u200c")  # the zero-width non-joiner of "می‌شود", "ها"
        ar = sum(w in _AR_WORDS for w in words) + sum(
            w.startswith(("\u0627\u0644", "\u0644\u0644")) and len(w) >= 4 for w in words)
        return "fa" if fa > ar else "ar"
    if len(_TURKISH_LETTER.findall(text)) >= 2:
        return "tr"
    return None


def region_hints(
    text: str, language: str | None = None, base: Sequence[str] = DEFAULT_REGIONS
) -> tuple[str, ...]:
    """``base`` reordered for one item, with nothing added or dropped: first the countries of
    the international numbers in ``text`` (most frequent first), then the regions of its
    language (``language`` when given, else guessed from the script of ``text``, see
    ``LANGUAGE_REGIONS``), then the rest in ``base`` order."""
    if not isinstance(text, str):
        raise TypeError(f"region_hints expects text, not {type(text).__name__}.")
    regions = _check_regions(base)
    norm, _ = _normalise(text)
    counts: dict[str, int] = {}
    if _INTERNATIONAL.search(norm):
        for m in PhoneNumberMatcher(norm, "ZZ", leniency=Leniency.VALID):
            region = phonenumbers.region_code_for_number(m.number)
            if region in regions:
                counts[region] = counts.get(region, 0) + 1
    lang = (language or "").lower()[:2] or _script_language(text)
    first = sorted(counts, key=lambda r: -counts[r])
    first += [r for r in LANGUAGE_REGIONS.get(lang or "", ()) if r in regions and r not in first]
    return tuple(first + [r for r in regions if r not in first])


# -- links, handles, emails, urls, prices -------------------------------------------------------

_WA_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:wa\.me/|(?:api\.|web\.)?whatsapp\.com/send/?\?(?:[^\s#]*?&)?phone=)"
    r"(\+?[\d \t-]{7,20}\d)",  # never across a line break: OCR puts other numbers there
    re.I,
)
_TG_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?!joinchat|\+)"
    r"([A-Za-z][A-Za-z0-9_]{3,31})\b",
    re.I,
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)
_HANDLE = re.compile(r"(?<![\w.@/])@([A-Za-z][A-Za-z0-9_.]{2,30}[A-Za-z0-9_])")
_TLDS = (
    "com|net|org|info|biz|me|io|co|ly|tr|it|gr|fr|uk|ir|af|iq|sy|pk|eg|ma|dz|tn|es|de|eu|app|link"
)
_URL = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"'،]+"
    rf"|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:{_TLDS})(?:/[^\s<>\"'،]*)?(?![\w@])",
    re.I,
)
_URL_TRAIL = ".,;:!?)]}'\"»،"

# Amounts up to seven digits, and the currency on the same line: a phone number above a
# line that starts with "€" is no price.
_NUM = r"\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d{1,2})?|\d{1,7}(?:[.,]\d{1,2})?"
_PRICE = re.compile(
    rf"(?P<cur1>€|\$|£|₺|(?:eur|usd|gbp|tl)(?![a-z])) ?(?P<num1>{_NUM})(?!\d)"
    rf"|(?<![\d.,+])(?P<num2>{_NUM}) ?(?P<cur2>{_CURRENCY})(?![a-z\u0621-\u064a\u06a9-\u06cc])",
    re.I,
)
_CURRENCY_CODE = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "یورو": "EUR", "يورو": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "دولار": "USD",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "₺": "TRY", "tl": "TRY", "try": "TRY", "lira": "TRY", "lire": "TRY", "ليرة": "TRY",
    "لیر": "TRY",
}


def _amount(num: str) -> str:
    num = num.replace(" ", "").replace("'", "")
    # A separator followed by exactly three digits groups thousands; otherwise it is decimal.
    parts = re.split(r"[.,]", num)
    if len(parts) > 1 and len(parts[-1]) != 3:
        whole, frac = "".join(parts[:-1]), parts[-1]
    else:
        whole, frac = "".join(parts), ""
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def find_selectors(
    text: str, found_in: str = "text", region_hints: Sequence[str] = DEFAULT_REGIONS
) -> list[Selector]:
    """All selectors in ``text``, in order of position; spans index ``text`` itself."""
    if not isinstance(text, str):
        raise TypeError(f"find_selectors expects text, not {type(text).__name__}.")
    regions = _check_regions(region_hints)
    norm, index = _normalise(text)
    found: list[Selector] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, value: str, start: int, end: int, **extra) -> None:
        o0, o1 = _orig_span(index, start, end)
        found.append(Selector(kind, value, text[o0:o1], found_in, (o0, o1), **extra))
        taken.append((start, end))

    for m in _WA_LINK.finditer(norm):
        # A count or a time on the same line may follow the link: drop trailing groups
        # until the number is valid.
        groups = re.findall(r"[\d-]+|\s+", m.group(1))
        e164, end = None, m.end()
        while groups and not e164:
            e164 = _valid_international(re.sub(r"\D", "", "".join(groups)))
            if not e164:
                groups.pop()
                while groups and groups[-1].isspace():
                    groups.pop()
        if e164:
            end = m.start(1) + len("".join(groups))
            add("whatsapp", e164, m.start(), end)
        else:
            taken.append((m.start(), m.end()))  # a broken number in a link is not a phone
    for m in _TG_LINK.finditer(norm):
        if not _overlaps(m.span(), taken):
            add("telegram", "@" + m.group(1).lower(), m.start(), m.end())
    for m in _EMAIL.finditer(norm):
        if not _overlaps(m.span(), taken):
            add("email", m.group(0).lower(), m.start(), m.end())
    for m in _URL.finditer(norm):
        start, end = m.span()
        while end > start and norm[end - 1] in _URL_TRAIL:
            end -= 1
        if end > start and not _overlaps((start, end), taken):
            add("url", _url_value(norm[start:end]), start, end)
    for m in _HANDLE.finditer(norm):
        if not _overlaps(m.span(), taken):
            add("handle", "@" + m.group(1).lower().rstrip("."), m.start(), m.end())
    for m in _PRICE.finditer(norm):
        if _overlaps(m.span(), taken):
            continue
        num = m.group("num1") or m.group("num2")
        cur = (m.group("cur1") or m.group("cur2")).lower()
        add("price", f"{_amount(num)} {_CURRENCY_CODE[cur]}", m.start(), m.end())
    for p in _find_phones(_part_digit_scripts(text, norm, index), regions):
        if not _overlaps((p.start, p.end), taken):
            add("phone", p.e164, p.start, p.end, alternatives=p.alternatives)
    found.sort(key=lambda s: s.span)
    return found


_DIGIT_RUN = re.compile(r"\d+(?:[ \t]+\d+)*")


def _part_digit_scripts(text: str, norm: str, index: list[int]) -> str:
    """``norm`` with a "|" (which no number crosses) for each space between a run of Latin
    digit groups and one of Eastern digit groups when each run is long enough (7 digits) to
    be a number of its own: a number read again by digit shapes stands beside the Latin
    number next to it ("۰۹۱ ۲۳۴۵۶۱۷ 5686 234 791 964+"). Shorter runs stay joined, so that a
    number misread in mixed scripts is still found (and flagged)."""
    out = list(norm)
    for m in _DIGIT_RUN.finditer(norm):
        groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", m.group())]
        # Runs of groups in one script: [start group, end group, digits].
        runs: list[list[int]] = []
        for k, (a, b) in enumerate(groups):
            latin = text[index[m.start() + a]].isascii()
            if runs and runs[-1][3] == latin:
                runs[-1][1] = k
                runs[-1][2] += b - a
            else:
                runs.append([k, k, b - a, latin])
        for left, right in zip(runs, runs[1:], strict=False):
            if left[2] >= 7 and right[2] >= 7:
                gap = (m.start() + groups[left[1]][1], m.start() + groups[right[0]][0])
                out[gap[0]:gap[1]] = "|" * (gap[1] - gap[0])
    return "".join(out)


def _check_regions(region_hints: Sequence[str]) -> list[str]:
    if isinstance(region_hints, str):
        region_hints = [region_hints]
    regions = [r.upper() for r in region_hints]
    supported = phonenumbers.SUPPORTED_REGIONS
    bad = [r for r in regions if r not in supported]
    if bad:
        raise ValueError(f"Unknown region code(s) for phone numbers: {', '.join(bad)}.")
    return regions or ["ZZ"]


def _valid_international(digits: str) -> str | None:
    digits = digits[2:] if digits.startswith("00") else digits
    try:
        num = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def _url_value(url: str) -> str:
    value = re.sub(r"^https?://", "", url, flags=re.I).lower()
    value = re.sub(r"^www\.", "", value)
    return value.rstrip("/")


# -- OCR ----------------------------------------------------------------------------------------

_GROUP = re.compile(r"^[(\[]?\+?\d+(?:[-.]\d+)*\+?[)\]]?[-.]?$")
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
# The counts under a post ("06 557 83 comments"): what stands before these words is no contact.
_COUNT_WORDS = (r"(?:comments?|shares?|likes?|views?|reactions?|commentaires?|partages?|yorum|"
                r"paylaşım|تعليق|تعليقات|مشاركة|مشاركات|نظر|اشتراک)\b")
_COUNT_WORD = re.compile(rf"^[ \t]*{_COUNT_WORDS}", re.I)
# The line of counts itself ("60 2.8K 405 comments 189 shares"): its first group is a reaction
# icon or a count, never the rest of a number wrapped from the caption above it.
_COUNT_LINE = re.compile(rf"\d[ \t]*{_COUNT_WORDS}", re.I)


@dataclass
class _Token:
    start: int  # in the joined OCR text
    end: int
    norm: str
    box: Box
    conf: float = 100.0  # Tesseract's word confidence; second readings have none
    raw: str = ""  # as read, when it differs from ``norm`` only by normalising


def find_selectors_in_ocr(
    ocr: OcrResult, region_hints: Sequence[str] = DEFAULT_REGIONS,
    confirmed: Collection[str] = (),
) -> list[Selector]:
    """Selectors in OCR output, with ``found_in="ocr"`` and the boxes of the words they came
    from. Spans index ``ocr.text``. Beyond plain reading it mends two OCR habits, and keeps a
    mended number only when it is a valid phone number:

    * a number wrapped across two lines: the trailing digit groups of one line are joined to
      the leading digit groups of the next line, or of the line right below it on the image;
      in a right-to-left line the groups may stand at either end and in either order;
    * a number inside a right-to-left line whose digit groups came back in visual order
      ("78 56 234 501 90+"): the groups are read in reverse when the line has Arabic-script
      letters or the plus sign trails (a lone group too: "20.10.01234502+");
    * two numbers side by side on one line ("00218 91-2345626 691 234 5846", "07400123494 312
      345 6852"), or on the second line of a wrapped one ("Info +218" / "91-2345626 691 234
      5846", "Infos 06 50 12" / "34 10 +33 6 12 34 56 76"), in a right-to-left paragraph
      too, where the first pass gives both lines in visual order ("اطلاعات 964+" / "4538
      123 70 0093 5603 234 791").

    A run of groups in Latin digits beside groups in Eastern digits is read as two numbers; a
    group mixing the two scripts ("۰.۹1۲") is never mended into a number; a mark with no
    letter or digit at a line's end ("+90 501 _") does not stop a wrap; when a line's
    second reading and its first pass differ in one digit, the case's number breaks the tie;
    when the first pass gives the first line of a wrapped right-to-left number in visual
    order ("912 98+"), its second line is read in visual order first ("6436 345"); and a
    national number in a line's second reading is no number of its own when a mended number
    already uses every group of that line and the second reading has them all ("1345 6436").

    National readings followed by the counts under a post ("06 557 83 comments") are dropped,
    the line of counts is never the rest of a wrapped number, and a national reading with two
    or more one-digit groups ("8 ۲ 3 ١٤١١ ۲ 6": icons and a status bar) is dropped, and so is
    a plain or mended reading that uses a word with Eastern digits whose ink matched no digit
    shape (``settings["digit_doubts"]`` of ``ocr_image``: "۴۵۸۶" misread "۲۵۸۲"). A doubtful
    reading gives nothing rather than a guess: a plain national number in Latin digits that
    the line's English re-read does not show (reaction icons read "0609 148", re-read "@®
    148"), and a plain national number standing after a "00" or "+" group that no number
    uses ("۰۰۳۰ ۱۰ ۰۱۲۳۴۵۷۴": a misread country code) are dropped too. The rest of a wrapped
    right-to-left number is looked for in one digit script at either end of the second line
    ("للاستفسار ۰۱۰" / "+20 10 01234574 ۰۱۲۳۴۵۵۰"), and at the end of a second line with no
    Arabic letter that starts with a link ("للاستفسار 20+" / "wa.me/201001234574 01234550
    10"). A line's English re-read adds no rival of a number the first pass read surely with
    its country code on the same digits ("0039 312 345 6726" re-read "0039 312 3455726").

    A "+" glued to its country code that came back as a "4" ("490-501-234-54-65") is read as
    the "+" where the word (its digits, or groups joined by dots or dashes) then makes a
    number of one of the hinted regions.

    A mended number must use every group, end with a group of two or more digits ("70 34 12
    50 6" after "00212" is read the other way), be valid, and begin with "+", "00", or a
    trunk "0" followed by at least nine more digits; or, when it has none of these (an
    Italian "312" / "345 6852"), be one of ``confirmed``: the numbers the case shows in
    international form (``seen_in_international_form``), since a year or a price mends to a
    valid number too.
    """
    regions = _check_regions(region_hints)
    lines, text = _ocr_lines(ocr)
    if not lines:
        return find_selectors(ocr.text, "ocr", regions)
    found = find_selectors(text, "ocr", regions)
    all_tokens = [t for line in lines for t in line]
    for sel in found:
        sel.boxes = [t.box for t in all_tokens if t.start < sel.span[1] and sel.span[0] < t.end]

    def known(value: str, span: tuple[int, int]) -> bool:
        return any(
            s.value == value or (s.span[0] < span[1] and span[0] < s.span[1]) for s in found
            if s.kind in ("phone", "whatsapp")
        )

    def known_value(value: str, span: tuple[int, int]) -> bool:
        # Groups read in visual order interleave in the text: the span of a number mended
        # from the end of a line covers the other number on that line, so only the value
        # tells a number already found.
        return any(s.value == value for s in found if s.kind in ("phone", "whatsapp"))

    def try_tokens(tokens: list[_Token], reverse: bool, note: str,
                   ordered: list[_Token] | None = None, by_words: bool = False) -> bool:
        """Mend ``tokens`` read in ``ordered`` order (their own, or reversed with
        ``reverse``); a "+" trailing a group in visual order is put in front of it.
        ``by_words``: a number found already is told by its value or its words, not by the
        span (``_mend_rtl_wrap`` with the rest of the number cut from a line that goes on
        with a number in the other digit script)."""
        explicit = ordered is not None
        if ordered is None:
            ordered = list(reversed(tokens)) if reverse else tokens
        parts = [t.norm for t in ordered]
        if reverse:
            parts = [p[:-1] if p.endswith("+") else p for p in parts]
            if tokens[-1].norm.endswith("+"):
                parts[0] = "+" + parts[0]
        elif explicit:
            parts = ["+" + p[:-1] if p.endswith("+") and "+" not in p[:-1] else p
                     for p in parts]
        candidate = " ".join(parts)
        if len(parts) > 1 and len(re.sub(r"\D", "", parts[-1])) == 1:
            # No one ends a number with a one-digit group: "70 34 12 50 6" after "00212" is
            # "6 50 12 34 70" in the other order, and both are valid Moroccan mobiles.
            return False
        if any(_token_script(t, text) is None for t in tokens):
            # A group mixing Latin and Eastern digits ("۰.۹1۲") is a misread: mended with
            # its neighbours it makes another valid number, not the one written.
            return False
        dialable = _dialable_start(candidate)
        phones = _find_phones(candidate, regions)
        if len(phones) != 1 or phones[0].end - phones[0].start < len(candidate.strip()) - 1:
            return False  # only a reading that uses every group is a mended number
        if not dialable:
            # No "+", "00" or trunk 0 ("312" / "345 6852"): a guess the case must confirm.
            hits = [v for v in [phones[0].e164, *phones[0].alternatives] if v in confirmed]
            if not hits:
                return False
            phones[0] = _Phone(phones[0].start, phones[0].end, hits[0], [])
            note = f"{note}; {CONFIRMED_NOTE}"
        span = (min(t.start for t in tokens), max(t.end for t in tokens))
        # A mended number that uses every group beats a national reading of some of them
        # ("91-2345696 218+" read plainly is a Spanish fixed line), and a national reading of
        # the same number ("20.10.01234502+" without its trailing "+"), which a second
        # reading of the line would otherwise overrule.
        n_digits = sum(ch.isdigit() for ch in candidate)
        for s in [s for s in found if s.kind == "phone" and _national_within(
                s, span, n_digits + (s.value == phones[0].e164))]:
            found.remove(s)
        if by_words:
            # The other number stands between the wrapped number's groups in the text.
            words = {t.box for t in tokens}
            if any(s.value == phones[0].e164 or words & {tuple(b) for b in s.boxes or []}
                   for s in found if s.kind in ("phone", "whatsapp")):
                return True
        elif known(phones[0].e164, span):
            return True
        found.append(Selector(
            "phone", phones[0].e164, text[span[0]:span[1]], "ocr", span,
            boxes=[t.box for t in tokens], alternatives=phones[0].alternatives, note=note,
        ))
        return True

    for t in all_tokens:
        # Tesseract reads a "+" glued to its country code as a "4" ("490-501-234-54-65"):
        # read so, the digits make no number; with the "+", they must make one of a country
        # of the case's routes. Only one word ("4393123456719", "4212.6.50.12.33.75"):
        # groups parted by spaces may be a right-to-left line in visual order ("4903 70123
        # 0093") or a figure before a number ("439 05012345667"), whose "4" is a "4".
        if _PLUS_AS_FOUR.match(t.norm):
            plus = replace(t, norm="+" + t.norm[1:])
            if _region_of(plus.norm) in regions:
                try_tokens([t], reverse=False, note=PLUS_AS_FOUR_NOTE, ordered=[plus])
    alts = _second_readings(ocr, lines)
    for i, line in enumerate(lines):
        line_text = " ".join(t.norm for t in line)
        rtl = bool(_ARABIC_LETTER.search(line_text))
        runs = _digit_runs(line)
        # A lone group with the "+" trailing it ("20.10.01234502+"): the sign moved to the end
        # of the right-to-left run, the digits did not.
        runs += [[t] for t in line if t.norm.endswith("+") and _GROUP.match(t.norm)
                 and not any(t in r for r in runs)]
        for run in runs:
            # In visual order the "+" trails each international number: two numbers side by
            # side ("5686 234 791 964+ 91-2345617 218+") part after each "+".
            # Two numbers side by side in two digit scripts ("54 50 234 0501 ۰۰۹۳ ۷۰ ۱۲۳
            # ۴۵۸۶") part where the script changes: no one writes one number in both.
            for piece in (p for part in _split_after_plus(run)
                          for p in _split_digit_scripts(part, text)):
                if _digits(piece) >= 7 and (rtl or piece[-1].norm.endswith("+")):
                    try_tokens(piece, reverse=True, note="digit groups read in visual order")
            if not rtl and (_is_international(run[0].norm) or _whole_national(run[0].norm)):
                _split_run(run, try_tokens, found, known, text, regions)
            elif not rtl and _trunk(run[0].norm) and not any(
                    s.kind in ("phone", "whatsapp") and s.span[0] < run[-1].end
                    and run[0].start < s.span[1] for s in found):
                # National numbers side by side ("06 50 12 30 11 06 50 12 34 42") that the
                # plain reading took as one run and found nothing in.
                _split_run(run, try_tokens, found, known, text, regions, rest_is_number=True)
        below = [i + 1] if i + 1 < len(lines) else []
        below += [j for j in _lines_below(lines, i) if j not in below]
        paragraph = _paragraph_order(line) if rtl and below else None
        for j in below:
            if _COUNT_LINE.search(" ".join(t.norm for t in lines[j])):
                continue
            # The second reading of either line may hold the groups the first one lost.
            for first in [line] + alts.get(i, []):
                for second in [lines[j]] + alts.get(j, []):
                    whole_tail = _edge_run(first, from_end=True)
                    head = _edge_run(second, from_end=False)
                    # The second line may go on with another number after the wrapped one
                    # ("12 34 28 20123491", "34 10 +33 6 12 34 56 76"): the head may stop
                    # before a long group or before a "+".
                    cuts = [len(head)] + [k for k in range(len(head) - 1, 0, -1)
                                          if _digits(head[k:k + 1]) >= 6
                                          or head[k].norm.lstrip("([").startswith("+")]
                    # A country code starts a number: the first line may end with another
                    # number before the wrapped one ("691 234 5634 0039 312" / "345 6729").
                    tails = [whole_tail] + [whole_tail[k:] for k in range(1, len(whole_tail))
                                            if _is_international(whole_tail[k].norm)]
                    for tail in tails:
                        if _wrap_once(tail, head, cuts, try_tokens, found, known, text,
                                      regions):
                            break
                    if rtl:
                        _mend_rtl_wrap(first, second, try_tokens,
                                       first_pass=first is line and second is lines[j],
                                       paragraph=paragraph,
                                       first_again=first is not line,
                                       second_again=second is not lines[j],
                                       read_rest=lambda rest: _read_rest(
                                           rest, found, known_value, text, regions),
                                       regions=regions, text=text)
    _reconcile(found, ocr, lines, regions, confirmed)
    for sel in [s for s in found if s.kind == "phone" and not _is_international(
            _normalise(s.shown)[0]) and _COUNT_WORD.match(text[s.span[1]:s.span[1] + 16])]:
        found.remove(sel)
    _prefer_local_region(found, lines, regions)
    confs = {t.box: t.conf for t in all_tokens}
    for sel in [s for s in found if s.kind == "phone" and _implausible(s.value)]:
        # A plainly read "+" number from words Tesseract was sure of stays: it was written so.
        low = any(confs.get(tuple(b), 0.0) < _SURE_CONF for b in sel.boxes or [None])
        if sel.note or low or not _is_international(_normalise(sel.shown)[0]):
            found.remove(sel)
    for sel in [s for s in found if s.kind == "phone" and not s.note
                and _scattered_digits(s.shown)]:
        found.remove(sel)
    for sel in [s for s in found if s.kind == "phone" and _short_fixed_line(s)]:
        found.remove(sel)
    doubts = _doubtful_boxes(ocr)
    # A mended number is judged by the marks too: a misread group mended with its
    # neighbours ("۰۱۰" / "۰ ۳ ۰۰۳۰ ۱۰", "٠٠٢٠" read "۰۰۳۰") makes another valid number just
    # as a plain reading does. A second reading is not: it read the ink again.
    for sel in [s for s in found if s.kind == "phone" and "read again" not in s.note
                and _from_doubtful_words(s, all_tokens, text, doubts)]:
        found.remove(sel)
    for sel in [s for s in found if s.kind == "phone" and _unseen_by_second_reading(s, ocr)]:
        found.remove(sel)
    for sel in [s for s in found if s.kind == "phone"
                and _after_unread_prefix(s, lines, found, text)]:
        found.remove(sel)
    for sel in found:
        # The words a number was read from, where it has them: the text between the groups
        # of a right-to-left wrap may hold another number in the other digit script.
        # A second reading is judged by what it read.
        boxes = {tuple(b) for b in sel.boxes or []} if "read again" not in sel.note else set()
        words = " ".join(text[t.start:t.end] for t in all_tokens if t.box in boxes)
        if sel.kind == "phone" and _mixed_digit_scripts(words or sel.shown):
            sel.note = "; ".join(filter(None, [sel.note, _MIXED_NOTE]))
    found.sort(key=lambda s: s.span)
    return found


def _wrap_once(tail: list[_Token], head: list[_Token], cuts: list[int], try_tokens,
               found: list[Selector], known, text: str, regions: Sequence[str]) -> bool:
    """Mend ``tail`` (the groups ending a line) with the leading groups of ``head`` (those
    starting the next), cut after each of ``cuts`` groups; True when a number was made."""
    if not tail or not head:
        return False
    for n in cuts:
        if _digits(tail + head[:n]) >= 8 and try_tokens(
                tail + head[:n], reverse=False, note="number wrapped across two lines"):
            return True
    if _is_international(tail[0].norm):
        before = len(found)
        _wrap_then_number(tail, head, try_tokens, found, known, text, regions)
        return len(found) > before
    return False


def _split_run(run: list[_Token], try_tokens, found: list[Selector], known,
               text: str, regions: Sequence[str], rest_is_number: bool = False) -> None:
    """Two numbers side by side on one line ("00218 91-2345626 691 234 5846"): the matcher
    takes the groups as one invalid run, or a national number from the middle. The longest
    leading groups that make a valid international number are one number, and the groups
    after it are read on their own. ``rest_is_number``: the groups after must make one
    number too (a run of national groups, which a reference number or a date list also is:
    "01 23 45 67 89 10 11")."""
    if try_tokens(run, False, "numbers side by side"):
        return  # one number after all
    # A national number in one group ("07400123494 312 345 6852") may stand alone first.
    for n in range(len(run) - 1, 0 if _whole_national(run[0].norm) else 1, -1):
        if _digits(run[:n]) < 8 or (
                rest_is_number and _rest_number(run[n:], regions) is None) or not try_tokens(
                run[:n], False, "numbers side by side"):
            continue
        _read_rest(run[n:], found, known, text, regions)
        return


def _trunk(group: str) -> bool:
    """A group that starts a national number with its trunk 0 ("06" of "06 50 12 30 11")."""
    digits = re.sub(r"\D", "", group)
    return digits.startswith("0") and not digits.startswith("00")


def _whole_national(group: str) -> bool:
    """A group that is a whole national number with its trunk 0 ("07400123494")."""
    return _trunk(group) and len(re.sub(r"\D", "", group)) >= 10


def _wrap_then_number(tail: list[_Token], head: list[_Token], try_tokens,
                      found: list[Selector], known, text: str, regions: Sequence[str]) -> None:
    """An international number wrapped across two lines whose second line goes on with
    another number ("Info +218" / "91-2345626 691 234 5846"): the fewest leading groups of
    the second line that complete the first number, and the groups after them read on their
    own, as two numbers side by side on one line are. Both must be valid: a stray digit
    after a number cut short ("0033 6 12 34 56 9" / "4 ۴") is no second number."""
    for n in range(1, len(head)):
        if (_digits(tail + head[:n]) >= 8 and _rest_number(head[n:], regions) is not None
                and try_tokens(tail + head[:n], False, "number wrapped across two lines")):
            _read_rest(head[n:], found, known, text, regions)
            return


def _rest_number(rest: list[_Token], regions: Sequence[str]) -> _Phone | None:
    """The one valid number that ``rest`` makes using every group, if any."""
    if _digits(rest) < 7:
        return None
    piece = " ".join(t.norm for t in rest)
    phones = _find_phones(piece, regions)
    if len(phones) == 1 and phones[0].end - phones[0].start >= len(piece) - 1:
        return phones[0]
    return None


def _read_rest(rest: list[_Token], found: list[Selector], known, text: str,
               regions: Sequence[str]) -> None:
    """The groups after a number on its line, read on their own: kept when they make one
    valid number that uses every group."""
    phone = _rest_number(rest, regions)
    if phone is None:
        return
    # Groups taken in visual order come last to first.
    span = (min(t.start for t in rest), max(t.end for t in rest))
    if not known(phone.e164, span):
        found.append(Selector(
            "phone", phone.e164, text[span[0]:span[1]], "ocr", span,
            boxes=[t.box for t in rest], alternatives=phone.alternatives,
            note="numbers side by side"))


def _lines_below(lines: list[list[_Token]], i: int) -> list[int]:
    """The lines that stand right below line ``i`` on the image: Tesseract's line order
    follows its blocks, and the rest of a wrapped caption line may come back in another
    block, far from it in the text."""
    box = _line_box(lines[i])
    height = box[3] - box[1]
    out = []
    for j, line in enumerate(lines):
        other = _line_box(line)
        gap = other[1] - box[3]
        if j != i and -0.3 * height <= gap <= 0.8 * height \
                and other[0] < box[2] and box[0] < other[2] \
                and other[3] - other[1] <= 2 * height and other[1] > box[1]:
            out.append(j)
    return out


def _mend_rtl_wrap(first: list[_Token], second: list[_Token], try_tokens,
                   first_pass: bool = False, read_rest=None,
                   regions: Sequence[str] = (), text: str = "",
                   paragraph: str | None = None, first_again: bool = False,
                   second_again: bool = False) -> None:
    """A number wrapped at the end of a right-to-left line: its groups stand at the line's
    visual left, and Tesseract returns them at either end of the line, in visual or logical
    order ("واتساب 10 20+" / "01234502" is "+20 10 01234502"). Each way of reading the last
    groups of the first line and the first groups of the second is tried; ``try_tokens``
    keeps only a valid number that uses every group. ``first_pass``: both lines are the first
    pass's, which reads every line of a right-to-left paragraph in one order.

    When no way uses every group, the second line may go on with another number after the
    wrapped one ("اطلاعات 964+" / "4538 123 70 0093 5603 234 791": "+964 791 234 5603" and
    "0093 70 123 4538"): in each order, the fewest leading groups of the second line that
    complete the first number, with the groups after them one valid number of their own
    (``read_rest``), as ``_wrap_then_number`` does for a left-to-right line."""
    tails = [_edge_run(first, from_end=True), _edge_run(first, from_end=False)]
    # The first line may hold another number before the wrapped one ("+90 501 234 56 61 +90
    # 501 234" / "50 57"): a country code starts a number, in logical order where it leads
    # its groups, in visual order where its "+" trails them ("234 501 90+ 61 56 234 501 90+").
    whole = len(tails)
    tails += [t[k:] for t in list(tails) for k in range(1, len(t))
              if _is_international(t[k].norm)]
    tails += [t[:k + 1] for t in list(tails[:whole]) for k in range(len(t) - 1)
              if t[k].norm.endswith("+") and _GROUP.match(t[k].norm)]
    heads = [_edge_run(second, from_end=False)]
    if _ARABIC_LETTER.search(" ".join(t.norm for t in second)):
        heads.append(_edge_run(second, from_end=True))
    latin_end = len(heads)
    if latin_end == 1 and not heads[0]:
        # A second line with no Arabic letter still stands in the right-to-left paragraph:
        # its logical start is at its visual right, the end of the line as read
        # ("للاستفسار 20+" / "wa.me/201001234574 01234550 10" for "+20 10 01234550"). The
        # link between the groups in the text is another selector, so the mend is told from
        # numbers found already by value or words, not span. One digit script throughout:
        # a label's lone digit ("Contact 2") is no part of an Eastern number.
        heads.append(_edge_run(second, from_end=True))
    # A second line that goes on with a number in the other digit script ("+20 10 01234574
    # ۰۱۲۳۴۵۵۰" under "للاستفسار ۰۱۰"): no one writes one number in both, so the wrapped
    # number's rest is the groups at either end of the run in one script. Heads from
    # ``latin_end`` on are told from numbers found already by value or words.
    for cut in [_one_script_edge(h, text, from_end) for h in list(heads)
                for from_end in (False, True)]:
        if cut and cut not in heads:
            heads.append(cut)
    for n_tail, tail in enumerate(tails):
        for h, head in enumerate(heads):
            if not tail or not head or _digits(tail + head) < 8:
                continue
            if h == latin_end and len({_token_script(t, text) for t in tail + head}) != 1:
                continue
            orders = [list(reversed(tail)) + head, list(reversed(tail)) + head[::-1],
                      tail + head[::-1], tail + head]
            # The first pass gives both lines of a paragraph in one order: when its first
            # line shows visual order (the "+" trails: "912 98+"), its second line is read
            # reversed first ("6436 345": "+98 912 345 6436"; "+98 912 6436 345" is valid
            # too). A second reading of the second line (one Latin model, left to right)
            # gives the groups in their own order, so it is read as it stands first.
            # When its first line shows logical order (the country code leads: "+212 6 50
            # 12" / "33 75"), the second line is read as it stands before reversed.
            if first_pass and _visual_order(tail):
                orders = [orders[1], orders[0], *orders[2:]]
            elif first_pass and _logical_order(tail):
                orders = [*orders[:2], orders[3], orders[2]]
            # ``paragraph``: the order the first pass gave the first line in. A line read
            # again (one Latin model, left to right) is in logical order whatever the first
            # pass did, so each line's groups are taken in the order its reader gave them
            # first ("+90 501 234" read again / "50 57" read again: as they stand).
            tail_rev = False if first_again else _REVERSED.get(paragraph)
            head_rev = False if second_again else _REVERSED.get(paragraph)
            if tail_rev is not None and head_rev is not None:
                pref = ((tail[::-1] if tail_rev else tail) + (head[::-1] if head_rev else head))
                orders = [pref] + [o for o in orders if o != pref]
            for order in orders:
                # A tail cut from a line holding another number shares the line's span
                # with it (a line read again has one span): told by value or words.
                if try_tokens(tail + head, False, "number wrapped across two lines",
                              ordered=order, by_words=h >= latin_end or n_tail >= whole):
                    return
    if read_rest is None:
        return
    for tail in tails:
        for head in heads:
            if not tail or len(head) < 2:
                continue
            for lead in (list(reversed(tail)), tail):
                # A "+" trailing the first line's groups, even a lone one ("964+"), says the
                # first pass gave that paragraph in visual order.
                if first_pass and tail[-1].norm.endswith("+"):
                    rest_orders = [head[::-1], head]
                else:
                    rest_orders = [head, head[::-1]]
                for ordered_head in rest_orders:
                    for n in range(1, len(ordered_head)):
                        used, rest = ordered_head[:n], ordered_head[n:]
                        if (_digits(lead + used) >= 8
                                and _rest_number(rest, regions) is not None
                                and try_tokens(lead + used, False,
                                               "number wrapped across two lines",
                                               ordered=lead + used)):
                            read_rest(rest)
                            return


_REVERSED = {"visual": True, "logical": False}


def _paragraph_order(line: list[_Token]) -> str | None:
    """The order the first pass gave a right-to-left line's digit groups in: "visual" when a
    "+" trails a group ("234 501 90+") or the run ends with the "00" country code, "logical"
    when a country code leads its groups ("+212 6 50 12"), else None."""
    runs = [_edge_run(line, from_end=True), _edge_run(line, from_end=False)]
    if any(_visual_order(r) for r in runs) or any(
            _GROUP.match(t.norm) and t.norm.endswith("+") and "+" not in t.norm[:-1]
            and any(ch.isdigit() for ch in t.norm) for t in line):
        return "visual"
    if any(len(r) >= 2 and r[0].norm.startswith(("+", "00")) for r in runs):
        return "logical"
    return None


def _visual_order(tail: list[_Token]) -> bool:
    """The digit groups ending a right-to-left line came back in visual order: two or more
    groups with the "+" trailing the last ("912 98+"), or the last one the country code
    with its "00" ("50 6 00212"), which no number ends with."""
    if len(tail) < 2:
        return False
    last = tail[-1].norm
    if last.endswith("+") and "+" not in last[:-1]:
        return True
    return last.startswith("00") and not any(t.norm.startswith(("00", "+")) for t in tail[:-1])


def _logical_order(tail: list[_Token]) -> bool:
    """The digit groups ending a right-to-left line came back in logical order: two or more
    groups led by the country code ("+212 6 50 12")."""
    return (len(tail) >= 2 and tail[0].norm.startswith(("+", "00"))
            and not any(t.norm.startswith(("00", "+")) or t.norm.endswith("+")
                        for t in tail[1:]))


def _one_script_edge(run: list[_Token], text: str, from_end: bool) -> list[_Token]:
    """The groups of ``run`` (the digit groups at one edge of a line) from that edge up to
    where the digit script changes; a group mixing scripts ends it."""
    seq = list(reversed(run)) if from_end else list(run)
    out: list[_Token] = []
    for t in seq:
        mine = _token_script(t, text) if text else "latin"
        if mine is None or (out and mine != _token_script(out[0], text)):
            break
        out.append(t)
    if len(out) == len(run):
        return []  # one script throughout: the run as it stands
    return list(reversed(out)) if from_end else out


def _prefer_local_region(found: list[Selector], lines: list[list[_Token]],
                         regions: Sequence[str]) -> None:
    """Re-choose the region of an ambiguous national number by the lines around it: a
    screenshot of a feed shows posts in several languages, and the hints for the whole item
    follow the language most of its text is in. Only a clear language (or an international
    number) in the three lines above, the line itself and the one below counts."""
    for sel in found:
        if sel.kind != "phone" or not sel.alternatives or _is_international(
                _normalise(sel.shown)[0]):
            continue
        at = next((k for k, line in enumerate(lines)
                   if line[0].start <= sel.span[0] <= line[-1].end), None)
        if at is None:
            continue
        near = "\n".join(" ".join(t.norm for t in line) for line in lines[max(0, at - 3):at + 2])
        if _script_language(near) is None and not _INTERNATIONAL.search(near):
            continue
        local = region_hints(near, None, regions)

        def rank(e164: str, local: tuple[str, ...] = local) -> tuple[bool, int]:
            num = phonenumbers.parse(e164)
            region = phonenumbers.region_code_for_number(num)
            order = local.index(region) if region in local else len(local)
            return phonenumbers.number_type(num) not in _MOBILE, order

        best = min([sel.value, *sel.alternatives], key=rank)
        if best != sel.value:
            sel.alternatives = [sel.value] + [a for a in sel.alternatives if a != best]
            sel.value = best


# The note of a number read with a "+" where Tesseract read a "4".
PLUS_AS_FOUR_NOTE = "read with a '+' where the image reading has a '4' before the country code"
# One word of digits, or of digit groups joined by dots or dashes, that starts with "4" and
# two or more digits: where a "+" may have been read.
_PLUS_AS_FOUR = re.compile(r"^4\d{2,}(?:[-.]\d+)*$")
# A "#" or "*" before six or more digits: a "+" the English model misread, where the digits
# then make a number of one of the case's regions.
_MISREAD_PLUS = re.compile(r"(?<!\S)[#*](\d{6}[\d .\-]*\d)")
# The note of a mended number that only the case's other numbers let stand.
CONFIRMED_NOTE = "mended because the case shows this number with its country code"

# Word confidence below which a reading is a guess; Tesseract gives sure words 85-96.
_SURE_CONF = 70.0


def _implausible(e164: str) -> bool:
    """A number no one would give as a contact, but that a garbled line of OCR turns into: a
    long run of one digit or hardly more than one digit in it ("+34 600 000 000")."""
    nsn = e164[1:]
    try:
        nsn = str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        pass
    longest = max(len(m.group()) for m in re.finditer(r"(\d)\1*", nsn))
    return longest >= 6 or len(set(nsn)) <= 2


def _short_fixed_line(sel: Selector) -> bool:
    """A national reading (no country code) that can only be a fixed line shorter than its
    region's mobile numbers ("۰۷۹۱ ۲۳۴", the first line of a wrapped "۰۷۹۱ ۲۳۴ ۵۶۰۳", is an
    Italian fixed line of seven digits). In OCR text such a number is far more often part of
    a longer one, cut by a line's end or a misread group, than a landline given as the
    contact of an advert."""
    if _shows_country(sel.shown):  # its country code may trail: "5655 234 1 964+"
        return False
    return all(_short_fixed(value) for value in [sel.value, *sel.alternatives])


def _short_fixed(e164: str) -> bool:
    """``e164`` can only be a fixed line, shorter than its region's mobile numbers."""
    num = phonenumbers.parse(e164)
    if phonenumbers.number_type(num) != phonenumbers.PhoneNumberType.FIXED_LINE:
        return False
    mobile = phonenumbers.example_number_for_type(
        phonenumbers.region_code_for_number(num), phonenumbers.PhoneNumberType.MOBILE)
    return mobile is not None and len(phonenumbers.national_significant_number(num)) < len(
        phonenumbers.national_significant_number(mobile))


def _scattered_digits(shown: str) -> bool:
    """A national-form number with two or more one-digit groups ("۰ ۷ ١٥٥١", "8 ۲ 3 ١٤١١ ۲
    6"): no national format writes digits so, but stray digits of icons and a status bar read
    in a row make a valid fixed line. Numbers with a country code ("+212 6 50 12 36 20") may
    have one-digit groups and are not judged here; nor are mended or re-read numbers, whose
    ``shown`` may be their whole line."""
    norm = _normalise(shown)[0]
    if _is_international(norm) or re.sub(r"\D", "", norm).startswith("00"):
        return False
    return sum(len(g) == 1 for g in re.findall(r"\d+", norm)) >= 2


# Tesseract's Arabic and Persian models misread Eastern digits (measured in
# bench/ocr_choices.md), and a misread number usually mixes digit scripts ("۲۳۰۵۰۱ 01").
_MIXED_NOTE = "digits in mixed scripts, likely misread: check the image"


def _mixed_digit_scripts(shown: str) -> bool:
    scripts = {
        "latin" if "0" <= ch <= "9" else "arabic" if "\u0660" <= ch <= "\u0669" else "persian"
        for ch in shown
        if ch.isdigit() and ("0" <= ch <= "9" or "\u0660" <= ch <= "\u0669"
                             or "\u06f0" <= ch <= "\u06f9")
    }
    return len(scripts) > 1


def _doubtful_boxes(ocr: OcrResult) -> set[Box]:
    """Boxes of the words with Eastern digits that matched no digit shape closely
    (``settings["digit_doubts"]`` of ``ocr_image``)."""
    out: set[Box] = set()
    for entry in (ocr.settings or {}).get("digit_doubts") or []:
        box = entry.get("box") if isinstance(entry, dict) else None
        if isinstance(box, (list, tuple)) and len(box) == 4:
            try:
                out.add(tuple(int(v) for v in box))
            except (TypeError, ValueError):
                continue  # a malformed mark is no mark: the number stays
    return out


def _from_doubtful_words(sel: Selector, tokens: list[_Token], text: str,
                         doubts: set[Box]) -> bool:
    """``sel`` was read from a word with Eastern digits whose shapes match no digits closely.
    Tesseract misreads compact Eastern digits into other digits ("۴۵۸۶" read "۲۵۸۲", "۰۵۰۱ ۲۳۴
    ۵۰ ۵۴" read "۰۵۰ ۵۲۵۰۲۳۲"), and a plain reading of them is then another valid number: the
    text cannot tell it, the ink can. One such word is enough, since every group is part of
    the number; the right readings measured matched within 0.34 in every word."""
    if not doubts or not sel.boxes:
        return False
    boxes = {tuple(b) for b in sel.boxes}
    return any(t.box in boxes and t.box in doubts and _token_script(t, text) != "latin"
               for t in tokens)


def _unseen_by_second_reading(sel: Selector, ocr: OcrResult) -> bool:
    """``sel`` is a plain national reading in Latin digits of a line that ``ocr_image`` read
    again with the English model, and that reading shows none of its digits (no four in a
    row) and at most half as many digits: the second reader saw no such number there.
    Reaction icons ("0609 148" for two round icons and "148") and the heads of a crowd in a
    photo ("20060000") come back as digits from the first pass and as marks from the
    second; a number written there comes back from both. A number the two readings agree on
    has no second reading at all."""
    if sel.note or not sel.boxes or not _NATIONAL_ONLY.match(sel.shown) \
            or _EASTERN_DIGIT.search(sel.shown):
        return False
    digits = re.sub(r"\D", "", _normalise(sel.shown)[0])
    if digits.startswith("00"):
        return False
    settings = ocr.settings or {}
    covering = []
    for entry in (settings.get("line_readings") or []) + (settings.get("number_lines") or []):
        box, read = entry.get("box"), entry.get("text")
        if not isinstance(read, str) or not isinstance(box, list | tuple) or len(box) != 4 \
                or _EASTERN_DIGIT.search(read):
            continue  # the shape readers' entries: another reader, other digits
        if all(box[0] <= b[0] and b[2] <= box[2] and _overlap_y(b, box) >= 0.5
               for b in sel.boxes):
            covering.append(re.sub(r"\D", "", _normalise(read)[0]))
    # A garbled re-read of a number in tiny text ("#212.6.50.12.34.10" re-read "e212 S02
    # 410,") still shows most of its digits; a re-read of icons or a photo shows few.
    return bool(covering) and not any(
        _shares_digits(digits, c) or 2 * len(c) > len(digits) for c in covering)


def _after_unread_prefix(sel: Selector, lines: list[list[_Token]], found: list[Selector],
                         text: str) -> bool:
    """``sel`` is a plain national reading that stands in a run of digit groups after a
    "00" or "+" group that no number found uses ("۰۰۳۰ ۱۰ ۰۱۲۳۴۵۷۴": "٠٠٢٠" misread, so the
    international number failed): the number was written with its country code, and its
    last groups alone make another country's number (an Italian fixed line)."""
    if sel.note or not sel.boxes or not _NATIONAL_ONLY.match(sel.shown):
        return False
    if re.sub(r"\D", "", _normalise(sel.shown)[0]).startswith("00"):
        return False
    boxes = {tuple(b) for b in sel.boxes}
    for line in lines:
        at = next((k for k, t in enumerate(line) if t.box in boxes), None)
        if at is None:
            continue
        k = at - 1
        while k >= 0 and _GROUP.match(line[k].norm):
            norm = line[k].norm.lstrip("([")
            if norm.startswith("+") or norm.startswith("00"):
                used = any(s is not sel and s.kind in ("phone", "whatsapp")
                           and s.span[0] <= line[k].start < s.span[1] for s in found)
                return not used and _token_script(line[k], text) == _token_script(
                    line[at], text)
            k -= 1
        return False
    return False


def _national_within(sel: Selector, span: tuple[int, int], n_digits: int) -> bool:
    """``sel`` was read without a country code, from inside ``span``, with fewer than
    ``n_digits`` digits."""
    digits = re.sub(r"\D", "", _normalise(sel.shown)[0])
    return (span[0] <= sel.span[0] and sel.span[1] <= span[1] and "+" not in sel.shown
            and not digits.startswith("00") and not sel.note and len(digits) < n_digits)


def _region_of(candidate: str) -> str | None:
    """The region of an international number as written, or None when it is none."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(candidate, None))
    except phonenumbers.NumberParseException:
        return None


def _dialable_start(candidate: str) -> bool:
    """A mended number is a guess, so it must look dialable from its first digit: "+" or
    "00", or a trunk "0" with at least ten digits. A year, a price or a time never does. This
    gives up mending national numbers of regions without a trunk 0 (TN, IT, GR, ES)."""
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip("([").startswith("+") or digits.startswith("00"):
        return True
    return digits.startswith("0") and len(digits) >= 10


def _digits(tokens: list[_Token]) -> int:
    return sum(ch.isdigit() for t in tokens for ch in t.norm)


def _ocr_lines(ocr: OcrResult) -> tuple[list[list[_Token]], str]:
    """Words grouped into lines and the text they make, joined the way ``ocr_image`` joins
    them (words by spaces, lines by newlines), so spans agree with ``ocr.text``."""
    lines: list[list[_Token]] = []
    pieces: list[str] = []
    pos = 0
    last = None
    for w in ocr.words:
        key = (w.block, w.par, w.line)
        if key != last:
            if lines:
                pieces.append("\n")
                pos += 1
            lines.append([])
            last = key
        elif lines[-1]:
            pieces.append(" ")
            pos += 1
        norm, _ = _normalise(w.text)
        lines[-1].append(_Token(pos, pos + len(w.text), norm, tuple(w.box), float(w.conf)))
        pieces.append(w.text)
        pos += len(w.text)
    return lines, "".join(pieces)


def _digit_runs(line: list[_Token]) -> list[list[_Token]]:
    """Runs of two or more digit groups ("91-2345696" is one group)."""
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    for t in [*line, None]:
        if t is not None and _GROUP.match(t.norm):
            current.append(t)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = []
    return runs


def _split_after_plus(run: list[_Token]) -> list[list[_Token]]:
    pieces: list[list[_Token]] = [[]]
    for t in run:
        pieces[-1].append(t)
        if t.norm.endswith("+") and t is not run[-1]:
            pieces.append([])
    return pieces


def _token_script(token: _Token, text: str) -> str | None:
    """"eastern" (Arabic-Indic or Persian digits), "latin", or None for a token mixing them."""
    raw = token.raw or text[token.start:token.end]
    eastern = bool(_EASTERN_DIGIT.search(raw))
    latin = bool(re.search("[0-9]", raw))
    return None if eastern and latin else "eastern" if eastern else "latin"


def _split_digit_scripts(run: list[_Token], text: str) -> list[list[_Token]]:
    """``run`` cut wherever a group in Latin digits meets one in Eastern digits; a group
    mixing both (a misread) goes with either side."""
    pieces: list[list[_Token]] = [[]]
    script = None
    for t in run:
        mine = _token_script(t, text)
        if mine is not None and script is not None and mine != script:
            pieces.append([])
        pieces[-1].append(t)
        script = mine or script
    return pieces


def _edge_run(line: list[_Token], from_end: bool) -> list[_Token]:
    """The digit groups at one end of ``line``. A mark with no letter, digit or "+" at the
    very end ("Iletişim +90 501 _": the cut edge of the next glyph, a cursor) is passed
    over: it is no word, and it would hide the wrapped number's first groups."""
    seq = list(reversed(line) if from_end else line)
    while seq and _EDGE_MARK.match(seq[0].norm):
        seq = seq[1:]
    run: list[_Token] = []
    for t in seq:
        if not _GROUP.match(t.norm):
            break
        run.append(t)
    return list(reversed(run)) if from_end else run


_EDGE_MARK = re.compile(r"^(?:_|[^\w+]){1,2}$")


# -- second readings ----------------------------------------------------------------------------

_NATIONAL_ONLY = re.compile(r"^[^+]*$")
# The English model cannot read Arabic-Indic or Persian digits, so its reading of a line never
# overrules a number written in them; a second reading in those digits (by their shapes) may.
_EASTERN_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def _overlap_y(a: Sequence[int], b: Sequence[int]) -> float:
    inter = min(a[3], b[3]) - max(a[1], b[1])
    return inter / max(1, min(a[3] - a[1], b[3] - b[1]))


def _iou_y(a: Sequence[int], b: Sequence[int]) -> float:
    inter = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, inter) / max(1, max(a[3], b[3]) - min(a[1], b[1]))


def _line_box(line: list[_Token]) -> Box:
    return (min(t.box[0] for t in line), min(t.box[1] for t in line),
            max(t.box[2] for t in line), max(t.box[3] for t in line))


def _second_readings(ocr: OcrResult, lines: list[list[_Token]]) -> dict[int, list[list[_Token]]]:
    """The lines ``ocr_image`` read a second time (``settings["line_readings"]``), as tokens of
    the first-pass line they cover, keyed by that line's index. Every token carries the line's
    span and box, since the second reading has no word boxes."""
    out: dict[int, list[list[_Token]]] = {}
    settings = ocr.settings or {}
    # "number_lines" is where OCR stored before this release kept them.
    entries = (settings.get("line_readings") or []) + (settings.get("number_lines") or [])
    boxes = [_line_box(line) for line in lines]
    for entry in entries:
        box = entry.get("box")
        text = entry.get("text")
        if not isinstance(text, str) or not isinstance(box, list | tuple) or len(box) != 4:
            continue
        # The line the reading covers best, as a share of both heights: a tall stray box
        # (an icon read as a letter) would overlap every line around it.
        best = max(range(len(lines)), key=lambda k: _iou_y(boxes[k], box), default=None)
        if best is None or _iou_y(boxes[best], box) < 0.3:
            continue
        start, end = lines[best][0].start, lines[best][-1].end
        tokens = [_Token(start, end, _normalise(part)[0], tuple(box), raw=part)
                  for part in text.split()]
        if tokens:
            out.setdefault(best, []).append(tokens)
    return out


def _shares_digits(digits: str, first: str, run: int = 4) -> bool:
    """``digits`` and ``first`` have ``run`` digits in a row in common: a second reading fixes
    a digit or two of a number the first pass saw, it does not find a number where the first
    pass saw none (the English model reads Arabic words as digits now and then)."""
    run = min(run, len(digits))
    return any(digits[k:k + run] in first for k in range(len(digits) - run + 1))


def _digits_beside_prices(line: str, regions: Sequence[str]) -> str:
    """The digits of a line with its prices cut out ("|" where one stood): a second reading
    that shares only a price's digits ("السعر 7250 يورو" re-read "9593 7250") confirms no
    number."""
    cuts = [s.span for s in find_selectors(line, "ocr", regions) if s.kind == "price"]
    pieces, at = [], 0
    for start, end in sorted(cuts):
        pieces.append(line[at:start])
        at = end
    pieces.append(line[at:])
    return "|".join(re.sub(r"\D", "", p) for p in pieces)


def _reconcile(found: list[Selector], ocr: OcrResult, lines: list[list[_Token]],
               regions: Sequence[str], confirmed: Collection[str] = ()) -> None:
    """Take the phone numbers of the lines read a second time into ``found``; where that
    reading of a line gives valid numbers, drop the national-format numbers the first reading
    took from the same line and the second does not confirm. The second reading is one
    Latin model on one line, far steadier on digits than five models on the page; national
    numbers (no "+" or "00") are the readings a lost or swapped group turns into another
    valid number (an Italian or Spanish fixed line), so only those give way, and not where
    the second reading shows their groups word for word (``_read_alike``). A "#" or "*"
    the English model read for a "+" is taken as the "+" where the number is a route's."""
    alts = _second_readings(ocr, lines)
    for i, readings in alts.items():
        line_box = _line_box(lines[i])
        first_digits = _digits_beside_prices(" ".join(t.norm for t in lines[i]), regions)
        for tokens in readings:
            # The English model reads a "+" as "#" or "*" now and then ("#218912345675").
            text = _MISREAD_PLUS.sub(
                lambda m: "+" + m.group(1) if _region_of("+" + m.group(1)) in regions
                else m.group(), " ".join(t.raw or t.norm for t in tokens))
            second = [s for s in find_selectors(text, "ocr", regions)
                      if s.kind in ("phone", "whatsapp")]
            if not second:
                continue
            values = {s.value for s in second}
            eastern = any(_EASTERN_DIGIT.search(t.raw) for t in tokens)  # read by shapes
            for s in list(found):
                if (s.kind == "phone" and s.value not in values and s.boxes
                        and not s.note and _NATIONAL_ONLY.match(s.shown)
                        and (eastern or not _EASTERN_DIGIT.search(s.shown))
                        and not re.sub(r"\D", "", _normalise(s.shown)[0]).startswith("00")
                        and all(_overlap_y(b, line_box) >= 0.5 for b in s.boxes)
                        and not _read_alike(s, text, second)):
                    found.remove(s)
            have = {s.value for s in found if s.kind in ("phone", "whatsapp")}
            for s in second:
                # A national reading of some groups of a number already found (the second
                # line of a wrapped number) is that number, not another.
                digits = re.sub(r"\D", "", _normalise(s.shown)[0])
                if s.value in have or ("+" not in s.shown and any(
                        digits.lstrip("0") in h for h in have)):
                    continue
                # The same groups read again, when a mended number already uses every group
                # of the line ("6436 345", the second line of "+98 912 345 6436", re-read
                # "1345 6436"): a stray mark read as a digit made the national number.
                if "+" not in s.shown and _groups_already_used(lines[i], digits, found):
                    continue
                # Words of another script read as digits ("9393 7500") make national numbers;
                # a number with its "+" is the one the first pass cut short or dropped ("2 20+"
                # read again "+201001234502"), so only national ones must share digits.
                if not eastern and "+" not in s.shown and not _shares_digits(
                        digits, first_digits):
                    continue
                if _rival_of_international(s, text, found, ocr.text, lines[i]):
                    continue
                s.span = (tokens[0].start, tokens[0].end)  # the line; "shown" is as re-read
                s.boxes = [tokens[0].box]
                s.note = "read again with the English model"
                settled = _settle_one_digit(s.value, lines[i], confirmed)
                if settled is not None and settled not in have:
                    s.alternatives = [s.value]
                    s.value = settled
                    s.note = f"{s.note}; {ONE_DIGIT_NOTE}"
                found.append(s)
                have.add(s.value)


def _read_alike(sel: Selector, reading: str, numbers: list[Selector]) -> bool:
    """A line's second reading shows the groups of ``sel`` (a first-pass national number)
    word for word, and none of the numbers it gives (``numbers``) takes them in: it confirms
    ``sel`` though it found no number there ("wa.me/3361 2345299 06 50 12 34 73": the link
    split, its last digits run into the national number's groups)."""
    groups = _normalise(sel.shown)[0].split()
    words = [(m.start(), m.end(), _normalise(m.group())[0]) for m in re.finditer(r"\S+", reading)]
    n = len(groups)
    for k in range(len(words) - n + 1):
        if [w[2] for w in words[k:k + n]] == groups:
            start, end = words[k][0], words[k + n - 1][1]
            return not any(o.span[0] < end and start < o.span[1] for o in numbers)
    return False


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in _normalise(text)[0])


def _rival_of_international(sel: Selector, reading: str, found: list[Selector], text: str,
                            line: list[_Token]) -> bool:
    """``sel`` (a number of a line's second reading) stands on the same digits of the line as
    a number the first pass read plainly with its own "+" or "00", and reads them otherwise
    ("0039 312 345 6726" re-read "0039 312 3455726"): two readings of one number, not two
    numbers. The first pass's stays when Tesseract was sure of every word of it
    (``_SURE_CONF``): a national reading gives way to the second reading only because a lost
    group turns it into another valid number, which a number written with its country code
    does not risk. Where Tesseract was unsure the two readers are a tie, and both readings
    stay as before. Told by place only when both readings of the line have as many digits,
    so the digits line up one for one."""
    first_start, first_end = line[0].start, line[-1].end
    if _digit_count(reading) != _digit_count(text[first_start:first_end]):
        return False
    at = _digit_count(reading[:sel.span[0]])
    mine = range(at, at + _digit_count(reading[sel.span[0]:sel.span[1]]))
    for other in found:
        if (other.kind != "phone" or other.note or other.value == sel.value
                or not first_start <= other.span[0] < other.span[1] <= first_end
                or not _is_international(_normalise(other.shown)[0])
                or any(t.conf < _SURE_CONF for t in line
                       if other.span[0] < t.end and t.start < other.span[1])):
            continue
        start = _digit_count(text[first_start:other.span[0]])
        theirs = range(start, start + _digit_count(text[other.span[0]:other.span[1]]))
        if set(mine) & set(theirs):
            return True
    return False


def _groups_already_used(line: list[_Token], digits: str, found: list[Selector]) -> bool:
    """Every digit group of ``line`` is in ``digits`` (a second reading of the line) and one
    mended number found already was made from all of them."""
    groups = [t for t in line if _GROUP.match(t.norm) and re.sub(r"\D", "", t.norm)]
    if not groups or any(re.sub(r"\D", "", t.norm) not in digits for t in groups):
        return False
    boxes = {t.box for t in groups}
    return any(s.kind == "phone" and s.note and boxes <= {tuple(b) for b in s.boxes or []}
               for s in found)


# Why a second reading's number was changed in one digit.
ONE_DIGIT_NOTE = ("one digit differs between the two readings; the case shows this number "
                  "with its country code")


def _settle_one_digit(e164: str, line: list[_Token], confirmed: Collection[str]) -> str | None:
    """The number the case shows when ``e164`` (a line's second reading) and a long digit
    group of the line's first pass differ in exactly one digit and putting the first pass's
    digit in gives that number ("wa.me/964791 7345669" re-read, "912345669" first read,
    "+9647912345669" elsewhere in the case). Two readings that disagree are a tie, and
    the case breaks it; with no number of the case to agree, the second reading stands."""
    # Membership is asked even of an empty case: the pipeline records what was asked to know
    # when the item must be read again.
    if e164 in confirmed:
        return None
    digits = e164[1:]
    for token in line:
        group = re.sub(r"\D", "", token.norm)
        if len(group) < 6:
            continue
        for at in range(len(digits) - len(group) + 1):
            diff = [k for k in range(len(group)) if digits[at + k] != group[k]]
            if len(diff) != 1:
                continue
            k = at + diff[0]
            variant = "+" + digits[:k] + group[diff[0]] + digits[k + 1:]
            if variant in confirmed:
                return variant
    return None


# -- one case, many items -----------------------------------------------------------------------

# Why a national-form number's reading was settled by the case rather than by its item.
SEEN_INTERNATIONAL = "seen in international form elsewhere in the case"


@dataclass
class CasePhone:
    """One phone selector of a case as stored: enough to give its readings again."""

    kind: str  # "phone" or "whatsapp"
    value: str  # E.164, as the item alone chose it
    shown: str


@dataclass
class CaseChoice:
    value: str  # the reading to keep
    basis: str  # "" (the item's own choice) or SEEN_INTERNATIONAL
    # The readings of this number that the case shows in international form: what to compare to
    # know whether a later import changes the choice.
    evidence: tuple[str, ...] = ()


def _shows_country(shown: str) -> bool:
    """``shown`` carries a country code: a "+", or "00" and a country code, also as a group
    at the end (a right-to-left line gives "78 56 234 501 0090")."""
    norm = _normalise(shown)[0]
    return "+" in norm or any(g.startswith("00") and len(g) >= 3
                              for g in re.findall(r"\d+", norm))


def _national_digits(value: str, shown: str) -> list[str]:
    """The digit strings a number written without its country code can have been: ``value``
    in its own country's national format (``shown`` may be a whole re-read line around it),
    then the groups of ``shown`` in order and reversed (a right-to-left line gives them in
    visual order)."""
    out: list[str] = []
    try:
        num = phonenumbers.parse(value)
        out.append(re.sub(r"\D", "", phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)))
    except phonenumbers.NumberParseException:
        pass
    groups = re.findall(r"\d+", _normalise(shown)[0])
    out += ["".join(groups), "".join(reversed(groups))] if groups else []
    return list(dict.fromkeys(d for d in out if d))


def _readings_of_digits(digits: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    key = (digits, regions)
    cached = _READINGS_CACHE.get(key)
    if cached is not None:
        return cached
    out: list[str] = []
    for region in regions:
        try:
            num = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(num) or phonenumbers.number_type(num) in _NOT_CONTACT:
            continue
        e164 = phonenumbers.format_number(num, PhoneNumberFormat.E164)
        if e164 not in out:
            out.append(e164)
    if len(_READINGS_CACHE) > 100_000:
        _READINGS_CACHE.clear()
    _READINGS_CACHE[key] = tuple(out)
    return _READINGS_CACHE[key]


_READINGS_CACHE: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def phone_readings(value: str, shown: str, regions: Sequence[str] = DEFAULT_REGIONS
                   ) -> tuple[str, ...]:
    """Every reading of a number written without a country code, ``value`` first, then the
    others in ``regions`` order: the same national digits are a valid number in each of those
    regions. Empty when ``shown`` carries its country ("+", "00") or when ``value`` is not one
    of the readings (its country is not among ``regions``): such a number is not open to a
    region choice here. The national digits are taken from ``value`` itself as well as from
    ``shown``, since a number read again or mended keeps a ``shown`` that may be a whole line
    or the groups in visual order."""
    hints = tuple(_check_regions(regions))
    if _shows_country(shown):
        return ()
    for digits in _national_digits(value, shown):
        readings = _readings_of_digits(digits, hints)
        if value in readings:
            return (value, *(r for r in readings if r != value))
    return ()


def _is_seen_international(phone: CasePhone) -> bool:
    # A wa.me link always carries the country code.
    return phone.kind == "whatsapp" or _shows_country(phone.shown)


def seen_in_international_form(phones: Iterable[CasePhone]) -> set[str]:
    """The values of ``phones`` shown with their country code (a "+" or "00" number, or a
    WhatsApp link): the case's evidence for ``resolve_case_regions``."""
    return {p.value for p in phones if _is_seen_international(p)}


def resolve_case_regions(
    phones: Sequence[CasePhone], regions: Sequence[str] = DEFAULT_REGIONS,
    seen: Collection[str] | None = None,
) -> list[CaseChoice]:
    """Settle, across a whole case, the country of every number written without a country code
    that is valid in several regions (a French "06 12 34 56 19" is also a Moroccan mobile): one
    item alone cannot tell, the case can, because the same number is often shown elsewhere with
    its country code. For each of ``phones``, in order: a reading of it that the case shows in
    international form wins; when several do, the item's own choice if it is one of them, else
    the first in ``regions`` order; when none does, the item's own choice stands. ``seen`` is
    what the case shows in international form (``seen_in_international_form`` of every phone
    and WhatsApp selector of the case); by default, what ``phones`` show. (A vote by the
    countries of the case's other numbers was measured and changed no score, so it is not
    made: bench/RESULTS-ocr.md, round five.)

    Numbers that show their country, and those whose ``shown`` text does not give their value
    again (see ``phone_readings``), are kept as they are.
    """
    hints = tuple(_check_regions(regions))
    for p in phones:
        if not isinstance(p, CasePhone):
            raise TypeError(f"resolve_case_regions expects CasePhone items, not "
                            f"{type(p).__name__}.")
    if seen is None:
        seen = seen_in_international_form(phones)
    out: list[CaseChoice] = []
    for p in phones:
        readings = () if _is_seen_international(p) else phone_readings(p.value, p.shown, hints)
        confirmed = tuple(r for r in readings if r in seen) if len(readings) > 1 else ()
        if not confirmed:
            out.append(CaseChoice(p.value, ""))
            continue
        best = p.value if p.value in confirmed else confirmed[0]
        out.append(CaseChoice(best, SEEN_INTERNATIONAL if best != p.value else "",
                              tuple(sorted(confirmed))))
    return out
