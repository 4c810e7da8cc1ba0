"""Plainly fictional advert text: phone numbers, prices and departure notices.

Owns phone-number generation (phonenumbers example mobiles with the last digits varied,
checked valid), the ways adverts write numbers (spaced, 00-prefixed, compact national, dots,
dashes, wa.me links, Arabic-Indic and Persian digits) and advert templates in English,
Arabic, Persian, French and Turkish.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

REGIONS = ("TR", "LY", "TN", "EG", "MA", "IT", "GR", "GB", "IR", "AF", "IQ", "SY", "FR")
LANGUAGES = ("en", "ar", "fa", "fr", "tr")
RTL_LANGUAGES = ("ar", "fa")
# Regions whose numbers each language's adverts most often carry.
LANG_REGIONS = {
    "en": ("GB", "TR", "LY", "IT", "GR"),
    "ar": ("LY", "EG", "TN", "IQ", "SY", "TR", "MA"),
    "fa": ("IR", "AF", "TR", "IQ"),
    "fr": ("FR", "MA", "TN", "IT"),
    "tr": ("TR", "GR", "IT"),
}
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
PHONE_STYLES = (
    "international", "intl_00", "national", "national_compact", "dots", "dashes", "e164",
    "wame",
)


def to_digits(text: str, system: str) -> str:
    """Rewrite ASCII digits in `system` ("latin", "arabic_indic" or "persian")."""
    if system == "latin":
        return text
    table = ARABIC_INDIC if system == "arabic_indic" else PERSIAN
    return text.translate(str.maketrans("0123456789", table))


def make_phone(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    """An example mobile number for `region` with its last 2-3 digits varied, checked valid."""
    base = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if base is None:
        raise ValueError(f"phonenumbers has no example mobile number for region {region!r}.")
    nsn = str(base.national_number)
    for _ in range(50):
        k = rng.choice((2, 3))
        cand = nsn[:-k] + "".join(rng.choice("0123456789") for _ in range(k))
        num = phonenumbers.parse("+" + str(base.country_code) + cand)
        if phonenumbers.is_valid_number(num):
            return num
    return base


def e164(num: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def format_phone(num: phonenumbers.PhoneNumber, style: str, digits: str = "latin") -> str:
    """Write a number the way adverts do; `digits` switches the digit system."""
    intl = phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    nat = phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)
    cc = str(num.country_code)
    if style == "international":
        out = intl
    elif style == "intl_00":
        out = "00" + intl[1:]
    elif style == "national":
        out = nat
    elif style == "national_compact":
        out = "".join(ch for ch in nat if ch.isdigit())
    elif style == "dots":
        out = intl.replace(" ", ".").replace("-", ".")
    elif style == "dashes":
        out = intl.replace(" ", "-")
    elif style == "e164":
        out = e164(num)
    elif style == "wame":
        out = "wa.me/" + cc + str(num.national_number)
    else:
        raise ValueError(f"Unknown phone style {style!r}.")
    if digits != "latin":
        # Adverts in Arabic-Indic digits drop the plus sign and write the 00 prefix.
        out = to_digits(out.replace("+", "00"), digits)
    return out


@dataclass
class PhoneShown:
    e164: str
    shown: str
    style: str
    digits: str

    def as_dict(self) -> dict:
        return {"e164": self.e164, "shown": self.shown, "style": self.style,
                "digits": self.digits}


@dataclass
class Advert:
    language: str
    text: str
    phones: list[PhoneShown] = field(default_factory=list)
    price: str = ""


_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "tr": ("Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar"),
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "fa": ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"),
}
_DEST = {
    "en": ("Italy", "Lampedusa", "Greece", "Crete", "Malta", "the UK", "Germany"),
    "fr": ("l'Italie", "Lampedusa", "la Grèce", "Malte", "la France", "l'Espagne"),
    "tr": ("İtalya", "Yunanistan", "Midilli", "Sisam", "Girit", "Almanya"),
    "ar": ("إيطاليا", "لامبيدوزا", "اليونان", "مالطا", "كريت", "ألمانيا"),
    "fa": ("ایتالیا", "یونان", "آلمان", "جزیره", "اروپا", "فرانسه"),
}
_ORIGIN = {
    "en": ("Zuwara", "Sfax", "Izmir", "Bodrum", "Tobruk", "the coast"),
    "fr": ("Sfax", "Zarzis", "Nador", "Tanger", "la côte"),
    "tr": ("İzmir", "Bodrum", "Çeşme", "Ayvalık", "Marmaris"),
    "ar": ("زوارة", "صفاقس", "طبرق", "الإسكندرية", "إزمير", "بنغازي"),
    "fa": ("ازمیر", "بدروم", "استانبول", "وان", "ترکیه"),
}
_TEMPLATES = {
    "en": (
        "Trips to {dest} every {day}. Departure from {origin}. Price {price} per person. "
        "Contact WhatsApp {phone}",
        "New trip {day} night to {dest}. Big boat, life jackets for everyone, captain with "
        "experience. {price} only. Call or WhatsApp {phone}",
        "Safe travel {origin} to {dest}, places left for {day}. Families welcome. {price}. "
        "Info {phone} {phone2}",
    ),
    "fr": (
        "Voyage vers {dest} chaque {day}. Départ de {origin}. Prix {price} par personne. "
        "WhatsApp {phone}",
        "Nouveau départ {day} soir pour {dest}, grand bateau, gilets pour tous. {price} "
        "seulement. Contact {phone}",
        "Traversée sûre {origin} - {dest}, encore des places pour {day}. {price}. "
        "Infos {phone} {phone2}",
    ),
    "tr": (
        "{dest} seferleri her {day}. {origin} çıkışlı. Kişi başı {price}. Bilgi için "
        "WhatsApp {phone}",
        "Yeni sefer {day} gecesi {dest} yönüne. Büyük tekne, herkese can yeleği. Sadece "
        "{price}. Arayın {phone}",
        "Güvenli yolculuk {origin} - {dest}, {day} için yer var. Aileler kabul. {price}. "
        "İletişim {phone} {phone2}",
    ),
    "ar": (
        "رحلات إلى {dest} كل يوم {day}. الانطلاق من {origin}. السعر {price} للشخص. "
        "للتواصل واتساب {phone}",
        "رحلة جديدة ليلة {day} إلى {dest} قارب كبير وسترات نجاة للجميع وقبطان خبرة. "
        "فقط {price} اتصل {phone}",
        "سفر آمن من {origin} إلى {dest} يوجد أماكن يوم {day} العائلات مرحب بها. {price} "
        "للاستفسار {phone} {phone2}",
    ),
    "fa": (
        "سفر به {dest} هر {day}. حرکت از {origin}. قیمت {price} برای هر نفر. تماس واتساپ "
        "{phone}",
        "سفر جدید شب {day} به {dest} قایق بزرگ و جلیقه نجات برای همه. فقط {price} "
        "تماس {phone}",
        "سفر امن از {origin} به {dest} برای {day} جا داریم. خانواده‌ها پذیرفته می‌شوند. "
        "{price} اطلاعات {phone} {phone2}",
    ),
}
_CURRENCY = {
    "en": ("€", "$", "£", "EUR", "USD"),
    "fr": ("€", "euros", "$", "dinars"),
    "tr": ("€", "$", "₺", "TL", "Euro"),
    "ar": ("يورو", "دولار", "دينار", "€", "$"),
    "fa": ("یورو", "دلار", "تومان", "€"),
}
BANNER_WORDS = {
    "en": ("Trip", "Call", "Price"),
    "fr": ("Départ", "Appel", "Prix"),
    "tr": ("Sefer", "Ara", "Fiyat"),
    "ar": ("رحلة", "اتصل", "السعر"),
    "fa": ("سفر", "تماس", "قیمت"),
}


def price_text(rng: random.Random, language: str) -> str:
    """A price in one of the currencies and digit systems adverts in `language` use."""
    amount = rng.choice(range(1500, 9001, 250))
    cur = rng.choice(_CURRENCY[language])
    sep = rng.choice(("", ",", "."))
    num = f"{amount:,}".replace(",", sep) if sep else str(amount)
    if language == "ar" and rng.random() < 0.5:
        num = to_digits(num.replace(",", "٬").replace(".", "٬"), "arabic_indic")
    elif language == "fa" and rng.random() < 0.6:
        num = to_digits(num.replace(",", "٬").replace(".", "٬"), "persian")
    if cur in ("€", "$", "£", "₺") and rng.random() < 0.5:
        return f"{cur}{num}" if language not in RTL_LANGUAGES else f"{num} {cur}"
    return f"{num} {cur}"


def choose_style(rng: random.Random, language: str) -> tuple[str, str]:
    """A (style, digit system) pair typical for adverts in `language`."""
    style = rng.choice(PHONE_STYLES)
    digits = "latin"
    if style in ("intl_00", "national", "national_compact"):
        if language == "ar" and rng.random() < 0.4:
            digits = "arabic_indic"
        elif language == "fa" and rng.random() < 0.5:
            digits = "persian"
    return style, digits


def show_phone(rng: random.Random, num_e164: str, language: str) -> PhoneShown:
    num = phonenumbers.parse(num_e164)
    style, digits = choose_style(rng, language)
    return PhoneShown(num_e164, format_phone(num, style, digits), style, digits)


def make_advert(rng: random.Random, language: str, phones: list[str]) -> Advert:
    """Compose an advert in `language` carrying one or two of the campaign's numbers."""
    tpl = rng.choice(_TEMPLATES[language])
    shown = [show_phone(rng, phones[0], language)]
    phone2 = ""
    if "{phone2}" in tpl:
        if len(phones) > 1:
            shown.append(show_phone(rng, phones[1], language))
            phone2 = shown[1].shown
    price = price_text(rng, language)
    text = tpl.format(
        dest=rng.choice(_DEST[language]), day=rng.choice(_DAYS[language]),
        origin=rng.choice(_ORIGIN[language]), price=price, phone=shown[0].shown, phone2=phone2,
    ).strip()
    return Advert(language, " ".join(text.split()), shown, price)


_PAGE_WORDS = (
    "Sea Star", "Blue Wave", "Golden Anchor", "Safe Harbour", "Silver Gull", "North Wind",
    "Coral Bay", "Bright Horizon", "Morning Tide", "Green Lantern", "Olive Coast", "White Sail",
)
_PAGE_KINDS = ("Travel", "Trips", "Tours", "Transport", "Voyages", "Journeys", "Services")


def page_name(rng: random.Random) -> str:
    return f"{rng.choice(_PAGE_WORDS)} {rng.choice(_PAGE_KINDS)} (fictional)"
