"""Domain reads and writes on a case: items, tags, notes, links and decisions, the watchlist.

Functions take a ``Case`` and return plain dataclasses or JSON-ready dicts, never cursors.
Every write is one transaction, is written to the audit log in that same transaction, and
returns a ``ChangeSet``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .case import Case
from .changes import ChangeSet
from .clock import now_utc
from .errors import TidelineError
from .textnorm import fts_query, normalise_for_search

LINK_STATUSES = ("auto", "confirmed", "rejected", "unsure")
TAG_COLOURS = ("#5b8def", "#e0a030", "#d0556a", "#46a37a", "#9b6ad6", "#3fa7b5", "#c47a3a",
               "#7a8b99", "#b8a23a")


class NotFound(TidelineError):
    pass


@dataclass
class Link:
    id: int
    kind: str
    a: str
    b: str
    score: float | None
    band: str | None
    why: str
    status: str
    details: dict = field(default_factory=dict)
    decided_by: str | None = None
    decided_at: str | None = None
    decision_note: str | None = None

    def as_json(self) -> dict:
        return {
            "id": self.id, "a": self.a, "b": self.b, "kind": self.kind, "score": self.score,
            "band": self.band, "why": self.why, "status": self.status, "details": self.details,
            "decided_by": self.decided_by, "decided_at": self.decided_at,
            "decision_note": self.decision_note,
        }


def _loads(value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


# -- items -------------------------------------------------------------------------------------


def item_ids(case: Case) -> list[int]:
    return [r[0] for r in case.db.execute("SELECT id FROM items ORDER BY id")]


def require_item(case: Case, item_id: int) -> None:
    if not case.db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone():
        raise NotFound(f"There is no item {item_id} in this case.")


def current_edits(case: Case, ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    out: dict[int, dict[str, str | None]] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for item_id, fld, value in case.db.execute(
            f"SELECT item_id, field, value FROM item_edits WHERE current = 1 AND item_id IN ({marks})"
            " ORDER BY id",
            chunk,
        ):
            out.setdefault(item_id, {})[fld] = value
    return out


def _chunks(ids: Sequence, size: int = 900) -> Iterable[list]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def items_json(case: Case, ids: Sequence[int] | None = None) -> list[dict]:
    """Items in the shape of ``python main.py items --json`` (see DESIGN.md)."""
    db = case.db
    if ids is None:
        ids = item_ids(case)
    out = []
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        rows = {r["id"]: r for r in db.query(f"SELECT * FROM items WHERE id IN ({marks})", chunk)}
        sightings: dict[int, list[dict]] = {}
        for r in db.query(
            f"""SELECT s.*, m.mime, m.width, m.height, m.readable, m.unreadable_reason, m.size
                AS media_size, src.kind AS source_kind, src.path AS source_path
                FROM sightings s JOIN media m ON m.sha256 = s.media_sha256
                JOIN sources src ON src.id = s.source_id
                WHERE s.item_id IN ({marks}) ORDER BY s.id""",
            chunk,
        ):
            sightings.setdefault(r["item_id"], []).append(r)
        ocr: dict[int, list[str]] = {}
        for r in db.query(
            f"""SELECT DISTINCT s.item_id, o.text FROM sightings s
                JOIN ocr o ON o.media_sha256 = s.media_sha256 AND o.current = 1
                WHERE s.item_id IN ({marks}) AND o.text != '' ORDER BY s.id""",
            chunk,
        ):
            ocr.setdefault(r["item_id"], []).append(r["text"])
        selectors: dict[int, list[dict]] = {}
        for r in db.query(
            f"""SELECT item_id, kind, value, shown, found_in, media_sha256, span, boxes
                FROM selectors WHERE current = 1 AND item_id IN ({marks}) ORDER BY id""",
            chunk,
        ):
            selectors.setdefault(r["item_id"], []).append(
                {"kind": r["kind"], "value": r["value"], "shown": r["shown"],
                 "found_in": r["found_in"], "media": r["media_sha256"],
                 "span": _loads(r["span"], None), "boxes": _loads(r["boxes"], None)}
            )
        tags: dict[int, list[str]] = {}
        for r in db.query(
            f"""SELECT it.item_id, t.name FROM item_tags it JOIN tags t ON t.id = it.tag_id
                WHERE it.item_id IN ({marks}) ORDER BY t.name""",
            chunk,
        ):
            tags.setdefault(r["item_id"], []).append(r["name"])
        notes: dict[int, list[dict]] = {}
        for r in db.query(
            f"SELECT item_id, text, actor, at FROM notes WHERE item_id IN ({marks}) ORDER BY id",
            chunk,
        ):
            notes.setdefault(r["item_id"], []).append(
                {"text": r["text"], "actor": r["actor"], "at": r["at"]}
            )
        edits = current_edits(case, chunk)
        for item_id in chunk:
            r = rows.get(item_id)
            if r is None:
                continue
            seen = sightings.get(item_id, [])
            media, seen_json, known = [], [], set()
            for s in seen:
                if s["media_sha256"] not in known:
                    known.add(s["media_sha256"])
                    media.append({
                        "sha256": s["media_sha256"], "original_name": s["original_name"],
                        "role": s["role"], "mime": s["mime"], "width": s["width"],
                        "height": s["height"], "readable": bool(s["readable"]),
                        "unreadable_reason": s["unreadable_reason"], "size": s["media_size"],
                    })
                seen_json.append({
                    "sha256": s["media_sha256"], "source_id": s["source_id"],
                    "source_kind": s["source_kind"], "source_path": s["source_path"],
                    "path": s["path_in_source"], "original_name": s["original_name"],
                    "role": s["role"], "file_mtime": s["file_mtime"],
                })
            mine = edits.get(item_id, {})
            extra = _loads(r["extra"], {})
            out.append({
                "id": item_id,
                "kind": r["kind"],
                "author": mine.get("author", r["author"]),
                "author_id": r["author_id"],
                "url": mine.get("url", r["url"]),
                "posted_at": mine.get("posted_at", r["posted_at"]),
                "posted_at_original": r["posted_at_original"],
                "captured_at": r["captured_at"],
                "captured_at_source": r["captured_at_source"],
                "analyst_entered": sorted(mine),
                "text": r["text"],
                "text_in_image": r["text_in_image"],
                "ocr_text": "\n".join(ocr.get(item_id, [])),
                "language": r["language"],
                "source_id": r["source_id"],
                "source_ref": r["source_ref"],
                "context": bool(extra.get("service")),
                "extra": extra,
                "media": media,
                "sightings": seen_json,
                "selectors": selectors.get(item_id, []),
                "tags": tags.get(item_id, []),
                "notes": notes.get(item_id, []),
            })
    return out


def set_item_detail(case: Case, item_id: int, field_name: str, value: str | None) -> ChangeSet:
    """An analyst-entered page/account, URL or posted time (read off a screenshot)."""
    if field_name not in ("author", "url", "posted_at"):
        raise TidelineError(f"'{field_name}' cannot be entered by hand (author, url, posted_at).")
    require_item(case, item_id)
    with case.transaction() as db:
        db.execute("UPDATE item_edits SET current = 0 WHERE item_id = ? AND field = ?",
                   [item_id, field_name])
        db.execute(
            "INSERT INTO item_edits (item_id, field, value, actor, at) VALUES (?, ?, ?, ?, ?)",
            [item_id, field_name, value, case.actor, now_utc()],
        )
        case.audit("item.detail.set", {"item": item_id, "field": field_name, "value": value})
    return ChangeSet(items={item_id})


# -- tags and notes ----------------------------------------------------------------------------


def tags(case: Case) -> list[dict]:
    return [
        dict(r)
        for r in case.db.query(
            """SELECT t.id, t.name, t.color, count(it.item_id) AS items FROM tags t
               LEFT JOIN item_tags it ON it.tag_id = t.id GROUP BY t.id ORDER BY t.id"""
        )
    ]


def _tag_id(case: Case, name: str, color: str | None) -> int:
    name = name.strip()
    if not name:
        raise TidelineError("A tag needs a name.")
    row = case.db.execute("SELECT id FROM tags WHERE name = ?", [name]).fetchone()
    if row:
        return row[0]
    n = case.db.execute("SELECT count(*) FROM tags").fetchone()[0]
    cur = case.db.execute(
        "INSERT INTO tags (name, color, created_at) VALUES (?, ?, ?)",
        [name, color or TAG_COLOURS[n % len(TAG_COLOURS)], now_utc()],
    )
    case.audit("tag.created", {"tag": name})
    return cur.lastrowid


def add_tag(case: Case, item_ids: Sequence[int], name: str, color: str | None = None) -> ChangeSet:
    for i in item_ids:
        require_item(case, i)
    with case.transaction() as db:
        tag_id = _tag_id(case, name, color)
        changed = []
        for i in item_ids:
            cur = db.execute(
                "INSERT OR IGNORE INTO item_tags (item_id, tag_id, actor, at) VALUES (?, ?, ?, ?)",
                [i, tag_id, case.actor, now_utc()],
            )
            if cur.rowcount:
                changed.append(i)
        if changed:
            case.audit("tag.added", {"tag": name.strip(), "items": changed})
    return ChangeSet(items=set(changed), tags=True)


def remove_tag(case: Case, item_ids: Sequence[int], name: str) -> ChangeSet:
    with case.transaction() as db:
        row = db.execute("SELECT id FROM tags WHERE name = ?", [name.strip()]).fetchone()
        if not row:
            raise NotFound(f"There is no tag '{name}' in this case.")
        changed = []
        for i in item_ids:
            cur = db.execute("DELETE FROM item_tags WHERE item_id = ? AND tag_id = ?", [i, row[0]])
            if cur.rowcount:
                changed.append(i)
        if changed:
            case.audit("tag.removed", {"tag": name.strip(), "items": changed})
    return ChangeSet(items=set(changed), tags=True)


def add_note(case: Case, item_id: int, text: str) -> tuple[int, ChangeSet]:
    if not text.strip():
        raise TidelineError("A note cannot be empty.")
    require_item(case, item_id)
    with case.transaction() as db:
        cur = db.execute(
            "INSERT INTO notes (item_id, text, actor, at) VALUES (?, ?, ?, ?)",
            [item_id, text, case.actor, now_utc()],
        )
        case.audit("note.added", {"item": item_id, "note": cur.lastrowid, "text": text})
    return cur.lastrowid, ChangeSet(items={item_id})


def remove_note(case: Case, note_id: int) -> ChangeSet:
    with case.transaction() as db:
        row = db.execute("SELECT item_id, text FROM notes WHERE id = ?", [note_id]).fetchone()
        if not row:
            raise NotFound(f"There is no note {note_id} in this case.")
        db.execute("DELETE FROM notes WHERE id = ?", [note_id])
        case.audit("note.removed", {"item": row[0], "note": note_id, "text": row[1]})
    return ChangeSet(items={row[0]})


# -- links -------------------------------------------------------------------------------------


def link_key(kind: str, a: str, b: str) -> str:
    lo, hi = sorted((str(a), str(b)))
    return f"{kind}:{lo}:{hi}"


def _link_from_row(r: dict) -> Link:
    return Link(
        id=r["id"], kind=r["kind"], a=r["a"], b=r["b"], score=r["score"], band=r["band"],
        why=r["why"], status=r["status"], details=_loads(r["details"], {}),
        decided_by=r["decided_by"], decided_at=r["decided_at"], decision_note=r["decision_note"],
    )


def links(case: Case, kind: str | None = None, include_rejected: bool = True) -> list[Link]:
    """Current links: automatic ones found by the latest analysis, and every decided one."""
    sql = "SELECT * FROM links WHERE (stale = 0 OR status != 'auto')"
    args: list[Any] = []
    if kind and kind != "all":
        sql += " AND kind = ?"
        args.append(kind)
    if not include_rejected:
        sql += " AND status != 'rejected'"
    return [_link_from_row(r) for r in case.db.query(sql + " ORDER BY id", args)]


def get_link(case: Case, link_id: int) -> Link:
    rows = list(case.db.query("SELECT * FROM links WHERE id = ?", [link_id]))
    if not rows:
        raise NotFound(f"There is no link {link_id} in this case.")
    return _link_from_row(rows[0])


def replace_auto_links(case: Case, kinds: Sequence[str], found: Iterable[dict]) -> ChangeSet:
    """Record what an analysis found for ``kinds``; decisions survive.

    Each found link is a dict with kind, a, b, score, band, why, details. A link found again
    keeps its id and status; a rejected one stays rejected (it never comes back as ``auto``);
    an automatic link not found again turns stale and drops out of listings, while a decided
    one stays listed. Call inside ``case.transaction()`` or alone.
    """
    changes = ChangeSet()
    now = now_utc()
    with case.transaction() as db:
        marks = ",".join("?" * len(kinds))
        db.execute(f"UPDATE links SET stale = 1 WHERE kind IN ({marks})", list(kinds))
        for f in found:
            key = link_key(f["kind"], f["a"], f["b"])
            a, b = sorted((str(f["a"]), str(f["b"])))
            details = json.dumps(f.get("details", {}), ensure_ascii=False, sort_keys=True)
            cur = db.execute(
                """INSERT INTO links (key, kind, a, b, score, band, why, details, status, stale,
                                      created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'auto', 0, ?, ?)
                   ON CONFLICT(key) DO UPDATE SET score = excluded.score, band = excluded.band,
                     why = excluded.why, details = excluded.details, stale = 0,
                     updated_at = excluded.updated_at
                   RETURNING id""",
                [key, f["kind"], a, b, f.get("score"), f.get("band"), f["why"], details, now, now],
            )
            changes.links.add(cur.fetchone()[0])
    return changes


def decide(case: Case, link_id: int, status: str, note: str | None = None) -> ChangeSet:
    if status not in ("confirmed", "rejected", "unsure", "auto"):
        raise TidelineError(f"'{status}' is not a decision (confirm, reject or unsure).")
    link = get_link(case, link_id)
    with case.transaction() as db:
        db.execute(
            "UPDATE links SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?,"
            " updated_at = ? WHERE id = ?",
            [status, case.actor, now_utc(), note, now_utc(), link_id],
        )
        case.audit("link.decided", {"link": link_id, "kind": link.kind, "a": link.a, "b": link.b,
                                    "from": link.status, "to": status, "note": note})
    return ChangeSet(links={link_id})


def manual_link(case: Case, a: int, b: int, note: str) -> tuple[int, ChangeSet]:
    if a == b:
        raise TidelineError("An item cannot be linked to itself.")
    require_item(case, a)
    require_item(case, b)
    if not note.strip():
        raise TidelineError("A manual link needs a note saying why.")
    now = now_utc()
    lo, hi = sorted((str(a), str(b)), key=int)
    with case.transaction() as db:
        cur = db.execute(
            """INSERT INTO links (key, kind, a, b, score, band, why, details, status, decided_by,
                                  decided_at, decision_note, created_at, updated_at)
               VALUES (?, 'manual', ?, ?, 1.0, 'strong', ?, '{}', 'confirmed', ?, ?, ?, ?, ?)
               ON CONFLICT(key) DO UPDATE SET decision_note = excluded.decision_note,
                 status = 'confirmed', updated_at = excluded.updated_at
               RETURNING id""",
            [link_key("manual", lo, hi), lo, hi, f"linked by hand: {note}", case.actor, now,
             note, now, now],
        )
        link_id = cur.fetchone()[0]
        case.audit("link.manual", {"link": link_id, "a": a, "b": b, "note": note})
    return link_id, ChangeSet(links={link_id}, items={a, b})


# -- watchlist ---------------------------------------------------------------------------------

WATCH_KINDS = ("phone", "handle", "email", "url", "pdq", "phash")


def watchlist(case: Case) -> list[dict]:
    return [dict(r) for r in case.db.query("SELECT * FROM watchlist ORDER BY list_name, kind, value")]


def watchlist_add(case: Case, list_name: str, entries: Iterable[tuple[str, str, str | None]]
                  ) -> int:
    """Add (kind, value, note) entries to a named list; values are stored as normalised by the
    caller (E.164 phones, lowercase handles). Returns how many were new."""
    added = 0
    with case.transaction() as db:
        for kind, value, note in entries:
            if kind not in WATCH_KINDS:
                raise TidelineError(f"'{kind}' is not a watchlist kind ({', '.join(WATCH_KINDS)}).")
            cur = db.execute(
                "INSERT OR IGNORE INTO watchlist (list_name, kind, value, note, added_by, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [list_name, kind, value, note, case.actor, now_utc()],
            )
            added += cur.rowcount
        case.audit("watchlist.added", {"list": list_name, "added": added})
    return added


def watchlist_remove(case: Case, list_name: str, kind: str, value: str) -> int:
    with case.transaction() as db:
        cur = db.execute("DELETE FROM watchlist WHERE list_name = ? AND kind = ? AND value = ?",
                         [list_name, kind, value])
        if cur.rowcount:
            case.audit("watchlist.removed", {"list": list_name, "kind": kind, "value": value})
    return cur.rowcount


def watchlist_hits(case: Case) -> list[dict]:
    """Every item whose current selectors match a watchlist entry, with the list's name."""
    return [
        dict(r)
        for r in case.db.query(
            """SELECT DISTINCT s.item_id, w.list_name, w.kind, w.value, s.shown, s.found_in
               FROM watchlist w JOIN selectors s ON s.value = w.value AND s.current = 1
                 AND (s.kind = w.kind OR (w.kind = 'phone' AND s.kind = 'whatsapp'))
               ORDER BY s.item_id"""
        )
    ]


# -- full-text search --------------------------------------------------------------------------


def index_items(case: Case, item_ids: Iterable[int]) -> int:
    """Rebuild the search rows of these items: post text, image text, OCR, page, URL, selectors.

    Text is normalised (``evidence.textnorm``) the same way queries are, so Arabic letter
    variants, harakat, Persian half-spaces and Eastern digits match their plain forms.
    """
    n = 0
    with case.transaction() as db:
        for chunk in _chunks(list(item_ids)):
            for item in items_json(case, chunk):
                parts = [item["author"], item["url"], item["text"], item["text_in_image"],
                         item["ocr_text"]]
                parts += [s["value"] for s in item["selectors"]]
                parts += [m["original_name"] for m in item["media"]]
                body = normalise_for_search("\n".join(p for p in parts if p))
                db.execute("DELETE FROM search_index WHERE item_id = ?", [item["id"]])
                db.execute("INSERT INTO search_index (body, item_id) VALUES (?, ?)",
                           [body, item["id"]])
                n += 1
    return n


def search(case: Case, query: str, limit: int = 500) -> list[dict]:
    """Items matching a full-text query, best first, each with a highlighted snippet."""
    match = fts_query(query)
    if not match:
        return []
    rows = case.db.execute(
        "SELECT item_id, snippet(search_index, 0, '[', ']', '…', 16), bm25(search_index)"
        " FROM search_index WHERE search_index MATCH ? ORDER BY bm25(search_index) LIMIT ?",
        [match, limit],
    ).fetchall()
    return [{"id": int(r[0]), "snippet": r[1], "rank": r[2]} for r in rows]
