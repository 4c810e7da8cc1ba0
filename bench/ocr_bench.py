"""OCR benchmark: throughput of the pipeline's reading on rendered screenshot-like images.

Renders post screenshots with Pillow and the bundled Noto fonts (light and dark mode, small UI
text, Arabic and Persian captions with numbers, French and Turkish, text over a noisy photo),
then measures, in the same run:

* the figure: images per second of the pipeline's way of reading, batches cut by
  ``analysis.pipeline.media_batches`` handed to ``analysis.worker.analyse_media_batch`` on
  ``--workers`` spawned processes (OMP_THREAD_LIMIT=1, at most two batches per worker in
  flight, as in ``_media_stage``), as a ratio to cores x the throughput of one plain
  ``tesseract`` process per image on the same preprocessed images with the same languages;
* the same-work baseline: ``ocr_image`` on each image in turn in one process, that is the same
  passes (main reading, photo reading, number lines) with one Tesseract process each;
* with ``--unbatched``: ``ocr_image`` per image on the same workers, as the pipeline read
  before batching;
* with ``--rounds R``: the images are cut into R parts and each measurement runs on each part
  in turn, so that other jobs on a shared machine weigh on every measurement alike;
* with ``--choices``: character error rate (CER) and seconds per image for each preprocessing,
  page segmentation and language variant (the numbers behind bench/ocr_choices.md).

Run: ``.venv/bin/python bench/ocr_bench.py [--n 40|200] [--rounds 4] [--unbatched]
[--choices]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis import ocr  # noqa: E402
from analysis.pipeline import media_batches  # noqa: E402
from analysis.worker import analyse_media_batch, init_worker, spawn_context  # noqa: E402

FONTS = ROOT / "resources" / "fonts"
LATIN = str(FONTS / "NotoSans-Regular.ttf")
LATIN_BOLD = str(FONTS / "NotoSans-Bold.ttf")
ARABIC = str(FONTS / "NotoNaskhArabic-Regular.ttf")

AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Captions are fictional; numbers are phonenumbers' example numbers with the last digits varied.
CAPTIONS = {
    "eng": [
        "Boat to Italy every Friday from the harbour",
        "Safe trip, places left for families",
        "Call or WhatsApp +90 501 234 56 {d2}",
        "Price 1500 EUR per person, children half",
        "Sea Star Travel (fictional) departure 10:15",
    ],
    "fra": [
        "Départ pour l'Italie chaque vendredi",
        "Places disponibles pour les familles",
        "Appelez le +33 6 12 34 56 {d2} dès maintenant",
        "Prix 1500 euros par personne",
    ],
    "tur": [
        "Her cuma İtalya'ya güvenli yolculuk",
        "Aileler için yer kaldı, çocuklar yarı fiyat",
        "Arayın 0501 234 56 {d2} WhatsApp",
        "Fiyat kişi başı 1500 euro",
    ],
    "ara": [
        "رحلة إلى إيطاليا كل يوم جمعة",
        "أماكن متوفرة للعائلات والأطفال",
        "للتواصل واتساب {ar_phone}",
        "السعر ١٥٠٠ يورو للشخص",
    ],
    "fas": [
        "سفر به ایتالیا هر هفته با قایق",
        "جای خالی برای خانواده ها داریم",
        "تماس با شماره {fa_phone}",
        "قیمت ۱۵۰۰ یورو برای هر نفر",
    ],
}

KINDS = ["light", "dark", "small", "photo"]


@dataclass
class Sample:
    image: Image.Image
    truth: str
    lang: str
    kind: str


def _caption(lang: str, rng: random.Random) -> list[str]:
    d2 = f"{rng.randint(10, 99)}"
    lines = [
        s.format(
            d2=d2,
            ar_phone=f"00218 91 234 56{d2}".translate(AR_DIGITS),
            fa_phone=f"0912 345 67{d2}".translate(FA_DIGITS),
        )
        for s in CAPTIONS[lang]
    ]
    rng.shuffle(lines)
    return lines[: rng.randint(3, len(lines))]


def _photo_background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    w, h = size
    np_rng = np.random.default_rng(rng.randint(0, 2**31))
    y = np.linspace(0, 1, h)[:, None]
    x = np.linspace(0, 1, w)[None, :]
    base = np.stack(
        [60 + 120 * y + 0 * x, 90 + 80 * x + 0 * y, 140 + 60 * (1 - y) + 0 * x], axis=-1
    )
    base = base + np_rng.normal(0, 25, size=(h, w, 3))
    img = Image.fromarray(np.clip(base, 0, 255).astype("uint8"), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        cx, cy, r = rng.randint(0, w), rng.randint(0, h), rng.randint(20, 120)
        tone = tuple(rng.randint(0, 255) for _ in range(3))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tone)
    return img.filter(ImageFilter.GaussianBlur(2))


def render_sample(lang: str, kind: str, seed: int) -> Sample:
    """Draw one post screenshot; the truth is its caption lines joined by newlines."""
    rng = random.Random(seed)
    lines = _caption(lang, rng)
    rtl = lang in ("ara", "fas")
    size = 13 if kind == "small" else 26
    width = 360 if kind == "small" else 720
    font = ImageFont.truetype(ARABIC if rtl else LATIN, size)
    ui = ImageFont.truetype(LATIN_BOLD, max(11, size - 6))
    line_h = int(size * (2.0 if rtl else 1.6))
    height = 40 + 2 * size + line_h * len(lines) + 120
    bg, fg, sub = (255, 255, 255), (20, 20, 20), (101, 103, 107)
    if kind == "dark":
        bg, fg, sub = (24, 25, 26), (228, 230, 235), (176, 179, 184)
    if kind == "photo":
        img = _photo_background((width, height), rng)
    else:
        img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    if kind != "photo":
        # Page header like a social post: avatar circle and a page name, not part of the truth.
        draw.ellipse((12, 10, 12 + 2 * size, 10 + 2 * size), fill=(66, 103, 178))
        draw.text((24 + 2 * size, 12), "Sea Star Travel (fictional)", font=ui, fill=sub)
    y = 30 + 2 * size
    for line in lines:
        if rtl:
            x = width - 16
            draw.text((x, y), line, font=font, fill=fg, anchor="ra", direction="rtl")
        elif kind == "photo":
            draw.text((16, y), line, font=font, fill=(255, 255, 255), stroke_width=3,
                      stroke_fill=(0, 0, 0))
        else:
            draw.text((16, y), line, font=font, fill=fg)
        y += line_h
    if kind == "photo" and rtl:
        # Overlay text on photos comes with an outline; redraw RTL lines with one.
        y = 30 + 2 * size
        for line in lines:
            draw.text((width - 16, y), line, font=font, fill=(255, 255, 255), anchor="ra",
                      direction="rtl", stroke_width=3, stroke_fill=(0, 0, 0))
            y += line_h
    if kind != "photo":
        lines = ["Sea Star Travel (fictional)", *lines]
    return Sample(img, "\n".join(lines), lang, kind)


def corpus(n: int, seed: int = 7) -> list[Sample]:
    langs = list(CAPTIONS)
    out = []
    for i in range(n):
        lang = langs[i % len(langs)]
        kind = KINDS[(i // len(langs)) % len(KINDS)]
        out.append(render_sample(lang, kind, seed * 1000 + i))
    return out


# -- measuring -----------------------------------------------------------------------------


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _norm(text: str) -> str:
    return " ".join(text.split())


def cer(got: str, truth: str) -> float:
    """Character error rate on whitespace-collapsed text (line breaks count as spaces)."""
    t = _norm(truth)
    return _levenshtein(_norm(got), t) / max(1, len(t))


LANGS = "eng+ara+fas+fra+tur"


def _ocr_worker(png: bytes) -> float:
    import io

    t0 = time.perf_counter()
    ocr.ocr_image(Image.open(io.BytesIO(png)), LANGS)
    return time.perf_counter() - t0


def _pngs(samples: list[Sample]) -> list[bytes]:
    import io

    out = []
    for s in samples:
        buf = io.BytesIO()
        s.image.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def baseline_plain_tesseract(samples: list[Sample]) -> float:
    """One plain tesseract process per image, on the image as ocr_image prepares it, with the
    same languages and page segmentation: seconds spent (preparing is not counted)."""
    jobs = [ocr.encode_png(ocr.preprocess(s.image)[0]) for s in samples]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    t0 = time.perf_counter()
    for png in jobs:
        subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "3", "-l", LANGS, "tsv"],
            input=png, capture_output=True, check=True, env=env,
        )
    return time.perf_counter() - t0


def same_work_serial(samples: list[Sample]) -> float:
    """``ocr_image`` on each image in turn in this process: seconds spent."""
    t0 = time.perf_counter()
    for s in samples:
        ocr.ocr_image(s.image, LANGS)
    return time.perf_counter() - t0


def _warm(_: int) -> None:
    """Imports in a fresh worker, so start-up is not part of the figure."""
    import analysis.ocr
    import analysis.selectors  # noqa: F401

    time.sleep(0.5)  # hold this worker so the next call lands on another


def pipeline_reading(pool: cf.ProcessPoolExecutor, paths: list[Path], workers: int,
                     cache: Path) -> float:
    """The pipeline's way of reading ``paths``: seconds until every batch is back."""
    tasks = [{"sha": str(k), "path": str(p), "hash": False, "ocr_langs": LANGS,
              "tmp_dir": str(cache), "timeout": 90.0} for k, p in enumerate(paths)]
    it = iter(media_batches(tasks, workers))
    t0 = time.perf_counter()
    inflight = set()
    for batch in it:
        inflight.add(pool.submit(analyse_media_batch, batch))
        if len(inflight) >= workers * 2:
            break
    failed = 0
    while inflight:
        finished, inflight = cf.wait(inflight, return_when=cf.FIRST_COMPLETED)
        for fut in finished:
            failed += sum("ocr_error" in r for r in fut.result())
            nxt = next(it, None)
            if nxt is not None:
                inflight.add(pool.submit(analyse_media_batch, nxt))
    spent = time.perf_counter() - t0
    if failed:
        raise SystemExit(f"{failed} images failed to be read; the figure would mean nothing.")
    return spent


def unbatched_workers(pool: mp.pool.Pool, pngs: list[bytes]) -> float:
    t0 = time.perf_counter()
    pool.map(_ocr_worker, pngs, chunksize=1)
    return time.perf_counter() - t0


def throughput(samples: list[Sample], workers: int, rounds: int, unbatched: bool) -> dict:
    """Seconds spent by each way of reading on all ``samples``, measured part by part."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    root = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    cache = root / "cache"
    cache.mkdir()
    paths = []
    for k, png in enumerate(_pngs(samples)):
        paths.append(root / f"img{k:04d}.png")
        paths[-1].write_bytes(png)
    spent = {"baseline": 0.0, "same_work": 0.0, "pipeline": 0.0, "unbatched": 0.0}
    ctx = spawn_context()  # as the pipeline starts its workers
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                  initializer=init_worker, initargs=(str(cache),))
    old = ctx.Pool(workers) if unbatched else None
    try:
        list(pool.map(_warm, range(workers)))
        if old is not None:
            old.map(_ocr_worker, _pngs(samples[:workers]))
        cut = [round(len(samples) * r / rounds) for r in range(rounds + 1)]
        for r in range(rounds):
            part = slice(cut[r], cut[r + 1])
            spent["baseline"] += baseline_plain_tesseract(samples[part])
            spent["same_work"] += same_work_serial(samples[part])
            spent["pipeline"] += pipeline_reading(pool, paths[part], workers, cache)
            if old is not None:
                spent["unbatched"] += unbatched_workers(old, _pngs(samples[part]))
            print(f"  round {r + 1}/{rounds} done, load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
        left = list(cache.iterdir())
        if left:
            raise SystemExit(f"the workers left {len(left)} temporary files in the cache")
    finally:
        pool.shutdown()
        if old is not None:
            old.close()
        shutil.rmtree(root, ignore_errors=True)
    return spent


def _osd_script(sample: Sample) -> str | None:
    """Tesseract's own script detection (OSD), for measuring detect-then-read."""
    prepared, _scale, _info = ocr.preprocess(sample.image)
    proc = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "0", "-l", "osd"],
        input=ocr.encode_png(prepared), capture_output=True,
        env=dict(os.environ, OMP_THREAD_LIMIT="1"),
    )
    for line in proc.stdout.decode().splitlines():
        if line.startswith("Script:"):
            return line.split(":", 1)[1].strip()
    return None


FAMILY = {"Arabic": "ara+fas+eng", "Latin": "eng+fra+tur"}


def run_choices(samples: list[Sample]) -> None:
    """CER and seconds per image for each variant, by kind of image and by language."""
    variants = {
        "ocr_image as shipped (auto, psm 3, 5 langs)": dict(call="ocr_image"),
        "prep raw, psm 3, 5 langs": dict(prep="raw", psm=3, langs=LANGS),
        "prep gray+invert, psm 3, 5 langs": dict(prep="gray", psm=3, langs=LANGS),
        "prep gray+invert+upscale, psm 3, 5 langs": dict(prep="upscale", psm=3, langs=LANGS),
        "prep gray+inv+upscale+otsu, psm 3, 5 langs": dict(prep="otsu", psm=3, langs=LANGS),
        "prep light-text mask, psm 3, 5 langs": dict(prep="light-text", psm=3, langs=LANGS),
        "prep auto, psm 6, 5 langs": dict(prep="auto", psm=6, langs=LANGS),
        "prep auto, psm 11, 5 langs": dict(prep="auto", psm=11, langs=LANGS),
        "prep auto, psm 3, right single lang": dict(prep="auto", psm=3, langs="truth"),
        "prep auto, psm 3, eng only": dict(prep="auto", psm=3, langs="eng"),
        "prep auto, psm 3, OSD then script family": dict(prep="auto", psm=3, langs="osd"),
    }
    print(f"{'variant':46s} {'CER':>6s} {'s/img':>6s}  CER by kind / by language", flush=True)
    for name, v in variants.items():
        errs: dict[str, list[float]] = {}
        t_total = 0.0
        for s in samples:
            t0 = time.perf_counter()
            if v.get("call") == "ocr_image":
                text = ocr.ocr_image(s.image, LANGS).text
            else:
                langs = v["langs"]
                if langs == "truth":
                    langs = s.lang
                elif langs == "osd":
                    langs = FAMILY.get(_osd_script(s) or "", LANGS)
                text = ocr.ocr_image_with(s.image, langs, psm=v["psm"],
                                          preprocessing=v["prep"]).text
            t_total += time.perf_counter() - t0
            e = cer(text, s.truth)
            for key in ("all", s.kind, s.lang):
                errs.setdefault(key, []).append(e)
        mean = {k: sum(x) / len(x) for k, x in errs.items()}
        detail = " ".join(f"{k}={mean[k]:.3f}" for k in KINDS + list(CAPTIONS) if k in mean)
        print(f"{name:46s} {mean['all']:6.3f} {t_total / len(samples):6.2f}  {detail}",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="number of rendered images")
    parser.add_argument("--choices", action="store_true", help="measure CER per variant")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure part by part, alternating, in this many rounds")
    parser.add_argument("--unbatched", action="store_true",
                        help="also measure ocr_image per image on the workers (before batching)")
    args = parser.parse_args(argv)
    status = ocr.ocr_status(LANGS)
    if not status.available:
        print(status.message, file=sys.stderr)
        return 1
    samples = corpus(args.n)
    if args.choices:
        run_choices(samples)
        return 0
    load = os.getloadavg()
    spent = throughput(samples, args.workers, args.rounds, args.unbatched)
    n, w = len(samples), args.workers
    rate = {k: n / v for k, v in spent.items() if v}
    size = len(media_batches(list(range(n // args.rounds)), w)[0])
    print(f"images: {n}  workers: {w}  rounds: {args.rounds}  "
          f"load average at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
          f"at end: {os.getloadavg()[0]:.1f}")
    print(f"baseline: one plain tesseract process per image {rate['baseline']:.2f} img/s "
          f"({spent['baseline']:.1f} s)")
    print(f"same work serially (ocr_image, one tesseract per pass) {rate['same_work']:.2f} img/s "
          f"({spent['same_work']:.1f} s)")
    print(f"pipeline (batches of {size} through analysis.worker on {w} spawned workers) "
          f"{rate['pipeline']:.2f} img/s ({spent['pipeline']:.1f} s)")
    if args.unbatched:
        print(f"unbatched ocr_image on {w} spawned workers {rate['unbatched']:.2f} img/s "
              f"({spent['unbatched']:.1f} s); ratio to {w} x baseline: "
              f"{rate['unbatched'] / (w * rate['baseline']):.2f}")
    print(f"ratio of the pipeline to {w} x same work serially: "
          f"{rate['pipeline'] / (w * rate['same_work']):.2f}")
    print(f"ratio of the pipeline to {w} x baseline (the figure): "
          f"{rate['pipeline'] / (w * rate['baseline']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
