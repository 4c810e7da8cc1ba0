"""Tests for the readings ``find_selectors_in_ocr`` lets give nothing, and for a wrapped
right-to-left number whose second line goes on in the other digit script:

* a plain national number the line's English re-read does not show (reaction icons, a
  photo read as digits);
* a wrapped number mended from a word whose Eastern digits matched no digit shape;
* a national number standing after a "00" group that no number uses (a misread country
  code);
* "للاستفسار ۰۱۰" / "+20 10 01234574 ۰۱۲۳۴۵۵۰": the rest of the wrapped number in Eastern
  digits beside an international number in Latin digits.

Every number is phonenumbers' example mobile number for its region with the last digits
varied (tests/analysis/ocr_fixtures.py), so none belongs to anyone.
"""

from __future__ import annotations

from analysis.selectors import find_selectors_in_ocr
from tests.analysis.ocr_fixtures import (
    e164,
    ocr_of,
    phones,
    with_digit_doubts,
    with_second_reading,
)

TR = e164("TR", "54")  # +905012345654, national "0501 234 56 54"
EG = e164("EG", "50")  # +201001234550, national "010 01234550"
EG2 = e164("EG", "74")  # +201001234574

_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _ar(digits: str) -> str:
    return digits.translate(_ARABIC_INDIC)


def _fa(digits: str) -> str:
    return digits.translate(_PERSIAN)


def _marked(ocr, *texts: str):
    return with_digit_doubts(ocr, *texts, distance=0.51)


# -- a plain number the English re-read does not show ------------------------------------------

def _latin_line():
    nat = "0" + TR[3:]  # 05012345654
    return ocr_of([(1, 20, [nat[:4], nat[4:7], nat[7:9], nat[9:]])])


def test_plain_number_the_second_reading_does_not_show_is_dropped():
    assert phones(_latin_line()) == [TR]
    # Two round icons and a count: the first pass made digits of the icons, the English
    # re-read of the line saw marks and "54".
    assert phones(with_second_reading(_latin_line(), 1, "@® 54")) == []


def test_plain_number_a_garbled_second_reading_still_shows_stays():
    # Tiny text re-read badly keeps most of the digits ("e501 Z34 S6 54"): the number was
    # there, and no four digits in a row is no reason to drop it.
    assert phones(with_second_reading(_latin_line(), 1, "e501 Z34 S6 54")) == [TR]
    # A re-read sharing four digits in a row confirms the number too.
    assert phones(with_second_reading(_latin_line(), 1, "Tel 0501 2")) == [TR]


def test_second_reading_beside_the_number_does_not_judge_it():
    # A re-read of a stretch of the line left of the number says nothing of the number.
    ocr = _latin_line()
    ocr.settings["line_readings"] = [{"text": "@®", "box": [0, 20, 9, 35]}]
    assert phones(ocr) == [TR]


def test_eastern_number_is_not_judged_by_the_english_reading():
    nat = "0" + TR[3:]
    ocr = ocr_of([(1, 20, ["تماس", _fa(nat[:4]), _fa(nat[4:7]), _fa(nat[7:9]),
                           _fa(nat[9:])])])
    assert phones(with_second_reading(ocr, 1, "Guo @")) == [TR]


# -- a wrapped number mended from a doubtful word -----------------------------------------------

def _wrapped_eastern(second: list[str]):
    nat = "0" + EG[3:]  # 01001234550
    return ocr_of([(1, 20, ["العائلات", "مرحب", "بها.", "للاستفسار", _ar(nat[:3])]),
                   (2, 40, second)])


def test_wrapped_number_from_a_doubtful_word_gives_nothing():
    nat = "0" + EG[3:]
    rest = _ar(nat[3:])
    assert phones(_wrapped_eastern([rest])) == [EG]
    # The rest's ink matches no digit shape: the mended number is no more sure than a plain
    # reading of the word would be.
    assert phones(_marked(_wrapped_eastern([rest]), rest)) == []


# -- a national number after an unused "00" group -----------------------------------------------

def test_national_number_after_an_unused_international_prefix_is_dropped():
    nat = EG2[3:]  # 1001234574
    line = ["للاستفسار", "00" + EG2[1:3], nat[:2], nat[2:]]
    assert phones(ocr_of([(1, 20, [_ar(w) if w[0].isdigit() else w for w in line])])) == [EG2]
    # "٠٠٢٠" misread "٠٠٣٠": "0030 10 01234574" is no number, and "01234574" alone is an
    # Italian fixed line; nothing is read.
    wrong = ["للاستفسار", "0030", nat[:2], nat[2:]]
    assert phones(ocr_of([(1, 20, [_ar(w) if w[0].isdigit() else w for w in wrong])])) == []


def test_national_number_after_a_used_international_number_stays():
    # "0020 10 01234574 0501 234 56 54": two numbers side by side, the second national.
    nat = "0" + TR[3:]
    line = ["Info", "0020", EG2[3:5], EG2[5:], nat[:4], nat[4:7], nat[7:9], nat[9:]]
    assert phones(ocr_of([(1, 20, line)])) == sorted([EG2, TR])


# -- the rest of a wrapped number in the other digit script -------------------------------------

def test_wrapped_rest_beside_a_number_in_the_other_script():
    # "للاستفسار ٠١٠" / "٠١٢٣٤٥٥٠ +20 10 01234574", the second line given in visual order
    # (the Latin number first): the Eastern group alone is an Italian fixed line.
    nat = "0" + EG[3:]
    second = ["+" + EG2[1:3], EG2[3:5], EG2[5:], _ar(nat[3:])]
    found = [s for s in find_selectors_in_ocr(_wrapped_eastern(second)) if s.kind == "phone"]
    assert sorted(s.value for s in found) == sorted([EG, EG2])
    wrapped = next(s for s in found if s.value == EG)
    # Its own words are in one script: it is not flagged as a misread.
    assert "mixed scripts" not in wrapped.note
