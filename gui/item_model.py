"""The item list model behind the grid and the table: ids only, rows fetched lazily in pages.

The model holds the ordered ids of the items that match the current search (``run_query``) and
asks ``evidence.views.row_summaries`` for one page of rows when a view first needs a row of it.
Only a bounded number of pages is kept, so a case of a million items costs a list of ints plus
a few pages. After a write the model refreshes just the rows in the returned change set.

With a ``PageFetcher`` (the workstation gives it one) pages of a large result are read on a
thread of their own, through a read-only connection of their own: ``data()`` answers at once
with a placeholder and the row fills in when ``page_ready`` arrives, so scrolling never waits
for SQLite. Display strings (table cells, tile lines) are worked out once per page, on the
fetcher's thread, into ``RowView`` records, so ``data()`` and the delegates only look them up.
Rows that arrive together (a page, a burst of thumbnails) are announced with one
``dataChanged`` each, so a view repaints once, not once per row.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QPixmap

from evidence import views
from evidence.case import Case
from evidence.changes import ChangeSet
from evidence.errors import TidelineError
from gui.thumbnails import THUMB_SIZE, ThumbnailLoader

PAGE_SIZE = 200
MAX_PAGES = 40
ID_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2
THUMB_STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # "ready", "loading", "none" or "failed"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("thumb", ""),
    ("kind", "Kind"),
    ("author", "Page / author"),
    ("when", "Posted or captured"),
    ("snippet", "Text"),
    ("phones", "Phone numbers"),
    ("tags", "Tags"),
    ("links", "Links"),
)
COLUMN = {key: n for n, (key, _title) in enumerate(COLUMNS)}
_SORT_FOR_COLUMN = {"kind": "kind", "author": "author", "when": "time"}
_KIND_LABEL = {"screenshot": "Screenshot", "post": "Post", "message": "Message"}

LOADING_TEXT = "Loading…"
# Above this many rows a page is fetched in the background; one page is a single quick query.
SYNC_ROWS = PAGE_SIZE
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_SERVED_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.TextAlignmentRole, ID_ROLE, SUMMARY_ROLE, THUMB_STATE_ROLE))
CAPTURED_COLOUR = QColor("#6b7280")
THUMB_FLUSH_MS = 30  # thumbnails finishing within this window are announced together

Index = QModelIndex | QPersistentModelIndex


def format_time(value: str | None) -> str:
    """An ISO time as the analyst reads it (UTC, to the minute); odd values are shown as given."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    # Not strftime: it imports the time module on every call, which PySide's import hook makes
    # slow enough to show up when a page of 200 rows is formatted.
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}")
    return text + (" UTC" if moment.tzinfo is not None else "")


def kind_label(kind: str) -> str:
    return _KIND_LABEL.get(kind, kind.capitalize())


def hit_text(snippet: str) -> str:
    """An FTS snippet for plain display: each hit between guillemets."""
    return snippet.replace(views.HIT_OPEN, "«").replace(views.HIT_CLOSE, "»")


_VERSIONS = itertools.count(1)


@dataclass
class RowView:
    """Everything a view shows of one row, worked out once when its page is read.

    ``version`` is unique to this record: a refreshed row gets a new one, so a painted tile or
    cell cached under it can never be shown for changed data.
    """

    summary: views.RowSummary
    texts: tuple[str | None, ...]  # display text per column
    tile_title: str
    tile_sub: str
    version: int


def make_row_view(summary: views.RowSummary) -> RowView:
    """The display strings of one row (plain Python: safe on the fetcher's thread)."""
    when = format_time(summary.when)
    kind = kind_label(summary.kind)
    texts: list[str | None] = []
    for key, _title in COLUMNS:
        if key == "kind":
            texts.append(kind)
        elif key == "author":
            texts.append(summary.author or "")
        elif key == "when":
            texts.append(f"{when} (captured)" if when and summary.when_source == "captured"
                         else when)
        elif key == "snippet":
            texts.append(hit_text(summary.snippet))
        elif key == "phones":
            texts.append(", ".join(summary.phones))
        elif key == "tags":
            texts.append(", ".join(name for name, _color in summary.tags))
        elif key == "links":
            texts.append(str(summary.links) if summary.links else "")
        else:
            texts.append(None)
    short_when = when.removesuffix(" UTC")
    sub = f"{kind} · {short_when}" if short_when else kind
    if summary.links:
        sub += f" · {summary.links} link{'s' if summary.links != 1 else ''}"
    return RowView(summary, tuple(texts), summary.author or summary.original_name or kind, sub,
                   next(_VERSIONS))


@dataclass
class _Page:
    rows: dict[int, RowView]  # by item id


class PageFetcher(QObject):
    """Reads pages of row summaries on one background thread with its own read-only case.

    Requests are served newest first, so a fast scroll does not queue up pages the view has
    already left behind; ``page_ready(generation, page_no, epoch, rows)`` arrives on the GUI
    thread with the page's ``RowView`` records by item id, display strings already made.
    Only the newest ``KEEP_REQUESTS`` waiting requests are read; older ones are dropped
    (``page_dropped``) so a fast scroll does not make this thread read, and hold the GIL
    for, pages nobody looks at any more.
    """

    page_ready = Signal(int, int, int, object)
    page_dropped = Signal(int, int)  # generation, page: a request overtaken by newer ones
    failed = Signal(str)

    KEEP_REQUESTS = 4  # a screen of the table or the grid spans at most two pages

    def __init__(self, case_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = Path(case_path)
        self._requests: queue.LifoQueue = queue.LifoQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self, generation: int, page_no: int, epoch: int, ids: list[int],
                search_text: str) -> None:
        if self._stopping.is_set():
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tideline-pages", daemon=True)
            self._thread.start()
        self._requests.put((generation, page_no, epoch, ids, search_text))

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._requests.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            case = Case.open(self._path, readonly=True)
        except (TidelineError, OSError) as exc:
            self.failed.emit(f"The item list cannot be read: {exc}")
            return
        try:
            while not self._stopping.is_set():
                job = self._requests.get()
                if job is None:
                    break
                job = self._newest(job)
                if job is None:
                    break
                generation, page_no, epoch, ids, search_text = job
                try:
                    summaries = read_page(case, ids, search_text)
                except (TidelineError, OSError, ValueError) as exc:
                    self.failed.emit(f"Part of the item list cannot be read: {exc}")
                    continue
                rows = {i: make_row_view(s) for i, s in summaries.items()}
                if not self._stopping.is_set():
                    self.page_ready.emit(generation, page_no, epoch, rows)
        finally:
            case.close()


    def _newest(self, job: tuple) -> tuple | None:
        """The newest waiting request; all but the newest few others are dropped."""
        waiting = [job]
        while True:
            try:
                more = self._requests.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return None
            waiting.append(more)
        # LIFO: the first taken is the newest; put the kept ones back oldest first.
        keep, drop = waiting[: self.KEEP_REQUESTS], waiting[self.KEEP_REQUESTS :]
        for old in reversed(keep[1:]):
            self._requests.put(old)
        for generation, page_no, *_rest in drop:
            self.page_dropped.emit(generation, page_no)
        return keep[0]


def read_page(case: Case, ids: list[int], search_text: str) -> dict[int, views.RowSummary]:
    """Summaries of one page; with free text in the search, the snippet shows the hits."""
    summaries = views.row_summaries(case, ids)
    if search_text:
        try:
            hits = views.search_snippets(case, search_text, ids)
        except views.QueryError:
            hits = {}
        for item_id, snippet in hits.items():
            if item_id in summaries and views.HIT_OPEN in snippet:
                summaries[item_id] = replace(summaries[item_id], snippet=snippet)
    return summaries


class ItemListModel(QAbstractTableModel):
    """Items matching a search, one row each; the grid shows column 0, the table all columns."""

    query_changed = Signal(str, int)  # the search text and how many items match

    page_fetched = Signal(int)  # a page number, once its rows can be shown

    def __init__(self, case: Case, loader: ThumbnailLoader | None = None,
                 parent: object = None, fetcher: PageFetcher | None = None) -> None:
        super().__init__(parent)
        self._case = case
        self._loader = loader
        self._fetcher = fetcher
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._pages: OrderedDict[int, _Page] = OrderedDict()
        self._pending: set[int] = set()
        self._epochs: dict[int, int] = {}  # bumped by a write, so an older fetch is dropped
        self._generation = 0
        self._rows_by_sha: dict[str, set[int]] = {}
        self._search_text = ""
        self.clusters: Mapping[int, Iterable[int]] | None = None
        self.query_text = ""
        self.sort_key = "id"
        self.descending = False
        self.safe_view = False
        self.pages_fetched = 0
        self._thumb_rows: set[int] = set()
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(THUMB_FLUSH_MS)
        self._thumb_timer.timeout.connect(self._flush_thumbnails)
        if loader is not None:
            loader.ready.connect(self._on_loader_ready)
        if fetcher is not None:
            fetcher.page_ready.connect(self._on_fetcher_page_ready)
            fetcher.page_dropped.connect(self._on_fetcher_page_dropped)

    # -- contents -----------------------------------------------------------------------------

    def run_query(self, text: str = "", sort: str | None = None,
                  descending: bool | None = None) -> int:
        """Show the items matching ``text``; raises ``views.QueryError`` on a bad filter."""
        sort = self.sort_key if sort is None else sort
        descending = self.descending if descending is None else descending
        query = views.parse_query(text)
        ids = views.matching_ids(self._case, query, sort=sort, descending=descending,
                                 clusters=self.clusters)
        self.query_text, self.sort_key, self.descending = text, sort, descending
        self._search_text = query.text
        self.set_ids(ids)
        self.query_changed.emit(text, len(ids))
        return len(ids)

    def reload(self) -> int:
        return self.run_query(self.query_text)

    def set_ids(self, ids: Iterable[int]) -> None:
        self.beginResetModel()
        self._ids = list(ids)
        self._row_of = None
        self._pages.clear()
        self._pending.clear()
        self._epochs.clear()
        self._generation += 1
        self._rows_by_sha.clear()
        self._thumb_rows.clear()
        self.endResetModel()

    def ids(self) -> list[int]:
        return list(self._ids)

    def item_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_for(self, item_id: int) -> int | None:
        if self._row_of is None:  # built on first need: a search alone never pays for it
            self._row_of = {item_id: row for row, item_id in enumerate(self._ids)}
        return self._row_of.get(item_id)

    def summary(self, row: int) -> views.RowSummary | None:
        """The row's summary, or None while its page is still being read in the background."""
        view = self.row_view(row)
        return view.summary if view is not None else None

    def row_view(self, row: int) -> RowView | None:
        """The row's display record, or None while its page is being read in the background.

        The delegates call this directly rather than ``index.data()``: one Python call per
        painted cell instead of a dozen role look-ups through QVariant."""
        page = self._page_for(row)
        return page.rows.get(self._ids[row]) if page is not None else None

    @property
    def background(self) -> bool:
        """Whether pages are being read off the GUI thread (a large result with a fetcher)."""
        return self._fetcher is not None and len(self._ids) > SYNC_ROWS

    def _page_for(self, row: int) -> _Page | None:
        if not 0 <= row < len(self._ids):
            return None
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is not None:
            self._pages.move_to_end(page_no)
            return page
        start = page_no * PAGE_SIZE
        ids = self._ids[start : start + PAGE_SIZE]
        if not self.background:
            summaries = read_page(self._case, ids, self._search_text)
            return self._store_page(page_no, {i: make_row_view(s) for i, s in summaries.items()})
        if page_no not in self._pending:
            self._pending.add(page_no)
            self._fetcher.request(self._generation, page_no, self._epochs.get(page_no, 0), ids,
                                  self._search_text)
        return None

    def _store_page(self, page_no: int, rows: dict[int, RowView]) -> _Page:
        start = page_no * PAGE_SIZE
        page = _Page(rows)
        self.pages_fetched += 1
        self._pages[page_no] = page
        for offset, item_id in enumerate(self._ids[start : start + PAGE_SIZE]):
            view = rows.get(item_id)
            summary = view.summary if view is not None else None
            if summary is not None and summary.media_sha256:
                self._rows_by_sha.setdefault(summary.media_sha256, set()).add(start + offset)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _on_fetcher_page_ready(self, generation: int, page_no: int, epoch: int,
                               rows: dict[int, RowView]) -> None:
        if generation != self._generation:
            return  # a page of an earlier search
        self._pending.discard(page_no)
        if epoch != self._epochs.get(page_no, 0):
            return  # read before a write changed these rows; the repaint asks again
        self._store_page(page_no, rows)
        # One signal for the whole page: the view repaints what is visible once.
        first = page_no * PAGE_SIZE
        last = min(len(self._ids), first + PAGE_SIZE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_fetched.emit(page_no)

    def _on_fetcher_page_dropped(self, generation: int, page_no: int) -> None:
        if generation != self._generation or page_no not in self._pending:
            return
        self._pending.discard(page_no)
        # If the page is still on screen the repaint asks for it again; if not, nothing is read.
        first = page_no * PAGE_SIZE
        last = min(len(self._ids), first + PAGE_SIZE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    def apply_changes(self, changes: ChangeSet) -> None:
        """Refresh the rows a write touched; other rows and the order stay as they are."""
        if not changes.items:
            return
        for item_id in changes.items:
            row = self.row_for(item_id)
            if row is None:
                continue
            page_no = row // PAGE_SIZE
            self._pages.pop(page_no, None)
            self._pending.discard(page_no)
            self._epochs[page_no] = self._epochs.get(page_no, 0) + 1
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_safe_view(self, on: bool) -> None:
        if on == self.safe_view:
            return
        self.safe_view = on
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, 0),
                                  [Qt.ItemDataRole.DecorationRole])

    # -- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1] if 0 <= section < len(COLUMNS) else None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return  # the view's "no sort column yet": keep the current order
        key = COLUMNS[column][0]
        sort = _SORT_FOR_COLUMN.get(key, "id")
        self.run_query(self.query_text, sort=sort,
                       descending=order == Qt.SortOrder.DescendingOrder)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        # Views ask for a dozen roles per cell on every paint: answer the unused ones first,
        # and the display text from strings made once per page.
        if role not in _SERVED_ROLES:
            return None
        row, column = index.row(), index.column()
        if role == ID_ROLE:
            return self.item_id(row)
        page = self._page_for(row)
        if page is None:
            if role == _DISPLAY and COLUMNS[column][0] == "snippet" and row < len(self._ids):
                return LOADING_TEXT
            return None
        view = page.rows.get(self._ids[row])
        if view is None:
            return None
        if role == _DISPLAY:
            return view.texts[column]
        summary = view.summary
        key = COLUMNS[column][0]
        if role == SUMMARY_ROLE:
            return summary
        if role == Qt.ItemDataRole.DecorationRole and key == "thumb":
            return self.thumbnail(summary)
        if role == THUMB_STATE_ROLE:
            return self.thumbnail_state(summary)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, key)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible(summary)
        if role == Qt.ItemDataRole.ForegroundRole and key == "when" \
                and summary.when_source == "captured":
            return CAPTURED_COLOUR
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "links":
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def thumbnail(self, summary: views.RowSummary) -> QPixmap | None:
        if self._loader is None or not summary.media_sha256 or not summary.media_readable:
            return None
        return self._loader.pixmap(summary.media_sha256, THUMB_SIZE, self.safe_view)

    def thumbnail_state(self, summary: views.RowSummary) -> str:
        if not summary.media_sha256:
            return "none"
        if not summary.media_readable or (
            self._loader is not None and self._loader.failure(summary.media_sha256)
        ):
            return "failed"
        return "ready" if self.thumbnail(summary) is not None else "loading"

    @staticmethod
    def _tooltip(summary: views.RowSummary, key: str) -> str | None:
        if key == "when" and summary.when:
            return f"{summary.when_source.capitalize()} time: {summary.when}"
        if key == "snippet" and summary.snippet:
            return hit_text(summary.snippet)
        if key == "thumb" and summary.original_name:
            return summary.original_name
        if key == "links" and summary.links:
            return f"Linked to other evidence {summary.links} time(s)"
        return None

    @staticmethod
    def _accessible(summary: views.RowSummary) -> str:
        parts = [f"Item {summary.id}", kind_label(summary.kind)]
        if summary.author:
            parts.append(summary.author)
        if summary.tags:
            parts.append("tagged " + ", ".join(n for n, _c in summary.tags))
        return ", ".join(parts)

    # -- thumbnails ---------------------------------------------------------------------------

    def _on_loader_ready(self, sha256: str, size: int, blurred: bool) -> None:
        if size != THUMB_SIZE or blurred != self.safe_view:
            return
        rows = self._rows_by_sha.get(sha256)
        if rows:
            # A grid of new thumbnails finishes a few per millisecond: gather them and repaint
            # once, instead of one repaint per thumbnail.
            self._thumb_rows.update(rows)
            if not self._thumb_timer.isActive():
                self._thumb_timer.start()

    def _flush_thumbnails(self) -> None:
        rows = [r for r in self._thumb_rows if r < len(self._ids)]
        self._thumb_rows.clear()
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), 0),
                                  [Qt.ItemDataRole.DecorationRole])
