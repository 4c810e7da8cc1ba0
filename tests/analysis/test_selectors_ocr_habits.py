"""Tests for the OCR habits ``find_selectors_in_ocr`` mends beyond plain reading: wrapped
right-to-left numbers, a "+" moved to the end of a lone group, two numbers on one line, the
rest of a line in another block, and the counts under a post that are no contact.

Every number is phonenumbers' example mobile number for its region with the last digits
varied (tests/analysis/ocr_fixtures.py), so none belongs to anyone.
"""

from __future__ import annotations

from analysis.selectors import find_selectors_in_ocr, region_hints
from tests.analysis.ocr_fixtures import e164, ocr_of, phones, with_second_reading

EG = e164("EG", "02")  # +201001234502
EG_A, EG_B = EG[3:5], EG[5:]  # "10", "01234502": "+20 10 01234502"
LY = e164("LY", "26")  # +218912345626
GR = e164("GR", "46")  # +306912345646


def test_rtl_number_wrapped_with_its_first_groups_in_visual_order():
    # "+20 10" ends a right-to-left line and comes back as "10 20+"; the rest wraps below.
    # Read plainly, "01234502" alone is an Italian fixed line.
    ocr = ocr_of([(1, 20, ["للتواصل", "واتساب", EG_A, "20+"]), (1, 40, [EG_B])])
    assert phones(ocr) == [EG]


def test_rtl_number_wrapped_with_its_groups_at_the_start_of_the_line():
    # Tesseract put the number's groups first in the right-to-left line.
    ocr = ocr_of([(1, 20, ["0020", EG_A, "السعر", "واتساب"]), (1, 40, [EG_B])])
    assert phones(ocr) == [EG]


def test_wrap_mending_in_rtl_lines_makes_no_number_of_a_price_and_a_year():
    ocr = ocr_of([(1, 20, ["السعر", "2500", "يورو", "2026"]), (1, 40, ["1500", "دولار"])])
    assert phones(ocr) == []


def test_lone_group_with_a_trailing_plus_is_international():
    ocr = ocr_of([(1, 20, ["للتواصل", "واتساب", f"20.{EG_A}.{EG_B}+"])])
    assert phones(ocr) == [EG]
    # A second reading that garbled it into a national number does not overrule it (its
    # national number is still added: the second reading shares digits with the line).
    with_second_reading(ocr, 1, '"12610.01234800 puss Jota!')
    assert EG in phones(ocr)


def test_second_reading_restores_an_international_number_the_first_pass_cut_short():
    ocr = ocr_of([(1, 20, ["اتصل"]), (1, 40, ["2", "20+"])])
    assert phones(ocr) == []
    with_second_reading(ocr, 2, f"\u201c{EG}")
    assert phones(ocr) == [EG]


def test_second_reading_finds_an_international_number_the_first_pass_dropped():
    ma = e164("MA", "20")
    dotted = ".".join([ma[:4], ma[4], ma[5:7], ma[7:9], ma[9:11], ma[11:]])
    ocr = ocr_of([(1, 20, ["للاستفسار"]), (1, 40, ["0", f"{LY[4:6]}-{LY[6:]}"])])
    with_second_reading(ocr, 2, f"{LY[4:6]}-{LY[6:]} {dotted}")
    assert ma in phones(ocr)
    # A national number in a second reading must still share digits with the first pass.
    ocr = ocr_of([(1, 20, ["للاستفسار"]), (1, 40, ["0", "يورو"])])
    with_second_reading(ocr, 2, "jLuduwW 9393 7500")
    assert phones(ocr) == []


def test_two_numbers_side_by_side_on_one_line():
    # Read plainly, the groups run together and only "91-2345626" is valid (in Spain).
    ocr = ocr_of([(1, 20, ["1750", "$.", "Info", "00" + LY[1:4], f"{LY[4:6]}-{LY[6:]}",
                           GR[3:6], GR[6:9], GR[9:]])])
    assert phones(ocr) == sorted([LY, GR])


def test_wrapped_line_continued_in_another_block():
    # The second line of the caption came back in a block of its own, after other text.
    ocr = ocr_of([(1, 20, ["Info", "0020", EG_A]), (2, 300, ["Contacts"]), (3, 37, [EG_B])])
    assert phones(ocr) == [EG]


def test_line_far_below_is_not_taken_for_the_rest_of_a_number():
    ocr = ocr_of([(1, 20, ["Info", "0020", EG_A]), (2, 300, ["Contacts"]), (3, 600, [EG_B])])
    assert EG not in phones(ocr)


def test_counts_under_a_post_are_no_contact():
    # "06 557 83" read plainly is an Italian fixed line.
    ocr = ocr_of([(1, 20, ["06", "557", "83", "comments", "39", "shares"])])
    assert phones(ocr) == []
    # A number written with its country code stays, whatever follows it.
    ocr = ocr_of([(1, 20, ["+" + LY[1:4], LY[4:6], LY[6:], "comments"])])
    assert phones(ocr) == [LY]


def test_iraqi_national_number_in_a_persian_advert_is_iraqi():
    # "07912345669" is a valid mobile in Iraq and in Britain.
    iq = e164("IQ", "69")
    nat = "0" + iq[4:]
    ocr = ocr_of([(1, 20, ["برای", "رزرو", "جای", "قایق", "با", "ما", "تماس", "بگیرید"]),
                  (1, 40, ["واتساپ", nat])])
    hints = region_hints(ocr.text)
    assert hints.index("IQ") < hints.index("GB")
    sels = [s for s in find_selectors_in_ocr(ocr, hints) if s.kind == "phone"]
    assert [s.value for s in sels] == [iq]
    assert "+44" + nat[1:] in sels[0].alternatives  # the British reading is kept
