"""Tests for how ``find_selectors_in_ocr`` treats digit scripts and the edges of lines: two
numbers side by side in two digit scripts, a mark at the end of a wrapped line, a group that
mixes Latin and Eastern digits, and two readings of a line that differ in one digit.

Every number is phonenumbers' example mobile number for its region with the last digits
varied (tests/analysis/ocr_fixtures.py), so none belongs to anyone.
"""

from __future__ import annotations

from analysis.selectors import ONE_DIGIT_NOTE, find_selectors_in_ocr
from tests.analysis.ocr_fixtures import (
    e164,
    ocr_of,
    ocr_result,
    phones,
    with_digit_doubts,
    with_second_reading,
)

TR = e164("TR", "54")  # +905012345654, shown "0501 234 56 54"
AF = e164("AF", "86")  # +93701234586, shown "00 93 70 123 4586"
TR_WRAP = e164("TR", "85")  # +905012345685
IR = e164("IR", "69")  # +989123456769
IQ = e164("IQ", "69")  # +9647912345669

_PHONE = ("phone", "whatsapp")
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _fa(digits: str) -> str:
    return digits.translate(_PERSIAN)


def test_latin_groups_in_visual_order_beside_an_eastern_number():
    # A right-to-left line: the Latin "0501 234 56 54" came back in visual order, the Persian
    # number after it in logical order; read as one run neither is a number.
    nat = "0" + TR[3:]
    af = "00" + AF[1:]
    ocr = ocr_of([(1, 20, ["اطلاعات", nat[9:], nat[7:9], nat[4:7], nat[:4],
                           _fa(af[:4]), _fa(af[4:6]), _fa(af[6:9]), _fa(af[9:])])])
    assert phones(ocr) == sorted([TR, AF])


def test_mark_at_the_end_of_a_wrapped_line_is_passed_over():
    # "Iletişim +90 501 _" / "234 56 85 1 Contact 2", the second line read again without
    # the stray "1": the wrapped number, not a national reading of the second line alone.
    nat = TR_WRAP[6:]  # 2345685
    ocr = ocr_of([(1, 20, ["kabul.", "1.750", "$.", "Iletişim", TR_WRAP[:3], TR_WRAP[3:6], "_"]),
                  (1, 40, [nat[:3], nat[3:5], nat[5:], "1", "Contact", "2"])])
    ocr = with_second_reading(ocr, 2, f"{nat[:3]} {nat[3:5]} {nat[5:]} ‘ - Contact 2")
    assert phones(ocr) == [TR_WRAP]


def test_wrapped_number_with_a_group_mixing_digit_scripts_is_not_mended():
    nat = "0" + IR[3:]  # 09123456769
    second = [_fa(nat[4:7]), _fa(nat[7:])]
    # All Persian digits: the wrap is mended.
    clean = ocr_of([(1, 20, ["خانواده‌ها", "اطلاعات", _fa(nat[0]) + "." + _fa(nat[1:4])]),
                    (1, 40, second)])
    assert phones(clean) == [IR]
    # A Latin "1" inside the Persian group is a misread: no number is made of it.
    mixed = ocr_of([(1, 20, ["خانواده‌ها", "اطلاعات",
                             _fa(nat[0]) + "." + _fa(nat[1]) + nat[2] + _fa(nat[3])]),
                    (1, 40, second)])
    assert phones(mixed) == []


def _wa_line() -> object:
    # The first pass kept "912345669" whole; the English re-read of the line has a "7" for
    # the "2" ("wa.me/964791 7345669").
    ocr = ocr_of([(1, 20, ["واتساپ", IQ[5:], "۷/۵6/9647"])])
    wrong = IQ[:7] + "7" + IQ[8:]
    return with_second_reading(ocr, 1, f"wa.me/{wrong[1:7]} {wrong[7:]} ol Ost,"), wrong


def test_one_digit_between_two_readings_settled_by_the_case():
    ocr, wrong = _wa_line()
    found = [s for s in find_selectors_in_ocr(ocr, confirmed={IQ}) if s.kind in _PHONE]
    assert [s.value for s in found] == [IQ]
    assert ONE_DIGIT_NOTE in found[0].note
    assert found[0].alternatives == [wrong]


def test_one_digit_between_two_readings_stands_without_the_case():
    ocr, wrong = _wa_line()
    found = [s.value for s in find_selectors_in_ocr(ocr) if s.kind in _PHONE]
    assert found == [wrong]
    # A case number two digits away is another number: the second reading stands.
    other = IQ[:-2] + "00"
    found = [s.value for s in find_selectors_in_ocr(ocr, confirmed={other})
             if s.kind in _PHONE]
    assert found == [wrong]


def _marked(ocr, *texts: str):
    return with_digit_doubts(ocr, *texts, distance=0.57)


def _persian_line(extra: list[str] = ()) -> object:
    # "تماس ۰۵۰۱ ۲۳۴ ۵۶ ۵۴": a plain national number in Persian digits after a contact word.
    nat = "0" + TR[3:]  # 05012345654
    return ocr_of([(1, 20, ["تماس", _fa(nat[:4]), _fa(nat[4:7]), _fa(nat[7:9]),
                            _fa(nat[9:]), *extra])])


def test_plain_number_from_a_doubtful_eastern_word_is_dropped():
    assert phones(_persian_line()) == [TR]
    # One group's ink matches no digit shape: Tesseract misread it, and the number it made is
    # another valid one; it is dropped.
    nat = "0" + TR[3:]
    assert phones(_marked(_persian_line(), _fa(nat[4:7]))) == []
    assert phones(_marked(_persian_line(), _fa(nat[:4]), _fa(nat[4:7]), _fa(nat[7:9]),
                          _fa(nat[9:]))) == []


def test_doubtful_word_outside_the_number_changes_nothing():
    # A marked price after the number is no part of it.
    assert phones(_marked(_persian_line(["قیمت", "۷۵۰۰"]), "۷۵۰۰")) == [TR]


def test_doubt_marks_on_latin_digits_are_not_taken():
    nat = "0" + TR[3:]
    ocr = ocr_of([(1, 20, ["Contact", nat[:4], nat[4:7], nat[7:9], nat[9:]])])
    assert phones(_marked(ocr, nat[4:7])) == [TR]


def test_a_plus_read_as_a_four_is_read_as_the_plus():
    # "+90-501-234-54-65" read "490-501-234-54-65": no number as read, a Turkish mobile with
    # its "+".
    tr = e164("TR", "65")
    (sel,) = [s for s in find_selectors_in_ocr(ocr_result([["4" + "-".join(
        [tr[1:3], tr[3:6], tr[6:9], tr[9:11], tr[11:]])]])) if s.kind == "phone"]
    assert sel.value == tr
    assert "'+'" in sel.note
    # Only in a word whose groups dots or dashes join: groups parted by spaces may be a
    # right-to-left line in visual order ("4640 70123 0093", a space lost, read with a "+"
    # would be a New Zealand number, "4903 70123 0093" a Turkish one), or a figure before a
    # number, whose "4" is a "4".
    af = e164("AF", "4640")  # +93701234640
    assert phones(ocr_result([["سفر", "تماس", af[8:], af[3:8], "00" + af[1:3]]])) == [af]
    af2 = e164("AF", "4903")
    assert phones(ocr_result([["سفر", "تماس", af2[8:], af2[3:8], "00" + af2[1:3]]])) == [af2]
    tr2 = e164("TR", "67")
    assert phones(ocr_result([["İlan", "439", "0" + tr2[3:]]])) == [tr2]
    # And only where the number is a route's.
    assert phones(ocr_result([["Info", "4640-70123-0093"]])) == []
