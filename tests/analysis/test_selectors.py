"""Tests for analysis.selectors: phone recall and precision, links, handles, prices, OCR mending.

Every phone number is phonenumbers' example mobile number for its region with the last digits
varied, so none belongs to anyone.
"""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from analysis.ocr import OcrResult, OcrWord
from analysis.selectors import DEFAULT_REGIONS, Selector, find_selectors, find_selectors_in_ocr
from tests.analysis.ocr_fixtures import ocr_result, with_second_reading

AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def mobile(region: str, last: str = "78") -> phonenumbers.PhoneNumber:
    """The region's example mobile number with its last digits replaced."""
    ex = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    national = str(ex.national_number)
    num = phonenumbers.parse(f"+{ex.country_code}{national[: -len(last)]}{last}", None)
    assert phonenumbers.is_valid_number(num)
    return num


def e164(region: str, last: str = "78") -> str:
    return phonenumbers.format_number(mobile(region, last), PhoneNumberFormat.E164)


def intl(region: str, last: str = "78") -> str:
    return phonenumbers.format_number(mobile(region, last), PhoneNumberFormat.INTERNATIONAL)


def national(region: str, last: str = "78") -> str:
    return phonenumbers.format_number(mobile(region, last), PhoneNumberFormat.NATIONAL)


TR = e164("TR", "78")  # +905012345678
TR_DIGITS = TR[1:]

POSITIVES = [
    (f"Call {intl('TR')} now", TR),
    (f"wa.me/{TR_DIGITS}", TR),
    (f"https://api.whatsapp.com/send?phone={TR_DIGITS}&text=hello", TR),
    (f"0090 {intl('TR')[4:]}", TR),
    ("(0501) 234-56-78", TR),
    ("0501.234.56.78", TR),
    (f"{national('TR')}".translate(AR), TR),  # Arabic-Indic digits
    (f"تماس {national('IR', '89')}".translate(FA), e164("IR", "89")),  # Persian digits
    (f"{intl('TR')}".replace(" ", "\u00a0", 1).replace("501", "501\u200f"), TR),
    ("\u202a" + intl("TR") + "\u202c", TR),
    (f"Whatsapp: {intl('LY', '42')}", e164("LY", "42")),
    (f"{national('GR', '11')} Athens", e164("GR", "11")),
    (f"{intl('IQ', '55')}", e164("IQ", "55")),
    (f"{intl('GB', '99')}", e164("GB", "99")),
    (f"{intl('EG', '21')}", e164("EG", "21")),
    (f"للتواصل {intl('SY', '12')}".translate(AR), e164("SY", "12")),
    (f"{national('PK', '31')}", e164("PK", "31")),
]

NEGATIVES = [
    "Departures in 2026 and 2027",
    "price 1500€ per person",
    "1500 EUR, children 750 EUR",
    "leaves at 10:15 and 22:30",
    "on 02.03.2026 from the harbour",
    "on 02/03/2026",
    "2026-03-02 10:15:00",
    "ID 123456789",
    "١٥٠٠ يورو",
    "۱۵۰۰۰۰۰ تومان",
    "Boat 12 m, 45 places, 3 engines",
    "wa.me/90123",  # a link with a broken number is not a phone either
    "Total 15000000 TL",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_phone_recall(text, expected):
    found = [s for s in find_selectors(text, "text") if s.kind in ("phone", "whatsapp")]
    assert [s.value for s in found] == [expected]
    sel = found[0]
    assert text[sel.span[0] : sel.span[1]] == sel.shown


@pytest.mark.parametrize("text", NEGATIVES)
def test_phone_precision(text):
    assert [s for s in find_selectors(text) if s.kind in ("phone", "whatsapp")] == []


def test_recall_and_precision_over_the_table():
    hits = sum(
        any(s.value == exp for s in find_selectors(t)) for t, exp in POSITIVES
    )
    false = sum(
        1 for t in NEGATIVES for s in find_selectors(t) if s.kind in ("phone", "whatsapp")
    )
    assert hits == len(POSITIVES)
    assert false == 0


def test_spans_point_into_the_original_text():
    text = "السعر ١٥٠٠ يورو، واتساب \u200f٠٥٠١ ٢٣٤ ٥٦ ٧٨\u200f"
    sels = find_selectors(text, "text")
    assert [(s.kind, s.value) for s in sels] == [("price", "1500 EUR"), ("phone", TR)]
    for s in sels:
        assert text[s.span[0] : s.span[1]] == s.shown
    assert sels[1].shown == "٠٥٠١ ٢٣٤ ٥٦ ٧٨"


def test_whatsapp_link_is_not_also_a_phone():
    sels = find_selectors(f"wa.me/{TR_DIGITS} or {intl('TR', '79')}")
    assert [(s.kind, s.value) for s in sels] == [("whatsapp", TR), ("phone", e164("TR", "79"))]


def test_ambiguous_national_number_prefers_mobile_then_hint_order():
    iran = national("IR", "89")  # "0912 345 6789" is also a valid Italian fixed line
    (sel,) = find_selectors(iran)
    assert sel.value == e164("IR", "89")
    assert "+3909123456789" in sel.alternatives
    (sel,) = find_selectors("06 12 34 56 78", region_hints=["FR", "MA"])
    assert sel.value == "+33612345678"
    assert sel.alternatives == ["+212612345678"]
    (sel,) = find_selectors("06 12 34 56 78", region_hints=["MA", "FR"])
    assert sel.value == "+212612345678"
    # Mobile in both Britain and Iraq: the default hints list GB first; the other is kept.
    (sel,) = find_selectors(national("IQ", "55"))
    assert (sel.value, sel.alternatives[0]) == ("+447912345655", e164("IQ", "55"))
    (sel,) = find_selectors(national("IQ", "55"), region_hints=["IQ", "GB"])
    assert sel.value == e164("IQ", "55")


def test_two_numbers_separated_by_arabic_comma():
    sels = find_selectors(f"{national('TR')}، {national('TR', '79')}")
    assert [s.value for s in sels] == [TR, e164("TR", "79")]


def test_a_number_with_00_after_another_number_is_a_second_number():
    # "20 123 407 0033 6 12 34 56 20": a "+" would end the first number, and "00" does too.
    tn, fr = e164("TN", "407"), e164("FR", "20")
    text = f"Infos {national('TN', '407')} 0033 6 12 34 56 20"
    assert [s.value for s in find_selectors(text)] == [tn, fr]


def test_a_plus_trailing_a_number_does_not_lead_the_next():
    # A right-to-left line in visual order: the "+" of "+964 791 234 5603" trails it, and
    # must not be read as the sign of the national number after it.
    sels = find_selectors("اطلاعات 964-791-234-5603+ ۰۷۰ ۱۲۳ ۴۵۳۸")
    assert [s.shown for s in sels] == ["964-791-234-5603", "۰۷۰ ۱۲۳ ۴۵۳۸"]
    assert sels[0].value == e164("IQ", "5603")
    assert e164("AF", "4538") in [sels[1].value, *sels[1].alternatives]


def test_a_00_group_ending_reversed_groups_is_no_break():
    # "0090 501 234 51" given right to left ("51 234 501 0090"): the first groups are no
    # number of their own ("51 234 501" would be a Tunisian one).
    assert find_selectors("تماس 51 234 501 0090") == []
    # A country code with a group after it starts a number wrapped to the next line.
    assert [s.shown for s in find_selectors("İletişim 691 234 5634 0039 312")] == [
        "691 234 5634"]


def test_a_00_number_after_stray_digits_wins_over_a_national_reading_inside_it():
    # Stray digits read from the line's other number ("0 3"), then "0020 10 01234574": the
    # "01234574" at its end is a valid Italian fixed line, which must not hide the whole.
    eg = e164("EG", "74")
    text = "للاستفسار " + "0 3 0020 10 01234574".translate(FA)
    assert [s.value for s in find_selectors(text)] == [eg]
    assert [s.value for s in find_selectors("Infos 0 3 0020 10 01234574")] == [eg]


def test_a_group_starting_00_inside_a_number_does_not_split_it():
    # "0555 001 23 45": no number would be found across the gap, so it stays one number.
    assert [s.value for s in find_selectors("Tel 0555 001 23 45")] == ["+905550012345"]


def test_ocr_short_national_fixed_line_is_taken_for_part_of_a_number():
    # "0791 234" ending a line, the rest of "0791 234 5603" lost: a valid Italian fixed
    # line of seven digits, shorter than any Italian mobile.
    ocr = ocr_result([["تماس", "واتساپ", "0791", "234"], ["SE"]])
    assert phones(find_selectors_in_ocr(ocr)) == []
    # Written with its country code it was meant as a landline, and stays.
    ocr = ocr_result([["Ufficio", "+39", "0791", "234"]])
    assert phones(find_selectors_in_ocr(ocr)) == ["+390791234"]
    # A fixed line as long as the region's mobiles stays too ("06 1234 5678", Rome).
    ocr = ocr_result([["Ufficio", "06", "1234", "5678"]])
    assert phones(find_selectors_in_ocr(ocr, ["IT"])) == ["+390612345678"]
    # So does one whose country code trails its groups (a right-to-left line in visual
    # order; Iraq's example fixed line), and one that another hinted region reads as a
    # number of mobile length (a French fixed line; the Egyptian reading comes first).
    ocr = ocr_result([["للاتصال", "5655", "234", "1", "964+"]])
    assert phones(find_selectors_in_ocr(ocr)) == ["+96412345655"]
    ocr = ocr_result([["Tel", "01", "52", "34", "56", "09"]])
    (sel,) = find_selectors_in_ocr(ocr)
    assert "+33152345609" in [sel.value, *sel.alternatives]


def test_other_selectors():
    text = (
        "Sea Star Travel (fictional): t.me/SeaStarTravel, @Sea_Star_Travel, "
        "mail Sea.Star@Example.com, see www.Facebook.com/SeaStarFictional/. "
        "https://example.org/post?id=7) 1500€ / €1,200 / ۲۰۰۰ یورو / 900 $ / 3.000 TL / 25,50 euro"
    )
    got = [(s.kind, s.value) for s in find_selectors(text, "text")]
    assert got == [
        ("telegram", "@seastartravel"),
        ("handle", "@sea_star_travel"),
        ("email", "sea.star@example.com"),
        ("url", "facebook.com/seastarfictional"),
        ("url", "example.org/post?id=7"),
        ("price", "1500 EUR"),
        ("price", "1200 EUR"),
        ("price", "2000 EUR"),
        ("price", "900 USD"),
        ("price", "3000 TRY"),
        ("price", "25.5 EUR"),
    ]


def test_prices_in_arabic_and_persian_digits():
    sels = find_selectors("السعر ١٥٠٠ دولار — قیمت ۱۲۰۰ يورو — 800 lira — ₺500")
    assert [s.value for s in sels] == ["1500 USD", "1200 EUR", "800 TRY", "500 TRY"]
    assert all(s.found_in == "text" for s in sels)


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match="expects text"):
        find_selectors(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown region"):
        find_selectors("0501 234 56 78", region_hints=["XX"])
    assert find_selectors("") == []
    assert DEFAULT_REGIONS[0] == "TR" and len(DEFAULT_REGIONS) == 16


# -- OCR mending ---------------------------------------------------------------------------


def phones(sels: list[Selector]) -> list[str]:
    return [s.value for s in sels if s.kind == "phone"]


def test_ocr_plain_number_has_boxes():
    ocr = ocr_result([["Call", "+90", "501", "234", "56", "78"], ["today"]])
    (sel,) = find_selectors_in_ocr(ocr)
    assert (sel.value, sel.found_in, sel.shown) == (TR, "ocr", "+90 501 234 56 78")
    assert ocr.text[sel.span[0] : sel.span[1]] == sel.shown
    assert len(sel.boxes) == 5 and sel.boxes[0] == ocr.words[1].box


def test_ocr_number_wrapped_across_two_lines():
    ocr = ocr_result([["WhatsApp", "+90", "501", "234"], ["56", "78", "Sea", "Star"]])
    assert phones(find_selectors(ocr.text)) == []
    (sel,) = find_selectors_in_ocr(ocr)
    assert sel.value == TR
    assert sel.note == "number wrapped across two lines"
    assert sel.shown == "+90 501 234\n56 78"
    assert len(sel.boxes) == 5


def test_ocr_rtl_line_with_groups_in_visual_order():
    ocr = ocr_result([["78", "56", "234", "501", "90+", "واتساب"]])
    (sel,) = find_selectors_in_ocr(ocr)
    assert sel.value == TR
    assert sel.note == "digit groups read in visual order"
    ocr = ocr_result([["٧٨", "٥٦", "٢٣٤", "٥٠١", "٠", "للتواصل"]])
    assert phones(find_selectors_in_ocr(ocr)) == [TR]


def test_ocr_trailing_plus_without_arabic_letters():
    ocr = ocr_result([["tel", "78", "56", "234", "501", "90+"]])
    assert phones(find_selectors_in_ocr(ocr)) == [TR]


def test_ocr_mending_makes_no_false_positives():
    cases = [
        [["Friday", "2026"], ["10", "15", "departure"]],  # year and time on two lines
        [["السعر", "1500", "2026", "10"]],  # numbers in an RTL line that are no phone
        [["price", "1500"], ["2000", "euro"]],
        [["12", "34", "99", "99", "99"], ["11", "11", "11"]],
    ]
    for lines in cases:
        assert phones(find_selectors_in_ocr(ocr_result(lines))) == []


def test_ocr_forward_number_in_rtl_line_is_not_doubled():
    ocr = ocr_result([["واتساب", "+90", "501", "234", "56", "78"]])
    assert phones(find_selectors_in_ocr(ocr)) == [TR]


def test_ocr_without_words_falls_back_to_text():
    ocr = OcrResult(f"call {intl('TR')}", 0.0, [], "tesseract", None, {}, None)
    assert phones(find_selectors_in_ocr(ocr)) == [TR]


def test_ocr_number_in_mixed_digit_scripts_is_flagged():
    ocr = ocr_result([["واتساب", "۰۵۰۱", "234", "٥٦", "78"]])
    (sel,) = find_selectors_in_ocr(ocr)
    assert sel.value == TR
    assert "mixed scripts" in sel.note
    (sel,) = find_selectors_in_ocr(ocr_result([["۰۵۰۱", "۲۳۴", "۵۶", "۷۸"]]))
    assert sel.note == ""


# -- found by measuring on the synthetic screenshots (bench/ocr_accuracy.py) ---------------------


def test_whatsapp_link_stops_at_the_line_end_and_before_a_count():
    gr = e164("GR", "789")
    link = "wa.me/" + gr[1:]
    for text in (f"{link}\n11,034 09:53", f"{link} 11 comments"):
        sels = [(s.kind, s.value) for s in find_selectors(text) if s.kind in ("whatsapp", "phone")]
        assert sels == [("whatsapp", gr)], text


def test_currency_on_the_next_line_makes_no_price_of_a_number():
    it = e164("IT", "93")
    sels = find_selectors(f"{it}\n€ 1.3K 189 comments")
    assert phones(sels) == [it]
    assert [s.value for s in sels if s.kind == "price"] == ["1.3 EUR"]


def test_national_premium_rate_number_is_no_contact():
    num = phonenumbers.example_number_for_type("IT", phonenumbers.PhoneNumberType.PREMIUM_RATE)
    nat = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert phones(find_selectors(f"likes {nat}", region_hints=["IT"])) == []
    intl = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert phones(find_selectors(f"call {intl}", region_hints=["IT"])) == [
        phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)]


def test_ocr_rtl_groups_with_dashes_beat_a_national_reading_of_part():
    ly = e164("LY", "96")  # +218912345696
    tokens = [f"{ly[4:6]}-{ly[6:]}", f"{ly[1:4]}+"]  # "91-2345696 218+": visual order
    plain = find_selectors_in_ocr(ocr_result([["Contact", *tokens]]))
    sels = [s for s in find_selectors_in_ocr(ocr_result([["واتساب", *tokens]]))
            if s.kind == "phone"]
    assert [(s.value, s.note) for s in sels] == [(ly, "digit groups read in visual order")]
    assert phones(plain) == [ly]  # the trailing plus alone marks visual order


def test_ocr_second_reading_replaces_a_national_misreading_of_its_line():
    ir = e164("IR", "00")  # +989123456700
    nat = national("IR", "00")  # 0912 345 6700
    # The first pass misread the groups: "06 3450 9123" is a valid Moroccan mobile.
    ocr = ocr_result([["تماس", "واتساپ"], ["06", "3450", "9123"]])
    assert phones(find_selectors_in_ocr(ocr)) == ["+212634509123"]
    sels = find_selectors_in_ocr(with_second_reading(ocr, 2, nat))
    assert [(s.value, s.note) for s in sels if s.kind == "phone"] == [
        (ir, "read again with the English model")]


def test_ocr_second_reading_is_not_trusted_over_an_international_number():
    tr = e164("TR")
    ocr = with_second_reading(ocr_result([["Call", *intl("TR").split()]]), 1, national("GB"))
    assert sorted(phones(find_selectors_in_ocr(ocr))) == sorted([tr, e164("GB")])


def test_ocr_wrapped_number_mended_with_the_second_reading():
    ir = e164("IR", "00")
    groups = national("IR", "00")[1:].split()  # 912 345 6700
    # The first pass garbled a group of the second line ("345" read "3A5").
    ocr = ocr_result([["تماس", "واتساپ", "0098"], [groups[2], "3A5", groups[0]]])
    assert phones(find_selectors_in_ocr(ocr)) == []
    sels = find_selectors_in_ocr(with_second_reading(ocr, 2, " ".join(groups)))
    assert [(s.value, s.note) for s in sels if s.kind == "phone"] == [
        (ir, "number wrapped across two lines")]


def test_ocr_second_reading_of_a_wrapped_half_adds_no_other_number():
    ly = e164("LY", "96")  # +218912345696
    ocr = ocr_result([["للاستفسار", "00" + ly[1:4]], [f"{ly[4:6]}-6"]])  # "91-6": groups lost
    sels = find_selectors_in_ocr(with_second_reading(ocr, 2, f"{ly[4:6]}-{ly[6:]}"))
    # "91-2345696" alone is a valid Spanish fixed line; here it is the end of the Libyan number.
    assert [(s.value, s.note) for s in sels if s.kind == "phone"] == [
        (ly, "number wrapped across two lines")]


# -- region hints per item and plausibility ------------------------------------------------------


def example_mobile(region: str, last: str) -> tuple[str, str]:
    """(national format with the last digits replaced, E.164) of the region's example mobile."""
    num = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    national = str(num.national_number)
    num = phonenumbers.parse("+" + str(num.country_code) + national[: -len(last)] + last)
    assert phonenumbers.is_valid_number(num)
    return (phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL).replace(" ", ""),
            phonenumbers.format_number(num, PhoneNumberFormat.E164))


def test_region_hints_follow_script_language_and_other_numbers():
    from analysis.selectors import region_hints

    persian = "برای رزرو جای قایق با ما تماس بگیرید، پیش پرداخت لازم نیست"
    assert region_hints(persian)[:2] == ("AF", "IR")
    assert region_hints("Tekne için şimdi arayın, gidiş her gün")[0] == "TR"
    libyan = example_mobile("LY", "17")[1]
    arabic = f"للحجز اتصل على واتساب {libyan} أو على الرقم التالي"
    assert region_hints(arabic)[0] == "LY"
    assert region_hints("plain text")[:3] == DEFAULT_REGIONS[:3]
    assert region_hints("anything", language="fa")[:2] == ("AF", "IR")
    # Nothing is added or dropped: a region the caller did not hint stays out.
    assert region_hints(persian, base=("IT", "GR")) == ("IT", "GR")
    assert sorted(region_hints(arabic)) == sorted(DEFAULT_REGIONS)
    with pytest.raises(TypeError, match="expects text"):
        region_hints(None)  # type: ignore[arg-type]


def test_afghan_national_number_in_a_persian_advert_is_afghan():
    from analysis.selectors import region_hints

    national, e164 = example_mobile("AF", "59")
    assert national.startswith("07")
    text = f"برای رزرو جای قایق با ما تماس بگیرید {national}"
    # With the default order it reads as a Moroccan mobile, the Afghan reading kept aside.
    (plain,) = phones(find_selectors(text))
    assert plain.startswith("+212")
    (sel,) = [s for s in find_selectors(text, region_hints=region_hints(text))
              if s.kind == "phone"]
    assert sel.value == e164 and plain in sel.alternatives


def test_ocr_garbled_line_gives_no_repeated_digit_number():
    ocr = ocr_result([["Sea", "Star", "Travel"], ["600000000", "ll"]])
    assert phones(find_selectors(ocr.text)) == ["+34600000000"]
    assert phones(find_selectors_in_ocr(ocr)) == []
    # A number with ordinary digits on the same kind of line is kept.
    ocr = ocr_result([["Sea", "Star", "Travel"], ["612345678", "ll"]])
    assert phones(find_selectors_in_ocr(ocr)) == ["+34612345678"]


def test_ocr_repeated_digits_kept_when_written_in_full_and_read_surely():
    ocr = ocr_result([["Call", "+34", "600", "000", "000"]])
    assert phones(find_selectors_in_ocr(ocr)) == ["+34600000000"]
    ocr.words = [OcrWord(w.text, 30.0, w.box, w.block, w.par, w.line, w.word)
                 for w in ocr.words]
    assert phones(find_selectors_in_ocr(ocr)) == []


def test_ocr_two_rtl_numbers_side_by_side_in_visual_order():
    # "+964 791 234 5686" and "+218 91-2345617" in a right-to-left line, groups reversed.
    ocr = ocr_result([["للاستفسار", "5686", "234", "791", "964+", "91-2345617", "218+"]])
    assert sorted(phones(find_selectors_in_ocr(ocr))) == sorted(
        [e164("IQ", "86"), e164("LY", "17")])
    # The "+" that ends one number never starts the next: no "+91 2345617218".
    assert "+912345617218" not in phones(find_selectors(ocr.text))


def test_national_number_is_read_in_every_hinted_region():
    from analysis.selectors import region_hints

    # libphonenumber's matcher cuts this line differently per region: in TR it finds nothing
    # after the Afghan number, in IT it finds an Italian fixed line.
    text = f"{national('AF', '59').replace(' ', '')} 0501 23455 91"
    hints = region_hints("", "fa")
    assert phones(find_selectors(text, region_hints=hints)) == [
        e164("AF", "59"), e164("TR", "91").replace("5691", "5591")]


def test_ocr_number_region_follows_the_post_it_is_in():
    from analysis.selectors import region_hints

    ocr = ocr_result([
        ["سفر", "آمن", "من", "الإسكندرية", "إلى", "اليونان", "يوجد", "أماكن", "يوم", "الثلاثاء"],
        ["العائلات", "مرحب", "بها", "للاستفسار", intl("LY", "17")],
        ["Golden", "Anchor", "Journeys", "(fictional)"],
        ["سفر", "جديد", "شب", "یکشنبه", "به", "یونان", "از", "ترکیه"],
        ["تماس", "4559", "070123"],
    ])
    hints = region_hints(ocr.text)
    assert hints[0] == "LY"  # the item as a whole reads as Arabic with a Libyan number
    found = {s.value: s for s in find_selectors_in_ocr(ocr, hints) if s.kind == "phone"}
    assert set(found) == {e164("LY", "17"), e164("AF", "59")}
    # Read by the item's hints it would be Moroccan; that reading stays as an alternative.
    assert any(a.startswith("+212") for a in found[e164("AF", "59")].alternatives)


def test_ocr_eastern_reading_beside_a_latin_number_is_its_own_number():
    # The digit-shape reader's regrouping of a line: a Libyan number in Arabic-Indic digits,
    # then the Iraqi number in Latin digits still in visual order.
    line = f"{national('LY', '17').replace('-', ' ')}".translate(AR) + " 5686 234 791 964+"
    assert phones(find_selectors(line)) == [e164("LY", "17")]
    ocr = ocr_result([["للاستفسار", "5686", "234", "791", "964+"]])
    ocr.words.insert(0, OcrWord("٢٣٤٥٦١٧٠٩١", 40.0, (0, 18, 8, 37), 1, 1, 1, 0))
    ocr.text = "٢٣٤٥٦١٧٠٩١ " + ocr.text
    assert phones(find_selectors_in_ocr(ocr)) == [e164("IQ", "86")]
    with_second_reading(ocr, 1, line)
    assert sorted(phones(find_selectors_in_ocr(ocr))) == sorted(
        [e164("IQ", "86"), e164("LY", "17")])


def test_ocr_english_reading_never_overrules_eastern_digits():
    af = national("AF", "59").replace(" ", "").translate(FA)
    ocr = ocr_result([["تماس", "واتساپ", af]])
    with_second_reading(ocr, 1, f"{intl('TR', '91')} -2-")
    assert sorted(phones(find_selectors_in_ocr(ocr, ("AF", "TR")))) == sorted(
        [e164("AF", "59"), e164("TR", "91")])


def test_ocr_wrapped_number_followed_by_another_number():
    ocr = ocr_result([["Infos", "00212", "6", "50"], ["12", "34", "28", "20123491"]])
    assert sorted(phones(find_selectors_in_ocr(ocr))) == sorted(
        [e164("MA", "28"), e164("TN", "91")])


def test_ocr_second_reading_finds_no_number_where_the_first_saw_no_digits():
    ocr = ocr_result([["0", "يورو", "للاستفسار", "wa.me/" + e164("IQ", "86")[1:]]])
    with_second_reading(ocr, 1, f"wa.me/{e164('IQ', '86')[1:]} jLuduwW 9393 7500")
    assert phones(find_selectors_in_ocr(ocr)) == []
    assert [s.value for s in find_selectors_in_ocr(ocr) if s.kind == "whatsapp"] == [
        e164("IQ", "86")]
