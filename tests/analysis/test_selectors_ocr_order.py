"""Tests for the order ``find_selectors_in_ocr`` reads the two lines of a number wrapped at the
end of a right-to-left line in, and for a second reading of such a line's second half.

Every number is phonenumbers' example mobile number for its region with the last digits
varied (tests/analysis/ocr_fixtures.py), so none belongs to anyone.
"""

from __future__ import annotations

from analysis.selectors import find_selectors_in_ocr
from tests.analysis.ocr_fixtures import e164, ocr_result, phones, with_second_reading

IR = e164("IR", "36")  # +989123456736: "+98 912 345 6736"
IR_CC, IR_A, IR_B, IR_C = IR[1:3], IR[3:6], IR[6:9], IR[9:]
# The same groups with the last two swapped is a valid Iranian mobile number too.
IR_SWAPPED = f"+{IR_CC}{IR_A}{IR_C}{IR_B}"
TR = e164("TR", "40")  # +905012345640: "+90 501 234 56 40"


def _wrapped_in_visual_order() -> list[list[str]]:
    # The first pass reads both lines of the right-to-left paragraph right to left: the
    # first ends "912 98+" (the sign trails), the second comes back "6736 345".
    return [["سفر", "جديد", "تماس", IR_A, f"{IR_CC}+"], [IR_C, IR_B]]


def test_both_lines_of_the_first_pass_are_read_in_visual_order():
    sels = find_selectors_in_ocr(ocr_result(_wrapped_in_visual_order()))
    assert [(s.value, s.note) for s in sels if s.kind == "phone"] == [
        (IR, "number wrapped across two lines")]


def test_a_second_reading_of_the_second_line_is_read_as_it_stands():
    # The first pass garbled the second line ("0 56 234"); its English re-read, left to right,
    # gives the groups in their own order: "234 56 40", not "40 56 234".
    ocr = ocr_result([["للتواصل", "واتساب", TR[3:6], f"{TR[1:3]}+"], ["0", TR[8:10], TR[6:9]]])
    assert phones(with_second_reading(ocr, 2, f"{TR[6:9]} {TR[9:11]} {TR[11:]}")) == [TR]


def test_a_re_read_of_groups_a_mended_number_uses_adds_no_number():
    # The English re-read of "6736 345" took a mark for a "1": "1345 6736" is a valid
    # national number of its own, but its groups are the wrapped number's.
    ocr = with_second_reading(ocr_result(_wrapped_in_visual_order()), 2, f"1{IR_B} {IR_C}")
    assert phones(ocr) == [IR]


def test_a_re_read_of_groups_no_mended_number_uses_still_adds_its_number():
    # The first pass kept two groups of a Greek number and no number was mended from them:
    # the re-read that completes them is the number.
    gr = e164("GR", "46")  # +306912345646, national "691 234 5646"
    ocr = ocr_result([["سفر", "تماس"], [gr[3:6], gr[6:9]]])
    assert phones(with_second_reading(ocr, 2, f"{gr[3:6]} {gr[6:9]} {gr[9:]}")) == [gr]


IQ = e164("IQ", "03")  # +9647912345603: "+964 791 234 5603"
AF = e164("AF", "38")  # +93701234538: "0093 70 123 4538"
AF_00 = f"00{AF[1:3]} {AF[3:5]} {AF[5:8]} {AF[8:]}"


def test_a_wrapped_number_then_another_on_the_second_line_in_visual_order():
    # "اطلاعات +964 791 234 5603 0093 70 123 4538" wrapped after "+964": the first pass
    # gives the first line's lone group with its "+" trailing ("964+") and the second line
    # right to left, the second number first: "4538 123 70 0093 5603 234 791".
    second = list(reversed(f"{IQ[4:7]} {IQ[7:10]} {IQ[10:]} {AF_00}".split()))
    ocr = ocr_result([["خانواده‌ها", "اطلاعات", f"{IQ[1:4]}+"], second])
    sels = [s for s in find_selectors_in_ocr(ocr) if s.kind == "phone"]
    assert sorted((s.value, s.note) for s in sels) == sorted([
        (IQ, "number wrapped across two lines"), (AF, "numbers side by side")])


def test_no_number_when_the_rest_of_the_second_line_makes_none():
    # The same first number, and after it groups that make no valid number of their own
    # ("12 34"): nothing is cut off to mend the first one.
    second = list(reversed(f"{IQ[4:7]} {IQ[7:10]} {IQ[10:]} 12 34".split()))
    ocr = ocr_result([["خانواده‌ها", "اطلاعات", f"{IQ[1:4]}+"], second])
    assert phones(ocr) == []


MA = e164("MA", "3375")  # +212650123375: "00212 6 50 12 33 75"
# Read with the last two-digit groups in the other order, it is a valid number too.
MA_SWAPPED = f"{MA[:-4]}{MA[-2:]}{MA[-4:-2]}"


def test_a_trailing_00_country_code_shows_visual_order_too():
    # "00212 6 50" / "12 33 75" wrapped at the end of an Arabic line: the first pass gives
    # the first line's groups right to left, the "00212" last, and the second line's too.
    lines = [["للتواصل", "واتساب", "50", "6", "00212"], ["75", "1233"]]
    assert phones(ocr_result(lines)) == [MA]


def test_a_leading_country_code_shows_logical_order():
    # The same number given in logical order by the first pass: "+212 6 50 12" leads the
    # first line, and its second line "33 75" is read as it stands, not reversed.
    lines = [["+212", "6", "50", "12", "السعر", "$", "5,500", "للشخص.", "واتساب"], ["33", "75"]]
    found = phones(ocr_result(lines))
    assert found == [MA] and MA_SWAPPED not in found


def test_a_wrapped_number_after_another_on_a_line_read_again():
    # "+90 501 234 56 61 +90 501 234" / "50 57" at the end of an Arabic line: the first pass
    # gives the groups right to left, the English re-read of each line left to right, the
    # first line's Arabic word read as Latin letters at its end.
    first, wrapped = e164("TR", "5661"), e164("TR", "5057")
    ocr = ocr_result([["اطلاعات", "234", "501", "90+", "61", "56", "234", "501", "90+"],
                      ["507"]])
    ocr = with_second_reading(ocr, 1, "+90 501 234 56 61 +90 501 234 wlevbI")
    ocr = with_second_reading(ocr, 2, "50 57")
    assert phones(ocr) == sorted([first, wrapped])


def test_a_wrapped_number_after_a_whole_one_read_again():
    iq, af = e164("IQ", "5692"), e164("AF", "4500")  # +9647912345692, +93701234500
    ocr = ocr_result([["اطلاعات", "234", "791", "964+", f"{af[1:]}+"], ["5692"]])
    ocr = with_second_reading(ocr, 1, f"{af} +964 791 234 slevbl")
    assert phones(ocr) == sorted([iq, af])


def test_a_wrap_read_with_a_one_digit_last_group_is_taken_in_the_other_order():
    MA70 = e164("MA", "70")  # +212650123470: "00212 6 50 12 34 70"
    # The first pass gives the second line's groups reversed ("70 34 12 50 6"); read as they
    # stand after "00212" they make +212 703 41 25 06, a valid Moroccan mobile too. No one
    # ends a number with a one-digit group, so the other order is the number.
    groups = ["6", MA70[5:7], MA70[7:9], MA70[9:11], MA70[11:]]
    ocr = ocr_result([["قبطان", "خبرة.", "اتصل", f"00{MA70[1:4]}"], groups[::-1]])
    assert phones(ocr) == [MA70]
    assert phones(with_second_reading(ocr, 2, " ".join(groups))) == [MA70]
