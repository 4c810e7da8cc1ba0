"""Fast read queries behind the workstation's lazy lists: which items match, in what order, and
the short row summaries, links, regions and notes a list or detail panel shows.

Everything here reads; nothing writes. Results are plain dataclasses so the GUI models can hold
item ids and ask for a page of rows at a time, however large the case is.

Search text understands filters alongside free text (free text goes to the FTS5 index):
``phone:+90...`` ``tag:boat`` ``source:N`` ``kind:screenshot`` ``has:links`` ``has:notes``
``has:tags``. Quoted values (``tag:"to check"``) may contain spaces.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .case import Case
from .errors import TidelineError
from .store import Link, current_edits, get_link, search

ITEM_KINDS = ("screenshot", "post", "message")
SORT_KEYS = ("id", "time", "kind", "author")
HAS_VALUES = ("links", "notes", "tags")
PHONE_KINDS = ("phone", "whatsapp")
SNIPPET_CHARS = 160
SEARCH_LIMIT = 200_000
# SQLite allows 999 bound parameters in older builds; stay well under it.
_CHUNK = 900
# A link counts for an item unless it went stale without a decision or was rejected.
_LIVE_LINK = "(l.stale = 0 OR l.status != 'auto') AND l.status != 'rejected'"


class QueryError(TidelineError):
    """A search the workstation cannot run (an unknown filter or a bad value)."""


@dataclass
class ItemQuery:
    """A parsed search: free text for FTS5 plus structured filters (all must hold)."""

    text: str = ""
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    has: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.text or self.phones or self.tags or self.sources or self.kinds
                    or self.has)


@dataclass
class RowSummary:
    """What one row of the item table or one tile of the grid shows."""

    id: int
    kind: str
    author: str | None
    when: str | None
    when_source: str  # "posted", "captured" or "" when neither is known
    snippet: str
    phones: list[str]
    tags: list[tuple[str, str]]  # (name, colour)
    links: int
    notes: int
    media_sha256: str | None
    media_mime: str | None
    media_readable: bool
    original_name: str | None


@dataclass
class Region:
    kind: str
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass
class Note:
    id: int
    item_id: int
    text: str
    actor: str
    at: str


@dataclass
class Facets:
    total: int
    kinds: dict[str, int]
    tags: dict[str, int]
    sources: dict[int, int]


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


# -- parsing -----------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as typed
        return text.split()


def parse_query(text: str) -> ItemQuery:
    """Split search text into filters and free text; raise ``QueryError`` on a bad filter."""
    query = ItemQuery()
    words: list[str] = []
    for token in _split(text or ""):
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in ("phone", "tag", "source", "kind", "has"):
            words.append(token)
            continue
        value = value.strip()
        if not value:
            raise QueryError(f"The filter '{key}:' needs a value, for example {_EXAMPLES[key]}.")
        if key == "phone":
            digits = re.sub(r"\D", "", value)
            if len(digits) < 4:
                raise QueryError(f"'{value}' is not a phone number to search for (too few digits).")
            query.phones.append(digits)
        elif key == "tag":
            query.tags.append(value)
        elif key == "source":
            if not value.isdigit():
                raise QueryError(f"'source:{value}' needs the number of an import, like source:2.")
            query.sources.append(int(value))
        elif key == "kind":
            if value.lower() not in ITEM_KINDS:
                raise QueryError(f"'{value}' is not a kind of item ({', '.join(ITEM_KINDS)}).")
            query.kinds.append(value.lower())
        else:
            if value.lower() not in HAS_VALUES:
                raise QueryError(f"'has:{value}' is not a filter ({', '.join(HAS_VALUES)}).")
            query.has.append(value.lower())
    query.text = " ".join(words)
    return query


_EXAMPLES = {
    "phone": "phone:+905321234567",
    "tag": "tag:boat",
    "source": "source:2",
    "kind": "kind:screenshot",
    "has": "has:links",
}


# -- which items, in what order ----------------------------------------------------------------


def _filter_sql(query: ItemQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for digits in query.phones:
        # E.164 values match exactly; a partial number typed without its country code matches
        # the end of a stored number.
        where.append(
            "EXISTS (SELECT 1 FROM selectors s WHERE s.item_id = i.id AND s.current = 1"
            f" AND s.kind IN ({_marks(PHONE_KINDS)}) AND (s.value = ? OR s.value LIKE ?))"
        )
        args += [*PHONE_KINDS, "+" + digits, "%" + digits]
    for name in query.tags:
        where.append(
            "EXISTS (SELECT 1 FROM item_tags it JOIN tags t ON t.id = it.tag_id"
            " WHERE it.item_id = i.id AND t.name = ? COLLATE NOCASE)"
        )
        args.append(name)
    if query.sources:
        where.append(f"i.source_id IN ({_marks(query.sources)})")
        args += query.sources
    if query.kinds:
        where.append(f"i.kind IN ({_marks(query.kinds)})")
        args += query.kinds
    if "links" in query.has:
        where.append(
            "(EXISTS (SELECT 1 FROM links l WHERE (l.a = CAST(i.id AS TEXT)"
            f" OR l.b = CAST(i.id AS TEXT)) AND {_LIVE_LINK})"
            " OR EXISTS (SELECT 1 FROM sightings sg JOIN links l"
            " ON (l.a = sg.media_sha256 OR l.b = sg.media_sha256)"
            f" WHERE sg.item_id = i.id AND {_LIVE_LINK}))"
        )
    if "notes" in query.has:
        where.append("EXISTS (SELECT 1 FROM notes n WHERE n.item_id = i.id)")
    if "tags" in query.has:
        where.append("EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = i.id)")
    return where, args


_ORDER = {
    "id": "i.id",
    "time": "coalesce(i.posted_at, i.captured_at)",
    "kind": "i.kind",
    "author": "i.author COLLATE NOCASE",
}


def matching_ids(
    case: Case, query: ItemQuery | str = "", sort: str = "id", descending: bool = False
) -> list[int]:
    """Ids of the items that match, in display order.

    With free text, items come best match first unless ``sort`` is given explicitly as
    something other than ``"id"``; filters narrow either way.
    """
    if isinstance(query, str):
        query = parse_query(query)
    if sort not in SORT_KEYS:  # a programming error, but still one sentence
        raise QueryError(f"'{sort}' is not a sort order ({', '.join(SORT_KEYS)}).")
    where, args = _filter_sql(query)
    direction = "DESC" if descending else "ASC"
    order = f"{_ORDER[sort]} {direction}, i.id {direction}"
    if not query.text:
        sql = "SELECT i.id FROM items i"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [r[0] for r in case.db.execute(f"{sql} ORDER BY {order}", args)]

    ranked = [hit["id"] for hit in search(case, query.text, limit=SEARCH_LIMIT)]
    if not ranked:
        return []
    allowed: set[int] | None = None
    if where:
        allowed = set()
        for chunk in _chunks(ranked):
            sql = (f"SELECT i.id FROM items i WHERE i.id IN ({_marks(chunk)}) AND "
                   + " AND ".join(where))
            allowed.update(r[0] for r in case.db.execute(sql, chunk + args))
        ranked = [i for i in ranked if i in allowed]
    if sort == "id":
        return ranked
    keyed = _sort_keys(case, ranked, sort)
    return sorted(ranked, key=lambda i: (keyed.get(i) is not None, keyed.get(i) or "", i),
                  reverse=descending)


def _sort_keys(case: Case, ids: Sequence[int], sort: str) -> dict[int, Any]:
    out: dict[int, Any] = {}
    expr = _ORDER[sort].replace(" COLLATE NOCASE", "")
    for chunk in _chunks(ids):
        for item_id, value in case.db.execute(
            f"SELECT i.id, {expr} FROM items i WHERE i.id IN ({_marks(chunk)})", chunk
        ):
            out[item_id] = value.lower() if isinstance(value, str) and sort == "author" else value
    return out


# -- rows --------------------------------------------------------------------------------------


def _one_line(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def _link_keys(case: Case, ids: Sequence[int]) -> tuple[dict[str, set[int]], list[str]]:
    """Map each link end (an item id as text, or a media sha256) to the items it stands for."""
    owners: dict[str, set[int]] = {str(i): {i} for i in ids}
    for chunk in _chunks(ids):
        for item_id, sha in case.db.execute(
            f"SELECT DISTINCT item_id, media_sha256 FROM sightings WHERE item_id IN"
            f" ({_marks(chunk)})",
            chunk,
        ):
            owners.setdefault(sha, set()).add(item_id)
    return owners, list(owners)


def row_summaries(case: Case, ids: Sequence[int]) -> dict[int, RowSummary]:
    """Summaries of the given items (missing ids are simply absent), in a few queries."""
    db = case.db
    ids = list(ids)
    out: dict[int, RowSummary] = {}
    for chunk in _chunks(ids):
        marks = _marks(chunk)
        edits = current_edits(case, chunk)
        first_media: dict[int, tuple[str, str | None, bool, str]] = {}
        for item_id, sha, mime, readable, name in db.execute(
            f"""SELECT s.item_id, s.media_sha256, m.mime, m.readable, s.original_name
                FROM sightings s JOIN media m ON m.sha256 = s.media_sha256
                WHERE s.item_id IN ({marks}) ORDER BY s.id""",
            chunk,
        ):
            first_media.setdefault(item_id, (sha, mime, bool(readable), name))
        ocr: dict[int, str] = {}
        for item_id, text in db.execute(
            f"""SELECT s.item_id, o.text FROM sightings s
                JOIN ocr o ON o.media_sha256 = s.media_sha256 AND o.current = 1
                WHERE s.item_id IN ({marks}) AND o.text != '' ORDER BY s.id""",
            chunk,
        ):
            ocr.setdefault(item_id, text)
        phones: dict[int, list[str]] = {}
        for item_id, value in db.execute(
            f"""SELECT item_id, value FROM selectors WHERE current = 1 AND item_id IN ({marks})
                AND kind IN ({_marks(PHONE_KINDS)}) ORDER BY id""",
            chunk + list(PHONE_KINDS),
        ):
            known = phones.setdefault(item_id, [])
            if value not in known:
                known.append(value)
        tags: dict[int, list[tuple[str, str]]] = {}
        for item_id, name, color in db.execute(
            f"""SELECT it.item_id, t.name, t.color FROM item_tags it JOIN tags t
                ON t.id = it.tag_id WHERE it.item_id IN ({marks}) ORDER BY t.id""",
            chunk,
        ):
            tags.setdefault(item_id, []).append((name, color))
        notes = dict(db.execute(
            f"SELECT item_id, count(*) FROM notes WHERE item_id IN ({marks}) GROUP BY item_id",
            chunk,
        ).fetchall())
        links = link_counts(case, chunk)
        for r in db.execute(
            f"""SELECT id, kind, author, posted_at, captured_at, text, text_in_image
                FROM items WHERE id IN ({marks})""",
            chunk,
        ):
            item_id, kind, author, posted, captured, text, in_image = r
            mine = edits.get(item_id, {})
            author = mine.get("author", author)
            posted = mine.get("posted_at", posted)
            when, when_source = (posted, "posted") if posted else (
                (captured, "captured") if captured else (None, ""))
            media = first_media.get(item_id)
            out[item_id] = RowSummary(
                id=item_id,
                kind=kind,
                author=author,
                when=when,
                when_source=when_source,
                snippet=_one_line(text or in_image or ocr.get(item_id)),
                phones=phones.get(item_id, []),
                tags=tags.get(item_id, []),
                links=links.get(item_id, 0),
                notes=notes.get(item_id, 0),
                media_sha256=media[0] if media else None,
                media_mime=media[1] if media else None,
                media_readable=media[2] if media else False,
                original_name=media[3] if media else None,
            )
    return out


def link_counts(case: Case, ids: Sequence[int]) -> dict[int, int]:
    """How many live (not rejected, not stale) links touch each item or its media."""
    owners, keys = _link_keys(case, ids)
    seen: dict[int, set[int]] = {}
    for chunk in _chunks(keys, _CHUNK // 2):
        marks = _marks(chunk)
        for link_id, a, b in case.db.execute(
            f"SELECT l.id, l.a, l.b FROM links l WHERE (l.a IN ({marks}) OR l.b IN ({marks}))"
            f" AND {_LIVE_LINK}",
            chunk + chunk,
        ):
            for end in (a, b):
                for item_id in owners.get(end, ()):
                    seen.setdefault(item_id, set()).add(link_id)
    return {item_id: len(found) for item_id, found in seen.items()}


def item_links(case: Case, item_id: int, limit: int = 500) -> list[Link]:
    """Links that touch this item or its media (rejected ones included, so the decision shows)."""
    _owners, keys = _link_keys(case, [item_id])
    marks = _marks(keys)
    rows = case.db.execute(
        f"SELECT l.id FROM links l WHERE (l.a IN ({marks}) OR l.b IN ({marks}))"
        " AND (l.stale = 0 OR l.status != 'auto') ORDER BY l.score DESC, l.id LIMIT ?",
        keys + keys + [limit],
    ).fetchall()
    return [get_link(case, r[0]) for r in rows]


def regions(case: Case, media_sha256: str) -> list[Region]:
    """Current photo regions found in a screenshot (empty until analysis has run)."""
    return [
        Region(kind, x0, y0, x1, y1)
        for kind, x0, y0, x1, y1 in case.db.execute(
            "SELECT kind, x0, y0, x1, y1 FROM regions WHERE media_sha256 = ? AND current = 1"
            " ORDER BY id",
            [media_sha256],
        )
    ]


def item_notes(case: Case, item_id: int) -> list[Note]:
    return [
        Note(*r)
        for r in case.db.execute(
            "SELECT id, item_id, text, actor, at FROM notes WHERE item_id = ? ORDER BY id",
            [item_id],
        )
    ]


def item_tag_names(case: Case, ids: Sequence[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for chunk in _chunks(ids):
        for item_id, name in case.db.execute(
            f"SELECT it.item_id, t.name FROM item_tags it JOIN tags t ON t.id = it.tag_id"
            f" WHERE it.item_id IN ({_marks(chunk)})",
            chunk,
        ):
            out.setdefault(item_id, set()).add(name)
    return out


def facets(case: Case) -> Facets:
    """Counts for the filter hints: items by kind, by tag and by import."""
    db = case.db
    return Facets(
        total=db.execute("SELECT count(*) FROM items").fetchone()[0],
        kinds=dict(db.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall()),
        tags=dict(db.execute(
            "SELECT t.name, count(it.item_id) FROM tags t LEFT JOIN item_tags it"
            " ON it.tag_id = t.id GROUP BY t.id ORDER BY t.id"
        ).fetchall()),
        sources=dict(db.execute(
            "SELECT source_id, count(*) FROM items GROUP BY source_id"
        ).fetchall()),
    )
