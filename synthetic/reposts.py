"""Reposts of an advert photo: the edits a photo picks up as it is shared from page to page.

Owns the repost transform (crop, aspect re-crop, mirror, rescale, colour shifts, a price and
number banner or watermark, JPEG recompression) and the truth it leaves behind: where the
source photo lands in the new file and which part of it survived.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageEnhance

from synthetic import fonts
from synthetic.text import BANNER_WORDS, RTL_LANGUAGES, PhoneShown


@dataclass
class Placed:
    """Where one source photo ended up in a generated file."""

    photo: str
    box: list[int]  # [x0, y0, x1, y1] in the file's pixels (visible part only)
    src_box: list[int]  # the part of the source photo that is visible, in source pixels
    visible_fraction: float  # visible source area / whole source area
    mirrored: bool
    campaign: str | None = None

    def as_dict(self) -> dict:
        return {"photo": self.photo, "box": self.box, "src_box": self.src_box,
                "visible_fraction": round(self.visible_fraction, 4),
                "mirrored": self.mirrored, "campaign": self.campaign}


@dataclass
class RepostResult:
    image: Image.Image
    quality: int
    placed: Placed
    transform: dict
    strata: list[str]
    text: list[str] = field(default_factory=list)
    phones: list[PhoneShown] = field(default_factory=list)


def repost(src: Image.Image, photo_id: str, rng: random.Random, *, language: str,
           phone: PhoneShown | None, price: str, campaign: str | None,
           gentle: bool = False) -> RepostResult:
    """Apply a random chain of sharing edits to `src`.

    `gentle` is what an app export does to a photo: a downscale to the app's size limit and
    recompression, nothing else.
    """
    strata: list[str] = []
    w, h = src.size
    if gentle:
        scale = min(1.0, 1280 / max(w, h))
        img = src if scale == 1.0 else src.resize((round(w * scale), round(h * scale)),
                                                  Image.Resampling.LANCZOS)
        quality = rng.randint(80, 90)
        placed = Placed(photo_id, [0, 0, *img.size], [0, 0, w, h], 1.0, False, campaign)
        transform = {"crop_box": [0, 0, w, h], "aspect": None, "mirror": False,
                     "scale": round(scale, 4), "colour": {}, "banner": {},
                     "jpeg_quality": quality}
        strata = ["recompress"] + (["rescale"] if scale < 1.0 else [])
        return RepostResult(img, quality, placed, transform, strata)
    x0, t, r, b = 0, 0, w, h
    if rng.random() < 0.5:
        cut = [rng.uniform(0, 0.15) for _ in range(4)]
        x0, t = int(w * cut[0]), int(h * cut[1])
        r, b = w - int(w * cut[2]), h - int(h * cut[3])
        strata.append("crop")
    aspect = None
    if rng.random() < 0.25:
        aspect = rng.choice((1.0, 4 / 5, 16 / 9))
        cw, ch = r - x0, b - t
        if cw / ch > aspect:
            nw = int(ch * aspect)
            x0 += (cw - nw) // 2
            r = x0 + nw
        else:
            nh = int(cw / aspect)
            t += (ch - nh) // 2
            b = t + nh
        strata.append("crop")
    img = src.crop((x0, t, r, b))
    mirrored = rng.random() < 0.2
    if mirrored:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        strata.append("mirror")
    scale = 1.0
    if rng.random() < 0.6:
        scale = rng.uniform(0.3, 1.0)
        img = img.resize((max(8, int(img.width * scale)), max(8, int(img.height * scale))),
                         Image.Resampling.LANCZOS)
        strata.append("rescale")
    colour = {}
    if rng.random() < 0.4:
        colour = {"brightness": round(rng.uniform(0.75, 1.3), 3),
                  "contrast": round(rng.uniform(0.75, 1.3), 3),
                  "saturation": round(rng.uniform(0.6, 1.5), 3)}
        img = ImageEnhance.Brightness(img).enhance(colour["brightness"])
        img = ImageEnhance.Contrast(img).enhance(colour["contrast"])
        img = ImageEnhance.Color(img).enhance(colour["saturation"])
        strata.append("colour")
    pw, ph = img.size
    box = [0, 0, pw, ph]
    banner: dict = {}
    lines: list[str] = []
    phones: list[PhoneShown] = []
    if phone is not None and rng.random() < 0.45:
        mode = rng.choice(("band", "bar_below", "watermark"))
        words = BANNER_WORDS[language]
        label = f"{words[2]} {price}"
        call = f"{words[1]} {phone.shown}"
        img, box, lines = _banner(img, rng, mode, [label, call], language in RTL_LANGUAGES)
        phones.append(phone)
        banner = {"mode": mode, "lines": lines}
        strata += ["banner", "overlay_text"]
    quality = rng.randint(35, 90)
    strata.append("recompress")
    src_area = w * h
    transform = {
        "crop_box": [x0, t, r, b], "aspect": aspect, "mirror": mirrored,
        "scale": round(scale, 4), "colour": colour, "banner": banner, "jpeg_quality": quality,
    }
    placed = Placed(photo_id, box, [x0, t, r, b], (r - x0) * (b - t) / src_area, mirrored,
                    campaign)
    return RepostResult(img, quality, placed, transform, sorted(set(strata)), lines, phones)


def _banner(img: Image.Image, rng, mode: str, lines: list[str], rtl: bool):
    w, h = img.size
    size = max(12, int(min(w, h) * rng.uniform(0.045, 0.07)))
    lh = int(size * 1.5)
    colours = rng.choice((((200, 20, 30), (255, 255, 255)), ((255, 220, 0), (0, 0, 0)),
                          ((0, 0, 0), (255, 255, 255)), ((20, 90, 200), (255, 255, 255))))
    bg, fg = colours
    fitted = []
    for line in lines:
        while fonts.text_width(line, size, True) > w * 0.94 and size > 10:
            size -= 1
            lh = int(size * 1.5)
        fitted.append(line)
    band_h = lh * len(lines) + size // 2
    if mode == "bar_below":
        out = Image.new("RGB", (w, h + band_h), bg)
        out.paste(img, (0, 0))
        y0 = h
        box = [0, 0, w, h]
    else:
        out = img.copy()
        y0 = h - band_h if rng.random() < 0.7 else 0
        box = [0, 0, w, h]
    draw = ImageDraw.Draw(out, "RGBA")
    if mode == "watermark":
        for k, line in enumerate(fitted):
            base = y0 + lh * (k + 1)
            # A dark offset copy keeps the white text readable on any photo.
            for off, col in ((2, (0, 0, 0, 160)), (0, (255, 255, 255, 215))):
                if rtl:
                    fonts.draw_line(draw, 0, base + off, line, size, col, bold=True, rtl=True,
                                    right=w - size + off)
                else:
                    fonts.draw_line(draw, size + off, base + off, line, size, col, bold=True)
    else:
        draw.rectangle((0, y0, w, y0 + band_h), fill=bg + (235,))
        for k, line in enumerate(fitted):
            base = y0 + lh * (k + 1) - size // 6
            tw = fonts.text_width(line, size, True)
            x = (w - tw) / 2
            fonts.draw_line(draw, x, base, line, size, fg, bold=True, rtl=rtl, right=x + tw)
    return out, box, fitted
