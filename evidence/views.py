"""Fast read queries behind the workstation's lazy lists: which items match, in what order, and
the short row summaries, links, regions and notes a list or detail panel shows.

Everything here reads; nothing writes. Results are plain dataclasses so the GUI models can hold
item ids and ask for a page of rows at a time, however large the case is.

Search text understands filters alongside free text (free text goes to the FTS5 index):
``phone:+90...`` ``tag:boat`` ``source:N`` ``kind:screenshot`` ``has:links`` ``has:notes``
``has:tags`` ``cluster:ID`` ``status:untagged|tagged|linked|unreviewed``. Quoted values
(``tag:"to check"``) may contain spaces. Cluster membership is computed by analysis, so callers
pass it in (``matching_ids(..., clusters=...)``).

Also here: the counts behind the workstation's facet panel (``facet_counts``) and the pages of
the audit log viewer (``audit_count``, ``audit_page``).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .audit import AuditEntry
from .case import Case
from .errors import TidelineError
from .store import Link, current_edits, get_link, search, watchlist_hits
from .textnorm import fts_query

ITEM_KINDS = ("screenshot", "post", "message")
SORT_KEYS = ("id", "time", "kind", "author")
HAS_VALUES = ("links", "notes", "tags")
STATUS_VALUES = ("untagged", "tagged", "linked", "unreviewed")
_FILTER_KEYS = ("phone", "tag", "source", "kind", "has", "cluster", "status")
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
    clusters: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.text or self.phones or self.tags or self.sources or self.kinds
                    or self.has or self.clusters or self.statuses)


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
        if not sep or key not in _FILTER_KEYS:
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
        elif key == "cluster":
            if not value.isdigit():
                raise QueryError(f"'cluster:{value}' needs the number of a cluster, like cluster:7.")
            query.clusters.append(int(value))
        elif key == "status":
            if value.lower() not in STATUS_VALUES:
                raise QueryError(f"'status:{value}' is not a review status "
                                 f"({', '.join(STATUS_VALUES)}).")
            query.statuses.append(value.lower())
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
    "cluster": "cluster:7",
    "status": "status:untagged",
}


# -- which items, in what order ----------------------------------------------------------------


# Items with a live link: the link names the item, or names a media the item sights.
_LIVE_ENDS = (f"SELECT l.a FROM links l WHERE {_LIVE_LINK}"
              f" UNION SELECT l.b FROM links l WHERE {_LIVE_LINK}")
_AUTO_ENDS = ("SELECT a FROM links WHERE status = 'auto' AND stale = 0"
              " UNION SELECT b FROM links WHERE status = 'auto' AND stale = 0")


def _linked_sql(ends: str) -> str:
    return (f"(CAST(i.id AS TEXT) IN ({ends}) OR i.id IN (SELECT sg.item_id FROM sightings sg"
            f" WHERE sg.media_sha256 IN ({ends})))")


_STATUS_SQL = {
    "untagged": "NOT EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = i.id)",
    "tagged": "EXISTS (SELECT 1 FROM item_tags it WHERE it.item_id = i.id)",
    "linked": _linked_sql(_LIVE_ENDS),
    "unreviewed": _linked_sql(_AUTO_ENDS),
}


def _filter_sql(query: ItemQuery, clusters: Mapping[int, Collection[int]] | None = None
                ) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for cluster_id in query.clusters:
        members = (clusters or {}).get(cluster_id)
        if members is None:
            raise QueryError(f"There is no cluster {cluster_id} (clusters come from analysis;"
                             " pick one in the Clusters list).")
        # json_each keeps a cluster of any size to one bound parameter.
        where.append("i.id IN (SELECT value FROM json_each(?))")
        args.append(json.dumps(sorted(members)))
    for status in query.statuses:
        where.append(_STATUS_SQL[status])
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
    case: Case, query: ItemQuery | str = "", sort: str = "id", descending: bool = False,
    clusters: Mapping[int, Collection[int]] | None = None,
) -> list[int]:
    """Ids of the items that match, in display order.

    With free text, items come best match first unless ``sort`` is given explicitly as
    something other than ``"id"``; filters narrow either way. ``clusters`` maps a cluster id
    to its item ids, for ``cluster:ID`` filters.
    """
    if isinstance(query, str):
        query = parse_query(query)
    if sort not in SORT_KEYS:  # a programming error, but still one sentence
        raise QueryError(f"'{sort}' is not a sort order ({', '.join(SORT_KEYS)}).")
    where, args = _filter_sql(query, clusters)
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


# -- linked evidence: link ends and the review queue --------------------------------------------

REVIEW_ORDERS = ("strength", "connected")


@dataclass
class ReviewRow:
    """One link in the review queue: what it is, how strong, how connected its ends are."""

    id: int
    kind: str
    band: str | None
    score: float | None
    status: str
    degree: int  # live links touching either end: a hub of reposts ranks high
    why: str


def link_end_items(case: Case, end: str, kind: str) -> list[int]:
    """The items one end of a link stands for: the items sighting a media for image links,
    the item itself for the other kinds (an end that names no item gives an empty list)."""
    if kind == "image":
        return [r[0] for r in case.db.execute(
            "SELECT DISTINCT item_id FROM sightings WHERE media_sha256 = ? AND item_id IS NOT NULL"
            " ORDER BY item_id", [end])]
    if not str(end).isdigit():
        return []
    row = case.db.execute("SELECT id FROM items WHERE id = ?", [int(end)]).fetchone()
    return [row[0]] if row else []


def link_item_pair(case: Case, link: Link) -> tuple[list[int], list[int]]:
    """The items at end ``a`` and at end ``b`` of a link."""
    return link_end_items(case, link.a, link.kind), link_end_items(case, link.b, link.kind)


def review_queue(
    case: Case,
    kinds: Sequence[str] = (),
    bands: Sequence[str] = (),
    statuses: Sequence[str] = (),
    order: str = "strength",
    limit: int = 50_000,
) -> list[ReviewRow]:
    """Links to review, filtered by kind, band and status (empty means any).

    ``order="strength"`` puts the highest score first (then the most connected);
    ``order="connected"`` puts links whose ends carry the most live links first.
    """
    if order not in REVIEW_ORDERS:
        raise QueryError(f"'{order}' is not a review order ({', '.join(REVIEW_ORDERS)}).")
    where = ["(l.stale = 0 OR l.status != 'auto')"]
    args: list[Any] = []
    for column, values in (("l.kind", kinds), ("l.band", bands), ("l.status", statuses)):
        if values:
            where.append(f"{column} IN ({_marks(values)})")
            args += list(values)
    degree = (
        f"(SELECT count(*) FROM links d WHERE d.id != l.id AND {_LIVE_LINK.replace('l.', 'd.')}"
        " AND (d.a IN (l.a, l.b) OR d.b IN (l.a, l.b)))"
    )
    ranking = ("coalesce(l.score, 0) DESC, degree DESC" if order == "strength"
               else "degree DESC, coalesce(l.score, 0) DESC")
    sql = (f"SELECT l.id, l.kind, l.band, l.score, l.status, {degree} AS degree, l.why"
           f" FROM links l WHERE {' AND '.join(where)} ORDER BY {ranking}, l.id LIMIT ?")
    return [ReviewRow(*r) for r in case.db.execute(sql, args + [limit])]


# -- clusters: the members a timeline shows and the links between them --------------------------


@dataclass
class ClusterMember:
    """One item of a cluster as its timeline and network show it.

    ``when_field`` says which time orders it ("posted", else "captured", else "" when neither
    is known); ``when_source`` says where that time came from ("analyst" when entered by hand,
    the source's kind for a posted time, the capture-time source such as "filename").
    """

    id: int
    kind: str
    page: str | None
    page_entered: bool
    when: str | None
    when_field: str
    when_source: str
    snippet: str
    phones: dict[str, str]  # E.164 -> as shown
    media_sha256: str | None
    media_readable: bool


@dataclass
class ClusterEdge:
    """A link between two members, by item id: ``kind`` is a link kind or "same file" when
    two items show the very same file."""

    a: int
    b: int
    kind: str
    status: str
    band: str | None
    why: str
    link_id: int | None = None


def cluster_members(case: Case, ids: Sequence[int]) -> list[ClusterMember]:
    """The given items, earliest first: posted time, else capture time, else last; ties by id
    (the same order ``analysis.linking`` uses to pick a cluster's reference item)."""
    db = case.db
    out: list[ClusterMember] = []
    for chunk in _chunks(list(ids)):
        marks = _marks(chunk)
        edits = current_edits(case, chunk)
        media: dict[int, tuple[str, bool]] = {}
        for item_id, sha, readable in db.execute(
            f"""SELECT s.item_id, s.media_sha256, m.readable FROM sightings s
                JOIN media m ON m.sha256 = s.media_sha256
                WHERE s.item_id IN ({marks}) ORDER BY s.id""",
            chunk,
        ):
            media.setdefault(item_id, (sha, bool(readable)))
        phones: dict[int, dict[str, str]] = {}
        for item_id, value, shown in db.execute(
            f"""SELECT item_id, value, shown FROM selectors WHERE current = 1
                AND kind IN ({_marks(PHONE_KINDS)}) AND item_id IN ({marks}) ORDER BY id""",
            [*PHONE_KINDS, *chunk],
        ):
            phones.setdefault(item_id, {}).setdefault(value, shown or value)
        for r in db.query(
            f"""SELECT i.id, i.kind, i.author, i.posted_at, i.captured_at, i.captured_at_source,
                       i.text, src.kind AS source_kind
                FROM items i LEFT JOIN sources src ON src.id = i.source_id
                WHERE i.id IN ({marks})""",
            chunk,
        ):
            mine = edits.get(r["id"], {})
            posted = mine.get("posted_at") if "posted_at" in mine else r["posted_at"]
            if posted:
                when, field_, source = posted, "posted", (
                    "analyst" if "posted_at" in mine else (r["source_kind"] or ""))
            elif r["captured_at"]:
                when, field_, source = r["captured_at"], "captured", r["captured_at_source"] or ""
            else:
                when, field_, source = None, "", ""
            sha, readable = media.get(r["id"], (None, False))
            out.append(ClusterMember(
                id=r["id"], kind=r["kind"],
                page=mine.get("author") if "author" in mine else r["author"],
                page_entered="author" in mine, when=when, when_field=field_,
                when_source=source, snippet=_one_line(r["text"]),
                phones=phones.get(r["id"], {}), media_sha256=sha, media_readable=readable,
            ))
    out.sort(key=lambda m: (m.when or "9999", m.id))
    return out


def cluster_edges(case: Case, ids: Sequence[int]) -> list[ClusterEdge]:
    """Live links among the given items (rejected ones left out), plus "same file" edges.

    An image link joins two media; it is drawn between the first member showing each. Items
    showing the very same file are joined to the first member showing it.
    """
    members = set(ids)
    shows: dict[str, list[int]] = {}
    for chunk in _chunks(sorted(members)):
        for item_id, sha in case.db.execute(
            f"SELECT DISTINCT item_id, media_sha256 FROM sightings WHERE item_id IN"
            f" ({_marks(chunk)}) ORDER BY item_id",
            chunk,
        ):
            shows.setdefault(sha, []).append(item_id)
    out: list[ClusterEdge] = []
    seen: set[tuple[int, int, str]] = set()

    def add(a: int, b: int, kind: str, status: str, band: str | None, why: str,
            link_id: int | None) -> None:
        lo, hi = sorted((a, b))
        if lo != hi and (lo, hi, kind) not in seen:
            seen.add((lo, hi, kind))
            out.append(ClusterEdge(lo, hi, kind, status, band, why, link_id))

    for sha, items in shows.items():
        for other in items[1:]:
            add(items[0], other, "same file", "auto", "strong", f"both show file {sha[:12]}",
                None)
    for r in case.db.query(
        f"SELECT id, kind, a, b, status, band, why FROM links l WHERE {_LIVE_LINK} ORDER BY id"
    ):
        if r["kind"] == "image":
            ends = shows.get(r["a"]), shows.get(r["b"])
            if ends[0] and ends[1]:
                add(ends[0][0], ends[1][0], "image", r["status"], r["band"], r["why"], r["id"])
        elif str(r["a"]).isdigit() and str(r["b"]).isdigit():
            a, b = int(r["a"]), int(r["b"])
            if a in members and b in members:
                add(a, b, r["kind"], r["status"], r["band"], r["why"], r["id"])
    return out


# -- search hits, facet counts, the audit log ----------------------------------------------------

HIT_OPEN = "\u2063["  # FTS snippet markers; the invisible separator keeps them apart from text
HIT_CLOSE = "]\u2063"


def search_snippets(case: Case, text: str, ids: Sequence[int]) -> dict[int, str]:
    """The FTS5 snippet of each given item for free text ``text``, hits between ``HIT_OPEN``
    and ``HIT_CLOSE`` (items the text does not match are absent)."""
    match = fts_query(parse_query(text).text)
    out: dict[int, str] = {}
    if not match:
        return out
    for chunk in _chunks(ids):
        for item_id, snippet in case.db.execute(
            f"SELECT item_id, snippet(search_index, 0, ?, ?, '…', 16) FROM search_index"
            f" WHERE search_index MATCH ? AND item_id IN ({_marks(chunk)})",
            [HIT_OPEN, HIT_CLOSE, match, *chunk],
        ):
            out.setdefault(int(item_id), " ".join(snippet.split()))
    return out


@dataclass
class SourceCount:
    id: int
    kind: str
    path: str
    items: int


@dataclass
class ImportProblem:
    """A file an import rejected or could not read: not an item, so only listed here."""

    source_id: int
    source_path: str
    path: str
    reason: str
    at: str


@dataclass
class WatchCount:
    list_name: str
    kind: str
    value: str
    items: int


@dataclass
class FacetCounts:
    """Everything the facet panel counts, except clusters (analysis computes those)."""

    total: int
    sources: list[SourceCount]
    tags: list[tuple[str, str, int]]  # (name, colour, items)
    phones: list[tuple[str, int]]  # (E.164, items), most shared first
    statuses: dict[str, int]  # STATUS_VALUES -> items
    watch_hits: list[WatchCount]
    import_errors: list[ImportProblem]


def tag_counts(case: Case) -> list[tuple[str, str, int]]:
    return [tuple(r) for r in case.db.execute(
        "SELECT t.name, t.color, count(it.item_id) FROM tags t LEFT JOIN item_tags it"
        " ON it.tag_id = t.id GROUP BY t.id ORDER BY t.id")]


def status_counts(case: Case) -> dict[str, int]:
    """Items untagged, tagged, with live links, and with links nobody has decided yet."""
    db = case.db
    total = db.execute("SELECT count(*) FROM items").fetchone()[0]
    tagged = db.execute("SELECT count(DISTINCT item_id) FROM item_tags").fetchone()[0]
    out = {"untagged": total - tagged, "tagged": tagged}
    for status in ("linked", "unreviewed"):
        out[status] = db.execute(
            f"SELECT count(*) FROM items i WHERE {_STATUS_SQL[status]}").fetchone()[0]
    return out


def phone_counts(case: Case, limit: int = 200) -> list[tuple[str, int]]:
    return [tuple(r) for r in case.db.execute(
        f"SELECT value, count(DISTINCT item_id) AS n FROM selectors WHERE current = 1"
        f" AND item_id IS NOT NULL AND kind IN ({_marks(PHONE_KINDS)})"
        " GROUP BY value ORDER BY n DESC, value LIMIT ?", [*PHONE_KINDS, limit])]


def watch_counts(case: Case) -> list[WatchCount]:
    counts: dict[tuple[str, str, str], set[int]] = {}
    for hit in watchlist_hits(case):
        key = (hit["list_name"], hit["kind"], hit["value"])
        counts.setdefault(key, set()).add(hit["item_id"])
    return [WatchCount(*key, len(items)) for key, items in sorted(
        counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def import_problems(case: Case, limit: int = 5000) -> list[ImportProblem]:
    return [ImportProblem(*r) for r in case.db.execute(
        "SELECT e.source_id, s.path, e.path_in_source, e.reason, e.at FROM import_errors e"
        " JOIN sources s ON s.id = e.source_id ORDER BY e.id LIMIT ?", [limit])]


def facet_counts(case: Case) -> FacetCounts:
    """The facet panel's counts in a handful of set-based queries."""
    db = case.db
    sources = [SourceCount(*r) for r in db.execute(
        "SELECT s.id, s.kind, s.path, count(i.id) FROM sources s LEFT JOIN items i"
        " ON i.source_id = s.id GROUP BY s.id ORDER BY s.id")]
    return FacetCounts(
        total=db.execute("SELECT count(*) FROM items").fetchone()[0],
        sources=sources,
        tags=tag_counts(case),
        phones=phone_counts(case),
        statuses=status_counts(case),
        watch_hits=watch_counts(case),
        import_errors=import_problems(case),
    )


def audit_count(case: Case) -> int:
    return case.db.execute("SELECT count(*) FROM audit").fetchone()[0]


def audit_page(case: Case, offset: int, limit: int) -> list[AuditEntry]:
    """Audit entries in sequence order, ``limit`` of them from row ``offset``."""
    out = []
    for r in case.db.execute(
        "SELECT seq, at, actor, os_user, action, details, app_version, prev_hash, hash"
        " FROM audit ORDER BY seq LIMIT ? OFFSET ?", [limit, offset]
    ):
        try:
            details = json.loads(r[5])
        except (TypeError, ValueError):
            details = {"unparseable": r[5]}
        if not isinstance(details, dict):
            details = {"value": details}
        out.append(AuditEntry(r[0], r[1], r[2], r[3], r[4], details, r[6], r[7], r[8]))
    return out
