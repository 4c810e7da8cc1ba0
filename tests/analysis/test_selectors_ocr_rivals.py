"""Tests for two readings ``find_selectors_in_ocr`` settles:

* a number wrapped at the end of a right-to-left line whose second line holds no Arabic
  letter and starts with a link ("للاستفسار 20+" / "wa.me/201001234574 01234550 10"): the
  second line still stands in the right-to-left paragraph, so its groups at the end of the
  line as read are the rest of the number;
* a line's English re-read that reads the digits of a number the first pass read surely,
  with its country code, otherwise ("0039 312 345 6726" re-read "0039 312 3455726"): one
  number read twice, not two numbers.

Every number is phonenumbers' example mobile number for its region with the last digits
varied (tests/analysis/ocr_fixtures.py), so none belongs to anyone.
"""

from __future__ import annotations

from analysis.ocr import OcrWord
from analysis.selectors import find_selectors_in_ocr
from tests.analysis.ocr_fixtures import e164, ocr_of, phones, with_second_reading

EG = e164("EG", "50")  # +201001234550, written "+20 10 01234550"
EG2 = e164("EG", "74")  # +201001234574
LY = e164("LY", "78")  # +218912345678, national "091 2345678"
IT = e164("IT", "26")  # +393123456726


def _ar(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


# -- a right-to-left wrap whose second line starts with a link ---------------------------------

def _wrap_with_link():
    rest = EG[5:]  # "01234550"
    return ocr_of([(1, 20, ["سفر", "آمن", "للاستفسار", "20+"]),
                   (1, 40, [f"wa.me/{EG2[1:]}", rest, EG[3:5]])])


def test_rtl_wrap_rest_at_the_end_of_a_line_without_arabic_letters():
    found = find_selectors_in_ocr(_wrap_with_link())
    assert sorted(s.value for s in found if s.kind == "phone") == [EG]
    assert [s.value for s in found if s.kind == "whatsapp"] == [EG2]


def test_rtl_wrap_rest_in_another_digit_script_is_not_taken():
    # An Eastern number cut one digit short, and a label ending in a Latin digit on the row
    # below ("Contact 8"): no one writes one number in two digit scripts.
    nat = "0" + LY[4:]  # 0912345678
    ocr = ocr_of([(1, 20, ["للاستفسار", _ar(nat[:3]), _ar(nat[3:-1])]),
                  (1, 40, ["Contact", nat[-1]])])
    assert LY not in phones(ocr)


# -- a sure first reading with its country code and a re-read of the same digits ---------------

def _intl_line(conf: float = 90.0):
    nat = IT[3:]  # 3123456726
    ocr = ocr_of([(1, 20, ["Info", "0039", nat[:3], nat[3:6], nat[6:]])])
    ocr.words = [OcrWord(w.text, conf, w.box, w.block, w.par, w.line, w.word)
                 for w in ocr.words]
    return ocr


def _misread(nat: str) -> str:
    """``nat`` with its seventh digit changed and its last two groups run together."""
    wrong = nat[:6] + str((int(nat[6]) + 9) % 10) + nat[7:]
    return f"Info 0039 {wrong[:3]} {wrong[3:]}"


def test_reread_of_a_sure_international_number_adds_no_rival():
    nat = IT[3:]
    assert phones(with_second_reading(_intl_line(), 1, _misread(nat))) == [IT]


def test_reread_of_an_unsure_international_number_still_adds_its_reading():
    # Where Tesseract was unsure of the words, the two readers are a tie: both stay.
    nat = IT[3:]
    found = phones(with_second_reading(_intl_line(conf=40.0), 1, _misread(nat)))
    assert IT in found and len(found) == 2


def test_reread_with_another_digit_count_is_not_lined_up():
    # The re-read has a digit more (a price read as digits): its digits do not line up one
    # for one with the first pass, so its number is no rival and stays.
    nat = IT[3:]
    found = phones(with_second_reading(_intl_line(), 1, "5 " + _misread(nat)))
    assert IT in found and len(found) == 2


def test_a_reread_showing_a_national_number_word_for_word_keeps_it():
    # The re-read split the link ("wa.me/3361 2345299") and its digits ran into the national
    # number's groups, so it found no number there; its words still show the number.
    fr = e164("FR", "73")  # +33612345673, national "06 12 34 56 73"
    groups = ["0" + fr[3], fr[4:6], fr[6:8], fr[8:10], fr[10:]]
    link = f"wa.me/{e164('FR', '99')[1:]}"
    ocr = ocr_of([(1, 20, ["Infos", link, *groups])])
    reread = f"Infos {link[:10]} {link[10:]} {' '.join(groups)}"
    assert any(p.endswith(fr[4:]) for p in phones(with_second_reading(ocr, 1, reread)))
    # A re-read that reads another number over the same groups still overrules them.
    other = f"Infos {link} {' '.join(groups[:-1])}"
    assert not any(p.endswith(fr[4:]) for p in phones(with_second_reading(
        ocr_of([(1, 20, ["Infos", link, *groups])]), 1, other + " 7")))


def test_a_plus_reread_as_a_hash_is_a_plus():
    # "+218912345675" re-read "#218912345675" after a number the first pass read whole.
    tr, ly = e164("TR", "54"), e164("LY", "75")
    tr_groups = [tr[:3], tr[3:6], tr[6:9], tr[9:11], tr[11:]]
    ocr = ocr_of([(1, 20, ["Info", *tr_groups, "+", ly[-2:]])])
    assert phones(with_second_reading(ocr, 1, f"Info {' '.join(tr_groups)} #{ly[1:]}")) == \
        sorted([tr, ly])
