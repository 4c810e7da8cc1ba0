"""Tests for analysis.ocr with the real Tesseract on images drawn in fixtures.

Without Tesseract or a language these skip with the ocr_status message; under CI=true they
fail instead (see conftest.require_ocr).
"""

from __future__ import annotations

import re
import tempfile

import pytest
from PIL import Image

from analysis import ocr
from analysis.ocr import OcrError, OcrTimeout, OcrUnavailable, ocr_image, ocr_status
from analysis.selectors import find_selectors_in_ocr

TR = "+905012345678"  # phonenumbers' example Turkish mobile
AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def phones(result) -> list[str]:
    return [s.value for s in find_selectors_in_ocr(result) if s.kind == "phone"]


def test_status_reports_missing_program(monkeypatch):
    monkeypatch.setattr(ocr, "TESSERACT_CMD", "tesseract-not-installed-here")
    st = ocr_status("eng")
    assert not st.available
    assert st.message == "OCR is unavailable: the Tesseract program is not installed."
    with pytest.raises(OcrUnavailable, match="not installed"):
        ocr_image(Image.new("RGB", (50, 50), "white"), "eng")


def test_status_names_missing_language(require_ocr):
    st = ocr_status("eng+zzz")
    assert st.available and st.missing_langs == ["zzz"]
    assert st.message == "OCR is unavailable for zzz: the 'zzz' language data is not installed."
    st = ocr_status("eng+ara+fas+fra+tur")
    assert st.available and st.missing_langs == [] and st.engine_version
    assert ocr_status("eng+ara+fas+fra+tur") is st  # cached
    assert "not a list" in ocr_status("eng; rm").message


def test_english_caption_with_boxes_in_original_pixels(require_ocr, render, tmp_path,
                                                       monkeypatch):
    img = render(["Boat to Italy every Friday", "Call or WhatsApp +90 501 234 56 78"])
    # Stand in a watched folder for the system temp folder, for Python and for Tesseract.
    system_tmp = tmp_path / "system-tmp"
    case_tmp = tmp_path / "case-cache"
    system_tmp.mkdir()
    case_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    res = ocr_image(img, "eng+ara+fas+fra+tur", tmp_dir=case_tmp)
    assert list(system_tmp.iterdir()) == []
    assert "Boat to Italy every Friday" in res.text
    assert res.script == "Latin" and res.engine == "tesseract" and res.engine_version
    assert res.settings["psm"] == 3 and res.settings["langs"] == "eng+ara+fas+fra+tur"
    assert res.mean_confidence > 80
    (italy,) = [w for w in res.words if w.text == "Italy"]
    # "Italy" is drawn at x = 26 + width("Boat to "), y = 26 at 26 px: about x 130-190.
    x0, y0, x1, y1 = italy.box
    assert 110 < x0 < 150 and 170 < x1 < 210 and 20 < y0 < 40 and 45 < y1 < 65
    assert phones(res) == [TR]


def test_arabic_caption_with_number(require_ocr, render):
    img = render(["رحلة إلى إيطاليا كل يوم جمعة", "واتساب 0501 234 56 78 فقط"], rtl=True)
    res = ocr_image(img)
    assert res.script == "Arabic"
    assert "إيطاليا" in res.text
    assert phones(res) == [TR]


def test_rtl_line_with_international_number(require_ocr, render):
    res = ocr_image(render(["واتساب +90 501 234 56 78"], rtl=True))
    assert phones(res) == [TR]


def test_persian_caption_with_persian_digits(require_ocr, render):
    img = render(["سفر به ایتالیا هر هفته", "تماس با شماره " + "0912 345 6789".translate(FA)],
                 rtl=True)
    res = ocr_image(img)
    assert res.script == "Arabic"
    assert "ایتالیا" in res.text and "شماره" in res.text
    # Tesseract reads the leading groups reliably and the Persian digits come back as such.
    assert "۰۹۱۲" in res.text
    assert re.search("[۰-۹]{3}", res.text.split("\n")[-1])


def test_dark_mode_is_inverted(require_ocr, render):
    res = ocr_image(render(["Boat to Italy every Friday", "WhatsApp +90 501 234 56 78"],
                           dark=True))
    assert "invert" in res.settings["steps"]
    assert "Boat to Italy every Friday" in res.text
    assert phones(res) == [TR]


def test_tiny_text_is_upscaled_and_boxes_scaled_back(require_ocr, render):
    img = render(["Boat to Italy every Friday", "WhatsApp +90 501 234 56 78"], size=12,
                 width=300)
    res = ocr_image(img)
    assert res.settings["scale"] > 2
    assert "Boat to Italy every Friday" in res.text
    assert phones(res) == [TR]
    for w in res.words:
        assert 0 <= w.box[0] < w.box[2] <= img.width and 0 <= w.box[1] < w.box[3] <= img.height


def test_number_wrapped_across_two_lines(require_ocr, render):
    res = ocr_image(render(["Boats every Friday, call +90 501 234", "56 78 for places"]))
    sels = [s for s in find_selectors_in_ocr(res) if s.kind == "phone"]
    assert [(s.value, s.note) for s in sels] == [(TR, "number wrapped across two lines")]


def test_timeout_is_a_clear_error(require_ocr, render):
    with pytest.raises(OcrTimeout, match="stopped"):
        ocr_image(render(["Boat to Italy"] * 8), timeout=0.01)


def test_bad_input_is_a_clear_error(require_ocr, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    with pytest.raises(OcrError, match="cannot be read"):
        ocr_image(broken)
    with pytest.raises(OcrError, match="does not exist"):
        ocr_image(tmp_path / "missing.png")
    with pytest.raises(OcrError, match="temporary folder"):
        ocr_image(Image.new("RGB", (20, 20)), tmp_dir=tmp_path / "nope")
    with pytest.raises(OcrUnavailable, match="zzz"):
        ocr.ocr_image_with(Image.new("RGB", (20, 20)), "zzz")


@pytest.mark.parametrize(("shown", "digits", "expected"), [
    ("0912 345 6789", FA, "+989123456789"),  # "۴" and "۶۷" are what Tesseract misreads
    ("0501 234 56 78", AR, TR),  # "٧٨" came back as "VA", a token with no digits at all
])
def test_eastern_digits_are_read_by_shape(require_ocr, render, shown, digits, expected):
    res = ocr_image(render(["تماس با شماره " + shown.translate(digits)], rtl=True))
    assert phones(res) == [expected]
    read = "".join(ocr.EASTERN_DIGITS.get(ch, ch) for ch in res.text if ch.isdigit())
    assert read == shown.replace(" ", "")
    changed = res.settings["digit_shapes"]
    assert changed and all(c["tesseract"] != c["text"] for c in changed)


def test_digit_shapes_reader_rejects_what_is_not_digits():
    from pathlib import Path

    from PIL import ImageDraw, ImageFont

    fonts = Path(__file__).resolve().parents[2] / "resources" / "fonts"
    font = ImageFont.truetype(str(fonts / "NotoNaskhArabic-Regular.ttf"), 30)

    def crop(text: str) -> Image.Image:
        img = Image.new("L", (400, 70), 255)
        ImageDraw.Draw(img).text((380, 15), text, font=font, fill=0, anchor="ra",
                                 direction="rtl")
        return img

    assert ocr.read_digit_shapes(crop("۰۹۱۲۳۴۵۶۷۸".translate(FA)))[0] == "0912345678"
    # Left to right as drawn: in a right-to-left line the groups stand in reverse.
    assert ocr.read_digit_shapes(crop("٤٥٦ ٧٨٩"))[0] == "789 456"
    text, distance = ocr.read_digit_shapes(crop("شماره"))
    assert distance > ocr._SHAPE_MAX_DISTANCE
    assert ocr.read_digit_shapes(Image.new("L", (40, 20), 255)) is None


def test_digit_shapes_reader_parts_groups_at_a_dash():
    from pathlib import Path

    from PIL import ImageDraw, ImageFont

    fonts = Path(__file__).resolve().parents[2] / "resources" / "fonts"
    font = ImageFont.truetype(str(fonts / "NotoNaskhArabic-Regular.ttf"), 30)

    def crop(text: str) -> Image.Image:
        img = Image.new("L", (400, 70), 255)
        ImageDraw.Draw(img).text((380, 15), text, font=font, fill=0, anchor="ra",
                                 direction="rtl")
        return img

    # Naskh has no hyphen: the dash is drawn as an empty box, taller than the digits.
    assert ocr.read_digit_shapes(crop("٠٩١-٢٣٤٥٦١٧"))[0] == "2345617 091"
    # A real dash (a flat bar) between two groups drawn close together.
    img = Image.new("L", (400, 70), 255)
    draw = ImageDraw.Draw(img)
    draw.text((20, 15), "٠٩١", font=font, fill=0)
    x = int(draw.textbbox((20, 15), "٠٩١", font=font)[2]) + 3
    draw.rectangle((x, 37, x + 9, 39), fill=0)
    draw.text((x + 12, 15), "٢٣٤٥", font=font, fill=0)
    text, distance = ocr.read_digit_shapes(img)
    assert text == "091 2345" and distance <= ocr._SHAPE_MAX_DISTANCE
    # A long compact run keeps every digit, and a short group's tall digit between two zeros
    # (small dots) is no box.
    assert ocr.read_digit_shapes(crop("٠٧٩١٢٣٤٥٦٨٦"))[0] == "07912345686"
    assert ocr.read_digit_shapes(crop("۰۷۰"))[0] == "070"


def test_latin_digits_match_latin_shapes_better_than_eastern_ones():
    from pathlib import Path

    from PIL import ImageDraw, ImageFont

    fonts = Path(__file__).resolve().parents[2] / "resources" / "fonts"
    img = Image.new("L", (200, 60), 255)
    ImageDraw.Draw(img).text((10, 10), "5686", fill=0,
                             font=ImageFont.truetype(str(fonts / "NotoSans-Regular.ttf"), 30))
    latin, eastern = ocr.read_digit_shapes(img, latin=True), ocr.read_digit_shapes(img)
    assert latin[0] == "5686" and latin[1] < eastern[1]
