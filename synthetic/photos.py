"""Procedural advert photos and distractor photos, drawn with numpy and Pillow.

Owns the scenes: boats on water at dawn, day, dusk and night; shores; harbours; piles of
life jackets; and distractors: near-featureless sea, fog and night photos that look alike
to a global hash, plus unrelated streets, rooms and food. Every scene is a pure function of
(scene, seed, size), so a photo can be re-drawn anywhere from its seed instead of being
passed around.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

TIMES = ("dawn", "day", "dusk", "night")
ADVERT_SCENES = ("boat", "boat", "boat", "shore", "harbour", "lifejackets")
DISTRACTOR_SCENES = ("flat_sea", "fog", "night_sea", "street", "room", "food")

_SKY = {  # (zenith, horizon)
    "dawn": ((78, 96, 150), (246, 184, 150)),
    "day": ((52, 118, 196), (190, 215, 236)),
    "dusk": ((42, 38, 92), (250, 136, 64)),
    "night": ((4, 7, 20), (28, 38, 66)),
}
_SEA = {  # (near horizon, foreground)
    "dawn": ((120, 120, 150), (40, 60, 90)),
    "day": ((40, 110, 150), (14, 56, 86)),
    "dusk": ((150, 90, 80), (30, 30, 56)),
    "night": ((18, 26, 44), (4, 8, 16)),
}


def _jitter(rng: random.Random, col, amount: int = 14):
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in col)


def _vgradient(w: int, h: int, top, bottom, gamma: float = 1.0) -> np.ndarray:
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None] ** gamma
    top_a = np.array(top, np.float32)
    bot_a = np.array(bottom, np.float32)
    col = top_a * (1 - t) + bot_a * t
    return np.broadcast_to(col, (h, w, 3)).copy()


def _smooth_noise(nrng: np.random.Generator, w: int, h: int, cell: int) -> np.ndarray:
    """Value noise: random grid upsampled bicubically, in [-1, 1]."""
    gw, gh = max(2, w // cell + 2), max(2, h // cell + 2)
    grid = nrng.random((gh, gw), dtype=np.float32)
    img = Image.fromarray((grid * 255).astype(np.uint8), "L").resize(
        (w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 127.5 - 1.0


def _sky(rng, nrng, w, h, horizon, time) -> np.ndarray:
    top, hor = _SKY[time]
    arr = _vgradient(w, horizon, _jitter(rng, top), _jitter(rng, hor), gamma=1.6)
    if time != "night":
        clouds = np.clip(_smooth_noise(nrng, w, horizon, 90) * 0.6
                         + _smooth_noise(nrng, w, horizon, 30) * 0.3 - 0.15, 0, 1)
        cloud_col = np.array((250, 235, 230) if time != "day" else (250, 250, 252), np.float32)
        if time == "dusk":
            cloud_col = np.array((230, 120, 110), np.float32)
        amount = rng.uniform(0.2, 0.8)
        arr = arr * (1 - clouds[..., None] * amount) + cloud_col * clouds[..., None] * amount
    else:
        n_stars = rng.randint(40, 160)
        for _ in range(n_stars):
            x, y = rng.randrange(w), rng.randrange(max(1, horizon - 4))
            arr[y, x] = (200 + rng.randint(0, 55),) * 3
    return arr


def _sea(rng, nrng, w, h, horizon, time) -> np.ndarray:
    near, fore = _SEA[time]
    sh = h - horizon
    arr = _vgradient(w, sh, _jitter(rng, near, 10), _jitter(rng, fore, 10), gamma=0.7)
    y = np.linspace(0.0, 1.0, sh, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    freq = 0.02 + 0.25 * (1 - y) ** 3
    warp = _smooth_noise(nrng, w, sh, 60) * 3.0
    waves = np.sin(x * freq * 0.3 + warp + y * 200 * rng.uniform(0.7, 1.3)) \
        * np.sin(x * 0.011 + y * 37)
    amp = rng.uniform(6, 16) * (0.4 + y)
    arr += (waves * amp)[..., None]
    if time in ("dawn", "dusk", "night"):
        # The low sun or the moon leaves a glitter path on the water.
        cx = rng.uniform(0.2, 0.8) * w
        width = w * rng.uniform(0.03, 0.08) * (1 + 3 * y)
        path = np.exp(-((x - cx) ** 2) / (2 * width ** 2)) * np.clip(waves, 0, 1)
        glow = np.array((255, 200, 140) if time != "night" else (200, 210, 230), np.float32)
        arr += path[..., None] * glow * 0.5
    return arr


def _finish(rng, nrng, arr: np.ndarray, grain: float) -> Image.Image:
    h, w, _ = arr.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2)
    arr = arr * (1 - rng.uniform(0.15, 0.5) * d)[..., None]
    arr += nrng.normal(0, grain, arr.shape[:2]).astype(np.float32)[..., None]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return img


def _boat(draw: ImageDraw.ImageDraw, rng, cx, cy, s, time, kind=None) -> None:
    kind = kind or rng.choice(("dinghy", "fishing", "fishing", "yacht"))
    dark = time == "night"
    shade = 0.35 if dark else (0.7 if time in ("dawn", "dusk") else 1.0)

    def c(col):
        return tuple(int(v * shade) for v in col)

    if kind == "dinghy":
        hull = c(rng.choice(((60, 62, 66), (45, 45, 48), (90, 90, 95), (200, 80, 40))))
        w2, hh = s * 1.0, s * 0.16
        draw.rounded_rectangle((cx - w2, cy - hh, cx + w2, cy + hh), radius=hh, fill=hull)
        draw.rectangle((cx - w2 + hh, cy - hh * 0.2, cx + w2 - hh, cy + hh * 0.1),
                       fill=c((30, 30, 32)))
        n = rng.randint(8, 24)
        for i in range(n):
            px = cx - w2 * 0.85 + (2 * w2 * 0.85) * (i + rng.random() * 0.5) / n
            py = cy - hh - rng.uniform(0, hh * 0.6)
            r = s * 0.045
            draw.rectangle((px - r, py - r * 2.2, px + r, py), fill=c((235, 110, 20)))
            draw.ellipse((px - r * 0.8, py - r * 3.8, px + r * 0.8, py - r * 2.2),
                         fill=c((70, 45, 30)))
        return
    if kind == "fishing":
        hull = c(rng.choice(((30, 70, 150), (230, 230, 225), (160, 40, 35), (40, 110, 90))))
        trim = c(rng.choice(((240, 240, 240), (200, 40, 30), (250, 200, 40))))
        w2, hh = s * 1.1, s * 0.28
        pts = [(cx - w2, cy - hh), (cx + w2 * 1.08, cy - hh * 1.25), (cx + w2 * 0.8, cy + hh),
               (cx - w2 * 0.85, cy + hh * 0.9)]
        draw.polygon(pts, fill=hull)
        draw.line([(cx - w2, cy - hh * 0.8), (cx + w2 * 1.02, cy - hh * 0.95)], fill=trim,
                  width=max(2, int(s * 0.05)))
        cab = (cx - w2 * 0.2, cy - hh * 2.6, cx + w2 * 0.35, cy - hh * 1.05)
        draw.rectangle(cab, fill=c((235, 232, 220)))
        for k in range(3):
            x0 = cab[0] + (cab[2] - cab[0]) * (0.1 + k * 0.3)
            win = (40, 60, 80) if not dark else (255, 210, 120)
            draw.rectangle((x0, cab[1] + hh * 0.3, x0 + (cab[2] - cab[0]) * 0.2,
                            cab[1] + hh * 0.75), fill=win)
        draw.line([(cx - w2 * 0.5, cy - hh), (cx - w2 * 0.5, cy - hh * 5)],
                  fill=c((60, 50, 40)), width=max(2, int(s * 0.03)))
        n = rng.randint(0, 14)
        for _ in range(n):
            px = rng.uniform(cx - w2 * 0.9, cx + w2 * 0.9)
            if cab[0] < px < cab[2]:
                continue
            r = s * 0.05
            draw.rectangle((px - r, cy - hh - r * 2.5, px + r, cy - hh),
                           fill=c((240, 120, 20)))
            draw.ellipse((px - r * 0.8, cy - hh - r * 4, px + r * 0.8, cy - hh - r * 2.4),
                         fill=c((60, 40, 30)))
        if dark:
            draw.ellipse((cab[2] - 6, cab[1] - 6, cab[2] + 6, cab[1] + 6), fill=(255, 230, 150))
        return
    # yacht
    w2, hh = s * 1.0, s * 0.18
    draw.polygon([(cx - w2, cy - hh), (cx + w2 * 1.2, cy - hh), (cx + w2 * 0.9, cy + hh),
                  (cx - w2 * 0.9, cy + hh)], fill=c((240, 240, 245)))
    draw.line([(cx - w2, cy), (cx + w2 * 1.1, cy)], fill=c((20, 40, 90)), width=max(2, int(hh / 3)))
    draw.line([(cx, cy - hh), (cx, cy - s * 2.2)], fill=c((180, 180, 180)), width=3)
    draw.polygon([(cx + 3, cy - s * 2.1), (cx + 3, cy - hh * 1.5), (cx + w2 * 0.9, cy - hh * 1.5)],
                 fill=c((250, 250, 250)))
    draw.polygon([(cx - 3, cy - s * 1.8), (cx - 3, cy - hh * 1.5), (cx - w2 * 0.6, cy - hh * 1.5)],
                 fill=c((235, 235, 240)))


def _reflect(img: Image.Image, box, rng) -> None:
    """Mirror the boat into the water below it, darker and rippled."""
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, x1 = max(0, x0), min(img.width, x1)
    y0 = max(0, y0)
    hgt = min(y1 - y0, img.height - y1)
    if hgt <= 4 or x1 <= x0:
        return
    part = img.crop((x0, y1 - hgt, x1, y1)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    part = part.filter(ImageFilter.GaussianBlur(3))
    mask = Image.linear_gradient("L").resize((x1 - x0, hgt)).point(lambda v: (255 - v) // 3)
    img.paste(part, (x0, y1), mask)


def _sea_scene(rng, nrng, w, h, time, boats: int, land: str | None) -> Image.Image:
    horizon = int(h * rng.uniform(0.32, 0.55))
    arr = np.concatenate([_sky(rng, nrng, w, h, horizon, time),
                          _sea(rng, nrng, w, h, horizon, time)], axis=0)
    img = _finish(rng, nrng, arr, grain=0.0)
    draw = ImageDraw.Draw(img)
    if time in ("dawn", "dusk"):
        sx, r = rng.uniform(0.15, 0.85) * w, rng.uniform(0.03, 0.06) * w
        sy = horizon - r * rng.uniform(0.2, 1.5)
        draw.ellipse((sx - r, sy - r, sx + r, min(sy + r, horizon)), fill=(255, 225, 170))
    elif time == "night" and rng.random() < 0.7:
        mx, my, r = rng.uniform(0.1, 0.9) * w, rng.uniform(0.08, 0.25) * h, w * 0.02
        draw.ellipse((mx - r, my - r, mx + r, my + r), fill=(235, 235, 220))
    if land == "coast" or rng.random() < 0.4:
        # Distant hills on the horizon.
        col = tuple(int(v * 0.75) for v in _SKY[time][1])
        pts = [(0, horizon)]
        x = 0.0
        while x < w:
            x += rng.uniform(30, 120)
            pts.append((x, horizon - rng.uniform(4, h * 0.06)))
        pts.append((w, horizon))
        draw.polygon(pts, fill=col)
    if land == "harbour":
        _harbour(draw, rng, w, h, horizon, time)
    for _ in range(boats):
        s = w * rng.uniform(0.08, 0.2)
        cx = rng.uniform(0.2, 0.8) * w
        cy = horizon + (h - horizon) * rng.uniform(0.25, 0.7)
        _boat(draw, rng, cx, cy, s, time)
        _reflect(img, (cx - s * 1.2, cy - s * 0.3, cx + s * 1.2, cy + s * 0.3), rng)
    if land == "shore":
        _shore(img, rng, nrng, w, h, time)
    return img


def _harbour(draw, rng, w, h, horizon, time) -> None:
    night = time == "night"
    x = 0.0
    base = horizon + h * 0.02
    while x < w:
        bw = rng.uniform(30, 110)
        bh = rng.uniform(30, h * 0.22)
        col = rng.choice(((220, 210, 190), (200, 180, 150), (235, 235, 230), (180, 160, 140),
                          (210, 190, 170)))
        if night:
            col = tuple(v // 5 for v in col)
        draw.rectangle((x, base - bh, x + bw, base), fill=col)
        for wy in range(int(base - bh + 8), int(base - 8), 16):
            for wx in range(int(x + 6), int(x + bw - 8), 14):
                lit = night and rng.random() < 0.4
                draw.rectangle((wx, wy, wx + 6, wy + 8),
                               fill=(255, 210, 120) if lit else tuple(v * 2 // 3 for v in col))
        x += bw + rng.uniform(0, 6)
    pier_y = base + h * 0.04
    draw.rectangle((0, base, w * rng.uniform(0.5, 0.9), pier_y),
                   fill=(90, 85, 80) if not night else (20, 20, 24))
    for _ in range(rng.randint(2, 5)):
        s = w * rng.uniform(0.04, 0.08)
        _boat(draw, rng, rng.uniform(0.05, 0.95) * w, pier_y + s * 0.5, s, time,
              kind=rng.choice(("fishing", "yacht")))


def _shore(img, rng, nrng, w, h, time) -> None:
    top = int(h * rng.uniform(0.72, 0.85))
    sand = np.array(rng.choice(((214, 196, 160), (190, 170, 130), (160, 150, 135))), np.float32)
    if time == "night":
        sand *= 0.2
    elif time in ("dawn", "dusk"):
        sand *= 0.75
    band_h = h - top
    tex = _smooth_noise(nrng, w, band_h, 12) * 14 + _smooth_noise(nrng, w, band_h, 80) * 18
    arr = sand + tex[..., None]
    edge = (top + (_smooth_noise(nrng, w, 1, 70)[0] * h * 0.04)).astype(int)
    base = np.asarray(img, np.float32).copy()
    rows = np.arange(h)[:, None]
    mask = rows >= edge[None, :]
    full = np.zeros_like(base)
    full[top - int(h * 0.05):] = np.concatenate(
        [np.broadcast_to(sand, (int(h * 0.05), w, 3)), arr], axis=0)[: h - top + int(h * 0.05)]
    base[mask] = full[mask]
    foam = (rows >= edge[None, :] - 3) & (rows < edge[None, :] + 2)
    base[foam] = base[foam] * 0.4 + 240 * 0.6
    img.paste(Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(3, 12)):
        rx, ry, r = rng.uniform(0, w), rng.uniform(top, h), rng.uniform(8, 40)
        col = _jitter(rng, (95, 90, 85), 20) if time != "night" else (20, 20, 22)
        draw.ellipse((rx - r * 1.4, ry - r, rx + r * 1.4, ry + r * 0.6), fill=col)
    if rng.random() < 0.7:
        s = w * 0.12
        _boat(draw, rng, rng.uniform(0.2, 0.8) * w, top + (h - top) * 0.5, s, time,
              kind="dinghy")


def _lifejackets(rng, nrng, w, h, time) -> Image.Image:
    ground = np.array(rng.choice(((150, 140, 125), (120, 118, 115), (200, 185, 150))),
                      np.float32)
    tex = _smooth_noise(nrng, w, h, 6) * 18 + _smooth_noise(nrng, w, h, 120) * 25
    arr = ground + tex[..., None]
    img = _finish(rng, nrng, arr, grain=0)
    draw = ImageDraw.Draw(img)
    n = rng.randint(6, 16)
    for _ in range(n):
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        vw, vh = w * rng.uniform(0.12, 0.2), h * rng.uniform(0.2, 0.32)
        col = _jitter(rng, rng.choice(((245, 110, 20), (250, 80, 20), (240, 180, 30))), 10)
        shadow = (cx - vw / 2 + 8, cy - vh / 2 + 10, cx + vw / 2 + 8, cy + vh / 2 + 10)
        draw.rounded_rectangle(shadow, radius=vw * 0.2, fill=tuple(int(v * 0.45) for v in ground))
        draw.rounded_rectangle((cx - vw / 2, cy - vh / 2, cx + vw / 2, cy + vh / 2),
                               radius=vw * 0.2, fill=col)
        draw.polygon([(cx - vw * 0.15, cy - vh / 2), (cx + vw * 0.15, cy - vh / 2),
                      (cx, cy - vh * 0.15)], fill=tuple(int(v * 0.5) for v in ground))
        draw.line([(cx, cy - vh * 0.15), (cx, cy + vh / 2)], fill=(40, 40, 40), width=3)
        for k in (0.1, 0.3):
            yk = cy + vh * k
            draw.rectangle((cx - vw / 2, yk, cx + vw / 2, yk + vh * 0.05), fill=(30, 30, 35))
            draw.rectangle((cx - vw * 0.06, yk - 3, cx + vw * 0.06, yk + vh * 0.05 + 3),
                           fill=(20, 20, 20))
        draw.rectangle((cx - vw * 0.45, cy - vh * 0.35, cx - vw * 0.3, cy - vh * 0.25),
                       fill=(220, 220, 210))
    return img


def _flat(rng, nrng, w, h, scene) -> Image.Image:
    if scene == "fog":
        g = rng.uniform(170, 215)
        arr = _vgradient(w, h, (g + 10, g + 12, g + 15), (g - 30, g - 25, g - 20))
        arr += (_smooth_noise(nrng, w, h, 150) * 8)[..., None]
        img = _finish(rng, nrng, arr, grain=2.0)
        if rng.random() < 0.6:
            d = ImageDraw.Draw(img)
            cx, cy, s = rng.uniform(0.2, 0.8) * w, h * rng.uniform(0.5, 0.6), w * 0.05
            d.polygon([(cx - s, cy), (cx + s, cy), (cx + s * 0.8, cy + s * 0.25),
                       (cx - s * 0.8, cy + s * 0.25)], fill=(int(g - 40),) * 3)
        return img.filter(ImageFilter.GaussianBlur(2))
    time = "night" if scene == "night_sea" else rng.choice(("day", "dawn", "dusk"))
    horizon = int(h * rng.uniform(0.4, 0.55))
    arr = np.concatenate([_sky(rng, nrng, w, h, horizon, time),
                          _sea(rng, nrng, w, h, horizon, time)], axis=0)
    img = _finish(rng, nrng, arr, grain=3.0)
    if scene == "night_sea":
        d = ImageDraw.Draw(img)
        for _ in range(rng.randint(0, 6)):
            x, y = rng.uniform(0, w), horizon - rng.uniform(0, 4)
            d.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(255, 220, 150))
    return img


def _street(rng, nrng, w, h) -> Image.Image:
    arr = _vgradient(w, h, (120, 160, 210), (200, 215, 230))
    img = _finish(rng, nrng, arr, grain=2)
    d = ImageDraw.Draw(img)
    vx, vy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.5)
    d.polygon([(0, h), (w, h), (vx + 20, vy), (vx - 20, vy)], fill=(70, 70, 75))
    d.polygon([(w * 0.48, h), (w * 0.52, h), (vx + 1, vy), (vx - 1, vy)], fill=(220, 220, 200))
    for side in (-1, 1):
        x = vx
        for _ in range(8):
            bw = rng.uniform(40, 140)
            top = vy - rng.uniform(60, h * 0.45)
            col = _jitter(rng, rng.choice(((190, 150, 120), (160, 160, 170), (210, 200, 180))))
            x0 = x if side > 0 else x - bw
            x0 += side * 25
            d.rectangle((x0, top, x0 + bw, vy + (h - vy) * 0.3 * abs(x0 - vx) / w * 2),
                        fill=col)
            for wy in range(int(top + 10), int(vy), 22):
                d.rectangle((x0 + 8, wy, x0 + bw - 8, wy + 10), fill=(60, 70, 90))
            x += side * (bw + 4)
    for _ in range(rng.randint(2, 6)):
        cx = rng.uniform(0.1, 0.9) * w
        cy = rng.uniform(vy + 30, h - 20)
        s = (cy - vy) / (h - vy) * w * 0.15
        col = _jitter(rng, rng.choice(((200, 30, 30), (240, 240, 240), (30, 30, 40),
                                       (40, 80, 160))))
        d.rounded_rectangle((cx - s, cy - s * 0.5, cx + s, cy), radius=s * 0.15, fill=col)
        d.rectangle((cx - s * 0.6, cy - s * 0.85, cx + s * 0.6, cy - s * 0.45),
                    fill=tuple(v // 2 for v in col))
        for wx in (cx - s * 0.6, cx + s * 0.6):
            d.ellipse((wx - s * 0.2, cy - s * 0.2, wx + s * 0.2, cy + s * 0.2), fill=(20, 20, 20))
    return img


def _room(rng, nrng, w, h) -> Image.Image:
    wall = _jitter(rng, rng.choice(((220, 210, 190), (200, 210, 220), (230, 220, 200))), 10)
    floor_y = int(h * rng.uniform(0.62, 0.75))
    arr = _vgradient(w, h, wall, tuple(v - 40 for v in wall))
    arr[floor_y:] = _vgradient(w, h - floor_y, (140, 100, 70), (100, 70, 50))
    arr[floor_y:] += (np.sin(np.arange(w) * 0.15) * 6)[None, :, None]
    img = _finish(rng, nrng, arr, grain=3)
    d = ImageDraw.Draw(img)
    wx, ww = w * rng.uniform(0.05, 0.5), w * rng.uniform(0.2, 0.35)
    d.rectangle((wx, h * 0.12, wx + ww, h * 0.5), fill=(240, 240, 235))
    d.rectangle((wx + 8, h * 0.12 + 8, wx + ww - 8, h * 0.5 - 8), fill=(170, 205, 235))
    d.line([(wx + ww / 2, h * 0.12), (wx + ww / 2, h * 0.5)], fill=(240, 240, 235), width=6)
    sx = w * rng.uniform(0.35, 0.6)
    sofa = _jitter(rng, rng.choice(((90, 110, 140), (140, 80, 60), (100, 120, 90))))
    d.rounded_rectangle((sx, floor_y - h * 0.2, sx + w * 0.35, floor_y + h * 0.06), radius=20,
                        fill=sofa)
    d.rounded_rectangle((sx + 10, floor_y - h * 0.1, sx + w * 0.35 - 10, floor_y), radius=12,
                        fill=tuple(min(255, v + 25) for v in sofa))
    d.rectangle((w * 0.1, floor_y + h * 0.08, w * 0.35, floor_y + h * 0.1), fill=(90, 60, 40))
    d.rectangle((w * 0.7, h * 0.18, w * 0.85, h * 0.34), fill=(60, 50, 40))
    d.rectangle((w * 0.71, h * 0.19, w * 0.84, h * 0.33), fill=_jitter(rng, (160, 180, 120), 40))
    return img


def _food(rng, nrng, w, h) -> Image.Image:
    table = np.array(_jitter(rng, rng.choice(((150, 100, 60), (220, 220, 215), (90, 60, 40)))),
                     np.float32)
    grain = np.sin(np.arange(h, dtype=np.float32)[:, None] * 0.08
                   + _smooth_noise(nrng, w, h, 40) * 2) * 10
    arr = table + grain[..., None]
    img = _finish(rng, nrng, arr, grain=2)
    d = ImageDraw.Draw(img)
    cx, cy, r = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.4, 0.6), min(w, h) * 0.32
    d.ellipse((cx - r + 10, cy - r + 14, cx + r + 10, cy + r + 14), fill=tuple(int(v * 0.6)
                                                                              for v in table))
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(245, 245, 242))
    d.ellipse((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=(235, 235, 230))
    for _ in range(rng.randint(6, 20)):
        a, rr = rng.uniform(0, 2 * math.pi), rng.uniform(0, r * 0.6)
        fx, fy, fr = cx + rr * math.cos(a), cy + rr * math.sin(a), r * rng.uniform(0.06, 0.18)
        col = _jitter(rng, rng.choice(((200, 60, 40), (230, 190, 80), (80, 140, 50),
                                       (160, 100, 50), (240, 230, 200))), 20)
        d.ellipse((fx - fr, fy - fr * 0.8, fx + fr, fy + fr * 0.8), fill=col)
    gx = cx + r * 1.3
    d.rounded_rectangle((gx, cy - r * 0.7, gx + r * 0.35, cy + r * 0.1), radius=8,
                        fill=(200, 225, 235))
    return img


def photo_size(rng: random.Random) -> tuple[int, int]:
    w = rng.choice(range(800, 1201, 16))
    ratio = rng.choice((4 / 3, 4 / 3, 16 / 9, 1.0, 3 / 2))
    return w, int(w / ratio)


def render_scene(scene: str, seed: int, size: tuple[int, int], time: str = "day"
                 ) -> Image.Image:
    """Draw `scene` deterministically from `seed` at `size` (width, height)."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    w, h = size
    if scene == "boat":
        img = _sea_scene(rng, nrng, w, h, time, boats=rng.choice((1, 1, 1, 2)), land=None)
    elif scene == "shore":
        img = _sea_scene(rng, nrng, w, h, time, boats=rng.choice((0, 1)), land="shore")
    elif scene == "harbour":
        img = _sea_scene(rng, nrng, w, h, time, boats=0, land="harbour")
    elif scene == "lifejackets":
        img = _lifejackets(rng, nrng, w, h, time)
    elif scene in ("flat_sea", "fog", "night_sea"):
        img = _flat(rng, nrng, w, h, scene)
    elif scene == "street":
        img = _street(rng, nrng, w, h)
    elif scene == "room":
        img = _room(rng, nrng, w, h)
    elif scene == "food":
        img = _food(rng, nrng, w, h)
    else:
        raise ValueError(f"Unknown scene {scene!r}.")
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    noise = nrng.normal(0, rng.uniform(2.0, 5.0), (h, w, 1)).astype(np.float32)
    arr = np.asarray(img, np.float32) + noise
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
