"""The item list model behind the grid and the table: ids only, rows fetched lazily in pages.

The model holds the ordered ids of the items that match the current search (``run_query``) and
asks ``evidence.views.row_summaries`` for one page of rows when a view first needs a row of it.
Only a bounded number of pages is kept, so a case of a million items costs a list of ints plus
a few pages. After a write the model refreshes just the rows in the returned change set.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPixmap

from evidence import views
from evidence.case import Case
from evidence.changes import ChangeSet
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

Index = QModelIndex | QPersistentModelIndex


def format_time(value: str | None) -> str:
    """An ISO time as the analyst reads it (UTC, to the minute); odd values are shown as given."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    text = moment.strftime("%Y-%m-%d %H:%M")
    return text + (" UTC" if moment.tzinfo is not None else "")


def kind_label(kind: str) -> str:
    return _KIND_LABEL.get(kind, kind.capitalize())


class ItemListModel(QAbstractTableModel):
    """Items matching a search, one row each; the grid shows column 0, the table all columns."""

    query_changed = Signal(str, int)  # the search text and how many items match

    def __init__(self, case: Case, loader: ThumbnailLoader | None = None,
                 parent: object = None) -> None:
        super().__init__(parent)
        self._case = case
        self._loader = loader
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._pages: OrderedDict[int, dict[int, views.RowSummary]] = OrderedDict()
        self._rows_by_sha: dict[str, set[int]] = {}
        self.query_text = ""
        self.sort_key = "id"
        self.descending = False
        self.safe_view = False
        self.pages_fetched = 0
        if loader is not None:
            loader.ready.connect(self._on_loader_ready)

    # -- contents -----------------------------------------------------------------------------

    def run_query(self, text: str = "", sort: str | None = None,
                  descending: bool | None = None) -> int:
        """Show the items matching ``text``; raises ``views.QueryError`` on a bad filter."""
        sort = self.sort_key if sort is None else sort
        descending = self.descending if descending is None else descending
        ids = views.matching_ids(self._case, text, sort=sort, descending=descending)
        self.query_text, self.sort_key, self.descending = text, sort, descending
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
        self._rows_by_sha.clear()
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
        if not 0 <= row < len(self._ids):
            return None
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            page = self._fetch_page(page_no)
        else:
            self._pages.move_to_end(page_no)
        return page.get(self._ids[row])

    def _fetch_page(self, page_no: int) -> dict[int, views.RowSummary]:
        start = page_no * PAGE_SIZE
        ids = self._ids[start : start + PAGE_SIZE]
        page = views.row_summaries(self._case, ids)
        self.pages_fetched += 1
        self._pages[page_no] = page
        for offset, item_id in enumerate(ids):
            summary = page.get(item_id)
            if summary is not None and summary.media_sha256:
                self._rows_by_sha.setdefault(summary.media_sha256, set()).add(start + offset)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

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
            self._pages.pop(row // PAGE_SIZE, None)
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
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == ID_ROLE:
            return self.item_id(row)
        summary = self.summary(row)
        if summary is None:
            return None
        key = COLUMNS[column][0]
        if role == SUMMARY_ROLE:
            return summary
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, key)
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
            return QColor("#6b7280")
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
    def _display(summary: views.RowSummary, key: str) -> str | None:
        if key == "kind":
            return kind_label(summary.kind)
        if key == "author":
            return summary.author or ""
        if key == "when":
            text = format_time(summary.when)
            return f"{text} (captured)" if text and summary.when_source == "captured" else text
        if key == "snippet":
            return summary.snippet
        if key == "phones":
            return ", ".join(summary.phones)
        if key == "tags":
            return ", ".join(name for name, _color in summary.tags)
        if key == "links":
            return str(summary.links) if summary.links else ""
        return None

    @staticmethod
    def _tooltip(summary: views.RowSummary, key: str) -> str | None:
        if key == "when" and summary.when:
            return f"{summary.when_source.capitalize()} time: {summary.when}"
        if key == "snippet" and summary.snippet:
            return summary.snippet
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
        for row in self._rows_by_sha.get(sha256, ()):
            if row < len(self._ids):
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
