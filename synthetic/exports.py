"""Synthetic platform exports that share photos and numbers with the screenshots.

Owns the Telegram Desktop channel export (result.json + photos/, with a service message,
phone entities and a "File not included" placeholder), the Facebook "Download Your
Information" posts export (strings written as Facebook does: UTF-8 bytes as latin-1 \\u00XX
escapes) and a CrowdTangle CSV.
"""

from __future__ import annotations

import csv
import json
import math
import random
from datetime import datetime
from pathlib import Path

from synthetic.text import make_advert

TELEGRAM_DIR = "exports/telegram/ChatExport_2026-03-10"
FACEBOOK_DIR = "exports/facebook"
FACEBOOK_POSTS = "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"
CROWDTANGLE = "exports/crowdtangle.csv"
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
CROWDTANGLE_COLUMNS = (
    "Page Name", "User Name", "Facebook Id", "Page Category", "Post Created", "Type", "URL",
    "Message", "Link", "Final Link", "Image Text", "Total Interactions",
)


def facebook_mojibake(text: str) -> str:
    """Write text the way Facebook exports do: each UTF-8 byte as one latin-1 code point."""
    return text.encode("utf-8").decode("latin-1")


def _user_name(page: str) -> str:
    return "".join(ch for ch in page.split(" (")[0] if ch.isalnum()).lower() + "fictional"


def plan_exports(rng: random.Random, n_media: int, campaigns: list[dict], photos: dict,
                 camp_by_id: dict, tick) -> dict:
    """Plan export messages and posts; their photos become render tasks."""
    n_tg = math.ceil(n_media / 2)
    n_fb = n_media - n_tg
    tasks: list[dict] = []
    channel = campaigns[0]["pages"][0]
    messages: list[dict] = []
    when = tick()
    messages.append({"id": 1, "type": "service", "date": when, "action": "create_channel",
                     "title": channel, "campaign": None})
    mid = 1
    for i in range(n_tg + 2):
        mid += 1
        camp = campaigns[rng.randrange(len(campaigns))]
        ad = make_advert(rng, camp["language"], camp["phones"])
        when = tick()
        msg = {"id": mid, "type": "message", "date": when, "campaign": camp["id"],
               "text": ad.text, "phones": [p.as_dict() for p in ad.phones], "photo": None,
               "file": None}
        if i < n_tg:
            ph = photos[rng.choice(camp["photos"])]
            name = f"photos/photo_{i + 1}@{when:%d-%m-%Y_%H-%M-%S}.jpg"
            msg["photo"], msg["file"] = ph["id"], name
            tasks.append({"kind": "export_media", "export": "telegram",
                          "path": f"{TELEGRAM_DIR}/{name}", "seed": rng.getrandbits(32),
                          "source": ph, "campaign": camp["id"], "language": camp["language"]})
        elif i == n_tg:
            msg["file"] = NOT_INCLUDED
            msg["photo"] = rng.choice(camp["photos"])
        messages.append(msg)
    posts: list[dict] = []
    for i in range(n_fb):
        camp = campaigns[rng.randrange(len(campaigns))]
        ad = make_advert(rng, camp["language"], camp["phones"])
        ph = photos[rng.choice(camp["photos"])]
        when = tick()
        uri = f"your_facebook_activity/posts/media/YourPosts_{i + 1}/{rng.getrandbits(60)}.jpg"
        posts.append({"index": i, "campaign": camp["id"], "text": ad.text, "date": when,
                      "phones": [p.as_dict() for p in ad.phones], "photo": ph["id"],
                      "file": uri})
        tasks.append({"kind": "export_media", "export": "facebook",
                      "path": f"{FACEBOOK_DIR}/{uri}", "seed": rng.getrandbits(32),
                      "source": ph, "campaign": camp["id"], "language": camp["language"]})
    rows: list[dict] = []
    for i in range(max(6, n_media)):
        camp = campaigns[i % len(campaigns)]
        ad = make_advert(rng, camp["language"], camp["phones"])
        page = rng.choice(camp["pages"])
        banner = ""
        if rng.random() < 0.4:
            banner = f"{ad.price} {ad.phones[0].shown}"
        rows.append({"row": i, "campaign": camp["id"], "page": page, "text": ad.text,
                     "phones": [p.as_dict() for p in ad.phones], "image_text": banner,
                     "date": tick(), "interactions": rng.randint(0, 900),
                     "fb_id": str(100000000000000 + rng.getrandbits(40)),
                     "post_id": str(rng.getrandbits(50)), "photo": rng.choice(camp["photos"])})
    return {"tasks": tasks, "channel": channel, "channel_id": 1000000000 + rng.getrandbits(30),
            "messages": messages, "posts": posts, "rows": rows}


def _ts(when: datetime) -> int:
    # Naive times are read as UTC so output does not depend on the machine's time zone.
    return int((when - datetime(1970, 1, 1)).total_seconds())


def _telegram_text(text: str, phones: list[dict]):
    """Telegram's mixed text form: plain strings and entity objects for +numbers."""
    entities = []
    rest = text
    for ph in phones:
        shown = ph["shown"]
        if not shown.startswith("+") or shown not in rest:
            continue
        before, rest = rest.split(shown, 1)
        if before:
            entities.append({"type": "plain", "text": before})
        entities.append({"type": "phone", "text": shown})
    if not entities:
        return text, [{"type": "plain", "text": text}]
    if rest:
        entities.append({"type": "plain", "text": rest})
    mixed = [e["text"] if e["type"] == "plain" else dict(e) for e in entities]
    return mixed, entities


def write_exports(out: Path, plan: dict) -> dict:
    """Write the export files; return their part of truth.json."""
    tg_msgs = []
    for m in plan["messages"]:
        when = m["date"]
        rec = {"id": m["id"], "type": m["type"], "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
               "date_unixtime": str(_ts(when))}
        if m["type"] == "service":
            rec.update({"actor": plan["channel"], "actor_id": f"channel{plan['channel_id']}",
                        "action": m["action"], "title": m["title"], "text": "",
                        "text_entities": []})
        else:
            rec.update({"from": plan["channel"], "from_id": f"channel{plan['channel_id']}"})
            if m["file"]:
                rec.update({"photo": m["file"], "width": 1280, "height": 960})
                if m["file"] != NOT_INCLUDED:
                    path = out / TELEGRAM_DIR / m["file"]
                    if path.is_file():
                        from PIL import Image

                        with Image.open(path) as im:
                            rec["width"], rec["height"] = im.size
                            rec["photo_file_size"] = path.stat().st_size
            text, entities = _telegram_text(m["text"], m["phones"])
            rec["text"], rec["text_entities"] = text, entities
        tg_msgs.append(rec)
    tg = {"name": plan["channel"], "type": "public_channel", "id": plan["channel_id"],
          "messages": tg_msgs}
    tg_path = out / TELEGRAM_DIR / "result.json"
    tg_path.parent.mkdir(parents=True, exist_ok=True)
    tg_path.write_text(json.dumps(tg, ensure_ascii=False, indent=1), encoding="utf-8")

    fb = []
    for p in plan["posts"]:
        ts = _ts(p["date"])
        fb.append({"timestamp": ts, "data": [{"post": facebook_mojibake(p["text"])}],
                   "attachments": [{"data": [{"media": {
                       "uri": p["file"], "creation_timestamp": ts,
                       "title": facebook_mojibake(""),
                       "description": facebook_mojibake(p["text"])}}]}],
                   "title": facebook_mojibake("Sea Star Travel (fictional) updated the status.")})
    fb_path = out / FACEBOOK_DIR / FACEBOOK_POSTS
    fb_path.parent.mkdir(parents=True, exist_ok=True)
    # ensure_ascii turns the latin-1 stand-ins into \u00XX escapes, exactly as Facebook does.
    fb_path.write_text(json.dumps(fb, ensure_ascii=True, indent=2), encoding="ascii")

    ct_path = out / CROWDTANGLE
    with ct_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CROWDTANGLE_COLUMNS)
        for r in plan["rows"]:
            user = _user_name(r["page"])
            w.writerow([r["page"], user, r["fb_id"], "Travel Company",
                        r["date"].strftime("%Y-%m-%d %H:%M:%S EET"), "Photo",
                        f"https://www.facebook.com/{user}/posts/{r['post_id']}", r["text"],
                        f"https://www.facebook.com/photo.php?fbid={r['post_id']}", "",
                        r["image_text"], r["interactions"]])

    def clean(d: dict) -> dict:
        return {k: (v.strftime("%Y-%m-%dT%H:%M:%S") if isinstance(v, datetime) else v)
                for k, v in d.items()}

    return {
        "telegram": {"path": str(tg_path.relative_to(out)),
                     "messages": [clean(m) for m in plan["messages"]]},
        "facebook": {"path": str(fb_path.relative_to(out)), "media_root": FACEBOOK_DIR,
                     "posts": [clean(p) for p in plan["posts"]]},
        "crowdtangle": {"path": CROWDTANGLE, "columns": list(CROWDTANGLE_COLUMNS),
                        "rows": [clean(r) for r in plan["rows"]]},
    }
