"""Tests for how ``find_selectors_in_ocr`` reads a number against the lines around it: a
wrapped number followed by another on the second line, a price line above a number, the line
of counts under a post, stray one-digit groups, and second readings that share only a price.

Every number is phonenumbers' example mobile number for its region with the last digits
varied (tests/analysis/ocr_fixtures.py), so none belongs to anyone.
"""

from __future__ import annotations

from analysis.selectors import find_selectors
from tests.analysis.ocr_fixtures import e164, ocr_of, phones

LY = e164("LY", "26")  # +218912345626
GR = e164("GR", "46")  # +306912345646
IQ = e164("IQ", "32")  # +9647912345632
FR = e164("FR", "76")  # +33612345676
MA = e164("MA", "10")  # +212650123410
FR_NAT = e164("FR", "19")  # +33612345619, shown "06 12 34 56 19"


def test_wrapped_international_number_followed_by_a_national_one():
    # "Info +218" / "91-2345626 691 234 5846": read plainly only the Spanish-looking
    # "91-2345626" is valid, and the whole second line makes no number with "+218".
    ocr = ocr_of([(1, 20, ["welcome.", "£6750.", "Info", "+" + LY[1:4]]),
                  (1, 40, [f"{LY[4:6]}-{LY[6:]}", GR[3:6], GR[6:9], GR[9:]])])
    assert phones(ocr) == sorted([LY, GR])


def test_wrapped_number_cut_short_takes_no_stray_digit_as_its_end():
    # The first pass cut "0033 6 12 34 56 19" short; the "4 ۴" below is an icon and a mark,
    # and "0033 6 12 34 56 94" would be a valid number nobody wrote.
    ocr = ocr_of([(1, 20, ["WhatsApp", "0033", "6", "12", "34", "56", "9"]),
                  (1, 40, ["4", "۴", "اس"])])
    assert phones(ocr) == []


def test_wrapped_number_stops_before_a_plus_on_the_second_line():
    # "Infos 06 50 12" / "34 10 +33 6 12 34 56 76": two numbers, the second with its "+".
    nat = "0" + MA[4:]  # 0650123410
    ocr = ocr_of([(1, 20, ["places", "pour", "samedi.", "Infos", nat[:2], nat[2:4], nat[4:6]]),
                  (1, 40, [nat[6:8], nat[8:], "+33", FR[3], FR[4:6], FR[6:8], FR[8:10],
                           FR[10:]])])
    found = phones(ocr)
    assert FR in found
    assert len(found) == 2
    assert any(v.endswith(nat[1:]) for v in found)  # Moroccan or French: the case decides


def test_price_on_the_line_above_does_not_make_a_number_a_price():
    text = "فقط 4.750 دولار\n" + IQ + " اتصل"
    sels = find_selectors(text, "ocr")
    assert [s.value for s in sels if s.kind == "phone"] == [IQ]
    assert [s.value for s in sels if s.kind == "price"] == ["4750 USD"]
    # Still a price right before the number on its own line.
    assert [s for s in find_selectors("دولار " + IQ[4:], "ocr") if s.kind == "phone"] == []


def test_counts_line_is_not_the_rest_of_a_wrapped_number():
    # "06 12 34 19" (a group lost) over "60 2.8K 405 comments": "06 12 34 19 60" is a valid
    # Moroccan number made of a reaction icon.
    nat = "0" + FR_NAT[3:]
    ocr = ocr_of([(1, 20, ["Contact", nat[:2], nat[2:4], nat[4:6], nat[8:]]),
                  (1, 40, ["60", "2.8K", "405", "comments", "189", "shares"])])
    assert not any(v.endswith("60") for v in phones(ocr))


def test_scattered_one_digit_groups_are_no_national_number():
    # Icons and a status bar read as digits in a row ("8 ۲ 3 ١٤١١ ۲ 6" is a Spanish line).
    ocr = ocr_of([(1, 20, ["8", "۲", "3", "١٤١١", "۲", "6", "Contact", "1"])])
    assert phones(ocr) == []
    # One-digit groups after a country code are how a number is written.
    ocr = ocr_of([(1, 20, ["Contact", f"+212-{MA[4]}-{MA[5:7]}-{MA[7:9]}-{MA[9:11]}-{MA[11:]}"])])
    assert phones(ocr) == [MA]


def test_second_reading_sharing_only_a_price_adds_no_number():
    # The English model read the Arabic words of "السعر 7250 يورو ..." as "9593 7250": a valid
    # Tunisian number whose only digits in common with the line are the price's.
    ocr = ocr_of([(1, 20, ["السعر", "7250", "يورو", "للشخص.", "للتواصل", "واتساب"])])
    words = [w.box for w in ocr.words]
    box = [min(b[0] for b in words), min(b[1] for b in words), max(b[2] for b in words),
           max(b[3] for b in words)]
    ocr.settings["line_readings"] = [{"text": "Lud huolgall 9593 7250 paul", "box": box}]
    assert phones(ocr) == []
    # A second reading that shares a run of digits with a number of the line still counts.
    ocr = ocr_of([(1, 20, ["Contact", "06", "12", "34", "19"])])
    words = [w.box for w in ocr.words]
    box = [min(b[0] for b in words), min(b[1] for b in words), max(b[2] for b in words),
           max(b[3] for b in words)]
    ocr.settings["line_readings"] = [{"text": "Contact 06 12 3456 19", "box": box}]
    assert any(v.endswith("612345619") for v in phones(ocr))


def test_whole_national_number_beside_another_on_one_line():
    # "07400123494 312 345 6852": a British number in one group, then an Italian one; read
    # plainly the groups run together and only the British number is found.
    gb = e164("GB", "94")  # +447400123494
    it = e164("IT", "52")  # +393123456852
    ocr = ocr_of([(1, 20, ["Call", "0" + gb[3:], it[3:6], it[6:9], it[9:]])])
    assert phones(ocr) == sorted([gb, it])
    # Groups of one national number are not parted.
    tr = e164("TR", "16")  # +905012345616
    ocr = ocr_of([(1, 20, ["Call", "0" + tr[3:6], tr[6:9], tr[9:11], tr[11:]])])
    assert phones(ocr) == [tr]


def test_two_national_numbers_side_by_side():
    # "06 50 12 30 11 06 50 12 34 42": the matcher takes the groups as one run and finds
    # nothing in it; each number starts with its trunk 0.
    a, b = e164("MA", "3011"), e164("MA", "3442")
    ocr = ocr_of([(1, 20, ["Infos", "06", "50", "12", "30", "11", "06", "50", "12", "34", "42"])])
    assert phones(ocr) == [a, b]


def test_a_run_of_national_groups_is_split_only_into_numbers():
    # A reference or a list of days: the leading groups make a valid Italian number, but
    # the rest makes none, so these are not two numbers side by side.
    assert phones(ocr_of([(1, 20, ["Ref", "01", "23", "45", "67", "89", "10", "11"])])) == []


def test_a_lone_national_number_is_read_as_it_stands():
    from analysis.selectors import find_selectors_in_ocr

    (sel,) = find_selectors_in_ocr(ocr_of([(1, 20, ["Infos", "06", "50", "12", "30", "11"])]))
    assert (sel.value, sel.note) == (e164("MA", "3011"), "")


def test_a_wrapped_number_after_another_number_on_its_first_line():
    # "691 234 5634 0039 312" / "345 6729": the country code starts the wrapped number.
    ocr = ocr_of([(1, 20, ["İletişim", "691", "234", "5634", "0039", "312"]),
                  (1, 40, ["345", "6729"])])
    assert phones(ocr) == sorted([e164("GR", "5634"), e164("IT", "6729")])


def test_a_whole_national_number_after_an_international_one():
    # "+964 791 234 5603 0701234538": the trunk 0 of a ten-digit group starts a number.
    sels = find_selectors("Info +964 791 234 5603 0701234538")
    assert [s.shown for s in sels] == ["+964 791 234 5603", "0701234538"]
    assert sels[0].value == e164("IQ", "5603")
