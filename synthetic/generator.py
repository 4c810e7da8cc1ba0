"""Plan, render and describe one synthetic evidence collection.

Owns `generate()`: a cheap, seeded plan (campaigns, photos, adverts, file names, one seed per
file) is made in the calling process; files are then rendered independently from their own
seeds, in worker processes for large runs, and streamed to disk; exports and truth.json are
written last. The same seed gives the same bytes whatever the number of workers.

Output folder::

    photos/          original advert photos (kind "photo")
    reposts/         edited reposts of those photos (kind "repost")
    screenshots/     screenshots of posts (kind "screenshot"), PNG mostly, some JPEG
    distractors/     look-alike and unrelated photos (kind "distractor")
    exports/telegram/ChatExport_2026-03-10/result.json + photos/   (kind "export_media")
    exports/facebook/your_facebook_activity/posts/...json + media/ (kind "export_media")
    exports/crowdtangle.csv
    truth.json

truth.json schema (version 1)::

    {"schema": 1, "seed", "n_files", "languages", "held_out_families": ["telegram_phone"],
     "campaigns": [{"id", "language", "photos": [photo ids], "phones": [E.164], "pages": [..]}],
     "photos": [{"id", "path", "scene", "time", "campaign", "size": [w, h]}],
     "files": [{
        "path": relative path, "kind": "photo|repost|screenshot|export_media|distractor",
        "format": "JPEG|PNG", "size": [w, h], "campaign": primary campaign id or null,
        "campaigns": [ids], "scene": photo scene (photos, distractors),
        "sources": [{"photo", "box": [x0, y0, x1, y1] in this file's pixels (visible part),
                     "src_box": visible part in the source photo's pixels,
                     "visible_fraction", "mirrored", "campaign"}],
        "transform": {...} (reposts and export media: crop_box, aspect, mirror, scale,
                     colour, banner, jpeg_quality),
        "text": [content lines wholly on screen], "ui_text": [app chrome strings],
        "cut_text": [content lines the screen's edge cuts through (screenshots)],
        "phones": [{"e164", "shown", "style", "digits"}] (wholly on screen),
        "cut_phones": [same] (screenshots: partly on screen, or in a cut line; a reader
        is neither held to these nor faulted for them), "wrapped_phones": [E.164],
        "language", "layout": family or null, "theme": "light|dark" or null,
        "held_out": bool, "strata": [tags], "export": "telegram|facebook" (export media)}],
     "exports": {
        "telegram": {"path", "messages": [{"id", "campaign", "text", "phones", "photo",
                                           "file", "type"}]},
        "facebook": {"path", "posts": [{"index", "campaign", "text", "phones", "photo",
                                        "file"}]},
        "crowdtangle": {"path", "rows": [{"row", "campaign", "page", "text", "phones"}]}}}

Strata tags: recompress, rescale, crop, banner, colour, mirror, phone_screenshot,
desktop_screenshot, dark, scrolled_off, two_post_feed, held_out, tiny_text, wrapped_number,
rtl_number, overlay_text.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from PIL import Image

from synthetic import exports as export_writer
from synthetic import fonts
from synthetic.photos import ADVERT_SCENES, DISTRACTOR_SCENES, TIMES, photo_size, render_scene
from synthetic.reposts import Placed, repost
from synthetic.screenshots import (
    DESKTOP_SIZES,
    FAMILIES,
    HELD_OUT_FAMILIES,
    PHONE_SIZES,
    RENDERERS,
    Post,
)
from synthetic.text import (
    LANG_REGIONS,
    LANGUAGES,
    Advert,
    PhoneShown,
    e164,
    make_advert,
    make_phone,
    page_name,
    price_text,
    show_phone,
)

SCHEMA_VERSION = 1
BASE_TIME = datetime(2026, 3, 2, 8, 0, 0)
PARALLEL_THRESHOLD = 300


@dataclass
class GenerationReport:
    """What `generate` wrote."""

    out_dir: Path
    truth_path: Path
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_files(self) -> int:
        return sum(self.counts.values())


def _advert_dict(ad: Advert) -> dict:
    return {"language": ad.language, "text": ad.text, "price": ad.price,
            "phones": [p.as_dict() for p in ad.phones]}


def _advert_from(d: dict) -> Advert:
    return Advert(d["language"], d["text"], [PhoneShown(**p) for p in d["phones"]], d["price"])


def _names(kind: str, when: datetime, rng: random.Random, counter: int) -> str:
    ymd, hms = when.strftime("%Y%m%d"), when.strftime("%H%M%S")
    if kind == "photo":
        return rng.choice((f"IMG_{ymd}_{hms}.jpg", f"PXL_{ymd}_{hms}{counter % 1000:03d}.jpg"))
    if kind == "distractor":
        return rng.choice((f"IMG_{ymd}_{hms}.jpg", f"IMG-{ymd}-WA{counter:04d}.jpg"))
    if kind == "repost":
        ms = int(when.timestamp() * 1000)
        return rng.choice((f"FB_IMG_{ms}.jpg", f"received_{ms}{counter % 100:02d}.jpeg",
                           f"IMG-{ymd}-WA{counter:04d}.jpg",
                           f"photo_{when:%Y-%m-%d_%H-%M-%S}.jpg"))
    if kind == "phone":
        return rng.choice((f"Screenshot_{ymd}-{hms}.png", f"Screenshot_{ymd}-{hms}.png",
                           f"Screenshot_{ymd}-{hms}_Facebook.jpg",
                           f"لقطة الشاشة_{ymd}-{hms}.png"))
    return rng.choice((f"Screenshot {when:%Y-%m-%d} at {when:%H.%M.%S}.png",
                       f"Screenshot {when:%Y-%m-%d} {hms}.png",
                       f"لقطة شاشة {when:%Y-%m-%d} {hms}.png"))


def _plan(n_files: int, seed: int, exports: bool, languages: tuple[str, ...],
          families: tuple[str, ...] = FAMILIES) -> dict:
    """Decide everything cheap up front so rendering needs only its own task."""
    rng = random.Random(seed)
    n_dis = max(1, round(n_files * 0.10))
    n_exp = max(4, round(n_files * 0.10)) if exports else 0
    n_pic = max(3, round(n_files * 0.20))
    # At least one campaign per language, and each campaign needs a photo of its own.
    n_orig = max(len(languages), 2, round(n_pic * 0.4))
    n_rep = max(1, n_pic - n_orig)
    n_ss = n_files - n_dis - n_exp - n_pic
    if n_ss < 3:
        raise ValueError(f"n_files={n_files} is too small; use at least 30 files.")
    n_camp = min(n_orig, max(len(languages), 2, math.ceil(n_orig / 3)))
    campaigns = []
    # Every campaign has numbers of its own: the truth says which items belong together, and a
    # number drawn twice (only the last 2-3 digits of an example number vary) would quietly
    # make two campaigns one.
    taken: set[str] = set()
    for i in range(n_camp):
        lang = languages[i % len(languages)]
        regions = LANG_REGIONS[lang]
        phones: list[str] = []
        want = rng.randint(1, 3)
        for _ in range(50 * want):
            if len(phones) == want:
                break
            num = e164(make_phone(rng, rng.choice(regions)))
            if num not in taken:
                phones.append(num)
                taken.add(num)
        if not phones:
            raise ValueError(f"could not draw a number of its own for campaign {i + 1}.")
        pages = []
        for _ in range(rng.randint(1, 3)):
            name = page_name(rng)
            if name not in pages:
                pages.append(name)
        campaigns.append({"id": f"c{i + 1:03d}", "language": lang, "photos": [],
                          "phones": phones, "pages": pages})
    photos = []
    clock = [BASE_TIME]

    def tick() -> datetime:
        clock[0] += timedelta(seconds=rng.randint(7, 900))
        return clock[0]

    tasks: list[dict] = []
    for i in range(n_orig):
        camp = campaigns[i % n_camp]
        pid = f"p{i + 1:04d}"
        scene = ADVERT_SCENES[i % len(ADVERT_SCENES)] if i >= n_camp else "boat"
        tm = TIMES[rng.randrange(len(TIMES))]
        size = photo_size(rng)
        path = f"photos/{_names('photo', tick(), rng, i)}"
        camp["photos"].append(pid)
        photos.append({"id": pid, "path": path, "scene": scene, "time": tm,
                       "campaign": camp["id"], "size": list(size)})
        tasks.append({"kind": "photo", "path": path, "seed": rng.getrandbits(32),
                      "photo": photos[-1]})
    for i in range(n_dis):
        scene = DISTRACTOR_SCENES[i % len(DISTRACTOR_SCENES)]
        path = f"distractors/{_names('distractor', tick(), rng, i)}"
        tasks.append({"kind": "distractor", "path": path, "seed": rng.getrandbits(32),
                      "scene": scene, "size": list(photo_size(rng))})
    by_id = {p["id"]: p for p in photos}
    camp_by_id = {c["id"]: c for c in campaigns}

    def pick_photo(camp: dict) -> dict:
        return by_id[rng.choice(camp["photos"])]

    for i in range(n_rep):
        camp = campaigns[rng.randrange(n_camp)]
        ph = pick_photo(camp)
        path = f"reposts/{_names('repost', tick(), rng, i)}"
        shown = show_phone(rng, rng.choice(camp["phones"]), camp["language"])
        tasks.append({"kind": "repost", "path": path, "seed": rng.getrandbits(32),
                      "source": ph, "campaign": camp["id"], "language": camp["language"],
                      "phone": shown.as_dict(), "price": price_text(rng, camp["language"])})
    for i in range(n_ss):
        family = families[i % len(families)]
        phone = family != "fb_desktop"
        size = rng.choice(PHONE_SIZES if phone else DESKTOP_SIZES)
        when = tick()
        name = _names("phone" if phone else "desktop", when, rng, i)
        if rng.random() < 0.15 and name.endswith(".png"):
            name = name[:-4] + ".jpg"
        n_posts = 2 if rng.random() < 0.3 else 1
        posts = []
        for _ in range(n_posts):
            camp = campaigns[rng.randrange(n_camp)]
            ph = pick_photo(camp)
            ad = make_advert(rng, camp["language"], camp["phones"])
            posts.append({"campaign": camp["id"], "page": rng.choice(camp["pages"]),
                          "advert": _advert_dict(ad), "photo": ph,
                          "posted": rng.choice(("2 h", "5 h", "1 d", "3 d", "Just now",
                                                "March 1", "14 min")),
                          "likes": rng.randint(3, 4000),
                          "day": (when - timedelta(days=rng.randint(0, 9))).strftime("%B %-d"),
                          "clock": f"{rng.randint(6, 23):02d}:{rng.randint(0, 59):02d}"})
        tasks.append({"kind": "screenshot", "path": f"screenshots/{name}",
                      "seed": rng.getrandbits(32), "family": family, "size": list(size),
                      "theme": "dark" if rng.random() < 0.4 else "light",
                      "scrolled_off": rng.random() < 0.2, "clock": when.strftime("%H:%M"),
                      "posts": posts})
    export_plan = None
    if exports:
        export_plan = export_writer.plan_exports(rng, n_exp, campaigns, by_id, camp_by_id, tick)
        tasks += export_plan["tasks"]
    return {"seed": seed, "n_files": n_files, "languages": list(languages),
            "campaigns": campaigns, "photos": photos, "tasks": tasks, "exports": export_plan}


@lru_cache(maxsize=48)
def _load_source(path: str) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def _save(img: Image.Image, dest: Path, quality: int = 90) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.suffix.lower() == ".png":
        # Level 1 keeps 1080x2340 screenshots fast to write; bytes stay deterministic.
        img.save(dest, "PNG", compress_level=1)
        return "PNG"
    img.save(dest, "JPEG", quality=quality)
    return "JPEG"


def _entry(task: dict, kind: str, **kw) -> dict:
    base = {"path": task["path"], "kind": kind, "format": None, "size": None,
            "campaign": None, "campaigns": [], "sources": [], "transform": {}, "text": [],
            "ui_text": [], "phones": [], "wrapped_phones": [], "language": None,
            "layout": None, "theme": None, "held_out": False, "strata": []}
    base.update(kw)
    return base


def render_task(task: dict, out_dir: str) -> dict:
    """Render one planned file to disk and return its truth entry."""
    out = Path(out_dir)
    rng = random.Random(task["seed"])
    kind = task["kind"]
    if kind == "photo":
        p = task["photo"]
        img = render_scene(p["scene"], task["seed"], tuple(p["size"]), p["time"])
        fmt = _save(img, out / task["path"], 92)
        return _entry(task, "photo", format=fmt, size=list(img.size), campaign=p["campaign"],
                      campaigns=[p["campaign"]], scene=p["scene"],
                      sources=[Placed(p["id"], [0, 0, *img.size], [0, 0, *img.size], 1.0,
                                      False, p["campaign"]).as_dict()])
    if kind == "distractor":
        img = render_scene(task["scene"], task["seed"], tuple(task["size"]))
        fmt = _save(img, out / task["path"], rng.randint(80, 95))
        return _entry(task, "distractor", format=fmt, size=list(img.size), scene=task["scene"])
    if kind in ("repost", "export_media"):
        src_meta = task["source"]
        src = _load_source(str(out / src_meta["path"]))
        phone = PhoneShown(**task["phone"]) if task.get("phone") else None
        res = repost(src, src_meta["id"], rng, language=task["language"], phone=phone,
                     price=task.get("price", ""), campaign=task["campaign"],
                     gentle=kind == "export_media")
        fmt = _save(res.image, out / task["path"], res.quality)
        extra = {"export": task["export"]} if kind == "export_media" else {}
        return _entry(task, kind, format=fmt, size=list(res.image.size),
                      campaign=task["campaign"], campaigns=[task["campaign"]],
                      sources=[res.placed.as_dict()], transform=res.transform, text=res.text,
                      phones=[p.as_dict() for p in res.phones], language=task["language"],
                      strata=res.strata, **extra)
    if kind == "screenshot":
        posts = []
        for pd in task["posts"]:
            src = _load_source(str(out / pd["photo"]["path"]))
            posts.append(Post(pd["campaign"], pd["page"], _advert_from(pd["advert"]),
                              pd["photo"]["id"], src, pd["posted"], pd["likes"], pd["day"],
                              pd["clock"]))
        family = task["family"]
        res = RENDERERS[family](posts, rng, tuple(task["size"]), task["theme"], task["clock"],
                                task["scrolled_off"])
        quality = rng.randint(80, 94)
        fmt = _save(res.image, out / task["path"], quality)
        strata = list(res.strata)
        if task["theme"] == "dark":
            strata.append("dark")
        held = family in HELD_OUT_FAMILIES
        if held:
            strata.append("held_out")
        if fmt == "JPEG":
            strata.append("recompress")
        phones, cut_phones = _phones_on_screen(task["posts"], res.text, res.cut_text)
        shown_camps = [p.campaign for p in res.placed]
        camps = list(dict.fromkeys(shown_camps + [pd["campaign"] for pd in task["posts"]]))
        langs = [pd["advert"]["language"] for pd in task["posts"]]
        return _entry(task, "screenshot", format=fmt, size=list(res.image.size),
                      campaign=task["posts"][0]["campaign"], campaigns=camps,
                      sources=[p.as_dict() for p in res.placed], text=res.text,
                      ui_text=res.ui_text, cut_text=res.cut_text, phones=phones,
                      cut_phones=cut_phones,
                      wrapped_phones=sorted(set(res.wrapped_phones)), language=langs[0],
                      layout=family, theme=task["theme"], held_out=held,
                      strata=sorted(set(strata)), jpeg_quality=quality if fmt == "JPEG" else None)
    raise ValueError(f"Unknown task kind {kind!r}.")


def _phones_on_screen(posts: list[dict], whole: list[str], cut: list[str]
                     ) -> tuple[list[dict], list[dict]]:
    """The posts' numbers wholly on screen (every group in lines wholly shown), and those
    only partly there (in a line the screen's edge cuts, or wrapped with its other groups
    off screen or in a cut line)."""
    shown_text = " ".join(whole)
    numbers = [ph for pd in posts for ph in pd["advert"]["phones"]]
    full = [ph for k, ph in enumerate(numbers)
            if ph not in numbers[:k] and ph["shown"] in shown_text]
    seen = {ph["e164"] for ph in full}
    part = []
    for ph in numbers:
        if ph["e164"] not in seen and any(_partly_in(ph["shown"], line) for line in whole + cut):
            part.append(ph)
            seen.add(ph["e164"])
    return full, part


def _partly_in(shown: str, line: str) -> bool:
    """Some of ``shown`` is on ``line``: all of it, or (a number wraps at its spaces) its
    first groups ending the line or its last groups starting it, two digits at least."""
    if shown in line:
        return True
    groups = shown.split(" ")
    for k in range(1, len(groups)):
        head, tail = " ".join(groups[:k]), " ".join(groups[k:])
        if (_digits(head) >= 2 and (line == head or line.endswith(" " + head))) or (
                _digits(tail) >= 2 and (line == tail or line.startswith(tail + " "))):
            return True
    return False


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _run(tasks: list[dict], out_dir: Path, pool) -> list[dict]:
    if pool is None:
        return [render_task(t, str(out_dir)) for t in tasks]
    return pool.starmap(render_task, [(t, str(out_dir)) for t in tasks], chunksize=8)


def generate(out_dir: Path, n_files: int, seed: int = 0, *, exports: bool = True,
             languages: tuple[str, ...] | list[str] = LANGUAGES,
             workers: int | None = None,
             families: tuple[str, ...] | list[str] = FAMILIES) -> GenerationReport:
    """Write a synthetic collection of about `n_files` image files plus truth.json.

    ``families``: the screenshot layouts, taken in turn ("instagram_phone" is drawn only when
    named here); the same seed with other families gives the same posts in other layouts."""
    started = time.perf_counter()
    fonts.require_raqm()
    languages = tuple(languages)
    bad = [lang for lang in languages if lang not in LANGUAGES]
    if not languages or bad:
        raise ValueError(f"Languages must be a non-empty subset of {LANGUAGES}, got {bad}.")
    if workers is None:
        workers = min(2, mp.cpu_count() or 1)
    families = tuple(families)
    unknown = [f for f in families if f not in RENDERERS]
    if not families or unknown:
        raise ValueError(f"Families must be a non-empty subset of {tuple(RENDERERS)}, "
                         f"got {unknown}.")
    plan = _plan(n_files, seed, exports, languages, families)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks = plan["tasks"]
    # Sources first: everything else is drawn from the saved original photos.
    first = [t for t in tasks if t["kind"] in ("photo", "distractor")]
    rest = [t for t in tasks if t["kind"] not in ("photo", "distractor")]
    # Grouping by source photo lets each worker's small cache of decoded photos hit.
    rest.sort(key=lambda t: (t.get("source") or t.get("posts", [{}])[0].get("photo", {}))
              .get("id", ""))
    if workers > 1 and len(tasks) >= PARALLEL_THRESHOLD:
        # Spawned workers load neither the caller's state nor anything but this package.
        with mp.get_context("spawn").Pool(workers) as pool:
            entries = _run(first, out, pool) + _run(rest, out, pool)
    else:
        entries = _run(first, out, None) + _run(rest, out, None)
    order = {t["path"]: i for i, t in enumerate(tasks)}
    entries.sort(key=lambda e: order[e["path"]])
    export_truth = {}
    if exports:
        export_truth = export_writer.write_exports(out, plan["exports"])
    truth = {"schema": SCHEMA_VERSION, "seed": seed, "n_files": len(entries),
             "languages": plan["languages"], "held_out_families": [f for f in HELD_OUT_FAMILIES if f in families],
             "campaigns": plan["campaigns"], "photos": plan["photos"], "files": entries,
             "exports": export_truth}
    truth_path = out / "truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    return GenerationReport(out, truth_path, counts, time.perf_counter() - started)
