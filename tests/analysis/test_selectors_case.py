"""Case-wide settling of national numbers valid in several countries (``resolve_case_regions``).

Numbers are phonenumbers' example mobiles with the last digits varied, so plainly fictional.
"""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from analysis.selectors import (
    SEEN_INTERNATIONAL,
    CasePhone,
    find_selectors,
    phone_readings,
    resolve_case_regions,
    seen_in_international_form,
)
from tests.analysis.ocr_fixtures import ocr_result


def example(region: str, last: str) -> tuple[str, str, str]:
    """(E.164, national form, international form) of ``region``'s example mobile."""
    num = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    nsn = str(num.national_number)
    num = phonenumbers.parse(nsn[: -len(last)] + last, region)
    return (phonenumbers.format_number(num, PhoneNumberFormat.E164),
            phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL))


FR = example("FR", "19")  # "06 12 34 56 19": also a valid Moroccan mobile


def phone(shown: str) -> CasePhone:
    sel = next(s for s in find_selectors(shown) if s.kind == "phone")
    return CasePhone(sel.kind, sel.value, sel.shown)


def test_french_national_number_reads_as_moroccan_alone():
    national = phone(f"Infos {FR[1]}")
    assert national.value != FR[0] and national.value.startswith("+212")
    readings = phone_readings(national.value, national.shown)
    assert readings[0] == national.value and FR[0] in readings


def test_reading_seen_in_international_form_wins():
    national, intl = phone(f"Infos {FR[1]}"), phone(f"WhatsApp {FR[2]}")
    choices = resolve_case_regions([national, intl])
    assert [c.value for c in choices] == [FR[0], FR[0]]
    assert choices[0].basis == SEEN_INTERNATIONAL and choices[0].evidence == (FR[0],)
    assert choices[1].basis == "" and choices[1].evidence == ()


def test_whatsapp_link_is_international_evidence():
    national = phone(f"Infos {FR[1]}")
    link = CasePhone("whatsapp", FR[0], f"wa.me/{FR[0][1:]}")
    assert resolve_case_regions([national, link])[0].value == FR[0]


def test_without_evidence_the_items_own_choice_stands():
    national = phone(f"Infos {FR[1]}")
    other = phone(f"WhatsApp {example('TR', '42')[2]}")
    choices = resolve_case_regions([national, other])
    assert choices[0].value == national.value and choices[0].basis == ""


def test_the_items_choice_stays_when_it_is_one_of_several_seen():
    national = phone(f"Infos {FR[1]}")
    moroccan = CasePhone("phone", national.value, "+" + national.value[1:])
    french = CasePhone("phone", FR[0], FR[2])
    assert resolve_case_regions([national, french, moroccan])[0].value == national.value


def test_seen_may_come_from_the_rest_of_the_case():
    national = phone(f"Infos {FR[1]}")
    seen = seen_in_international_form([phone(FR[2]), phone(f"Infos {FR[1]}")])
    assert seen == {FR[0]}
    assert resolve_case_regions([national], seen=seen)[0].value == FR[0]


def test_a_number_that_shows_its_country_is_never_changed():
    intl = phone(f"WhatsApp {example('MA', '19')[2]}")
    assert phone_readings(intl.value, intl.shown) == ()
    assert resolve_case_regions([intl], seen={FR[0]})[0].value == intl.value


def test_readings_from_a_whole_reread_line_and_from_visual_order():
    national = phone(f"Infos {FR[1]}")
    line = "Traversée encore des places. €5.500. Infos 06 12 34 6\n19"
    assert FR[0] in phone_readings(national.value, line)
    reversed_groups = " ".join(reversed(FR[1].split()))
    assert FR[0] in phone_readings(national.value, reversed_groups)
    # Groups in visual order with "00" and the country code at the end show the country.
    assert phone_readings(national.value, reversed_groups + " 00212") == ()
    # A number of a country outside the hints is not open to a choice of region.
    german = example("DE", "19")
    assert phone_readings(german[0], german[1]) == ()


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match="CasePhone"):
        resolve_case_regions(["+33612345619"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="Unknown region"):
        resolve_case_regions([phone(FR[1])], ["XX"])


IT = example("IT", "52")  # "312 345 6852": no trunk 0


def test_wrapped_number_without_trunk_zero_is_mended_only_when_the_case_confirms_it():
    from analysis.selectors import CONFIRMED_NOTE, find_selectors_in_ocr

    first, *rest = IT[1].split()
    ocr = ocr_result([["Départ", "lundi.", "Infos", first], [*rest, "Sea", "Star"]])
    assert IT[0] not in [s.value for s in find_selectors_in_ocr(ocr)]
    assert IT[0] not in [s.value for s in find_selectors_in_ocr(ocr, confirmed={FR[0]})]
    mended = [s for s in find_selectors_in_ocr(ocr, confirmed={IT[0]}) if s.value == IT[0]]
    assert len(mended) == 1 and CONFIRMED_NOTE in mended[0].note
    # A price and a year mend to no confirmed number.
    price = ocr_result([["Prix", "3500"], ["2026", "places"]])
    assert [s for s in find_selectors_in_ocr(price, confirmed={IT[0]}) if s.kind == "phone"] == []
