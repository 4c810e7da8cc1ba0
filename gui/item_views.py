"""The two ways to browse items: a thumbnail grid and a table, both over ``ItemListModel``.

The grid draws each item as a tile (thumbnail, kind, page, tag colours, link count) with its own
delegate; the table draws every cell with one delegate, tags as coloured chips. Both views share
one selection model, so switching between them keeps the selection.

A case may hold 100,000 items, so painting must stay well inside a frame: the delegates read
the row's ``RowView`` (display strings made when its page was read) straight from the model,
never through ``initStyleOption`` and a dozen QVariant roles, and draw backgrounds themselves.
Each painted tile or cell is kept as a ``QPixmap`` keyed by what it shows (row version, size,
selection, thumbnail), so repaints after a page arrives, a selection change or a scroll back
are mostly blits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from gui.item_model import CAPTURED_COLOUR, COLUMN, COLUMNS, LOADING_TEXT, RowView
from gui.thumbnails import THUMB_SIZE

TILE = QSize(THUMB_SIZE + 24, THUMB_SIZE + 66)
ROW_HEIGHT = 56
_PLACEHOLDER_TEXT = {"loading": "Loading…", "failed": "Cannot be shown", "none": "No image"}
TILE_CACHE_BYTES = 48 * 1024 * 1024  # about 200 tiles: several screens of the grid
CELL_CACHE_BYTES = 32 * 1024 * 1024  # about 20 screens of table rows
_WHITE = QColor("#ffffff")
_COLUMN_KEYS = tuple(key for key, _title in COLUMNS)
# Plain ints: enum flag arithmetic costs microseconds a cell in Python.
_SELECTED = QStyle.StateFlag.State_Selected.value
_HAS_FOCUS = QStyle.StateFlag.State_HasFocus.value
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate.value

Index = QModelIndex | QPersistentModelIndex


class PixmapCache:
    """Painted pixmaps by key, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pixmaps: OrderedDict[Hashable, tuple[QPixmap, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._pixmaps)

    def get_or_paint(self, key: Hashable, size: QSize, ratio: float,
                     paint: Callable[[QPainter, QRect], None]) -> QPixmap:
        entry = self._pixmaps.get(key)
        if entry is not None:
            self._pixmaps.move_to_end(key)
            self.hits += 1
            return entry[0]
        self.misses += 1
        pixmap = QPixmap(max(1, round(size.width() * ratio)), max(1, round(size.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            paint(painter, QRect(0, 0, size.width(), size.height()))
        finally:
            painter.end()
        cost = pixmap.width() * pixmap.height() * 4
        self._pixmaps[key] = (pixmap, cost)
        self._bytes += cost
        while self._bytes > self.max_bytes and len(self._pixmaps) > 1:
            _old, (_pix, old_cost) = self._pixmaps.popitem(last=False)
            self._bytes -= old_cost
        return pixmap

    def clear(self) -> None:
        self._pixmaps.clear()
        self._bytes = 0


def _draw_placeholder(painter: QPainter, rect: QRect, state: str, palette: QPalette) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
    painter.drawRoundedRect(rect, 6, 6)
    painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, _PLACEHOLDER_TEXT.get(state, ""))


def _draw_pixmap(painter: QPainter, rect: QRect, pixmap: QPixmap) -> None:
    scaled = pixmap.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, scaled.width(), scaled.height())
    target.moveCenter(rect.center())
    painter.drawPixmap(target, pixmap)


def _draw_chips(painter: QPainter, rect: QRect, tags: list[tuple[str, str]],
                metrics: QFontMetrics, text_colour: QColor) -> None:
    x = rect.left()
    for name, color in tags:
        width = metrics.horizontalAdvance(name) + 14
        if x + width > rect.right():
            painter.setPen(text_colour)
            painter.drawText(QRect(x, rect.top(), rect.right() - x, rect.height()),
                             Qt.AlignmentFlag.AlignVCenter, "…")
            break
        chip = QRect(x, rect.center().y() - 10, width, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(chip, 10, 10)
        painter.setPen(_WHITE)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, name)
        x += width + 4


def _row_facts(index: Index) -> tuple[RowView | None, QPixmap | None, str]:
    """(row view, thumbnail, thumbnail state) straight from the model's Python methods.

    Never through ``index.data()``: one Python call instead of a QVariant per role, and in
    PySide6 6.12 each conversion of an empty QVariant to None also took a reference from None.
    """
    model = index.model()
    view = model.row_view(index.row()) if hasattr(model, "row_view") else None
    if view is None:
        return None, None, "loading"
    return view, model.thumbnail(view.summary), model.thumbnail_state(view.summary)


class _CachingDelegate(QStyledItemDelegate):
    """A delegate whose painted pixmaps depend on the view's palette, font and pixel ratio.

    Those are read once per paint event (``begin_paint``, called by the view), not per cell.
    """

    def __init__(self, max_bytes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = PixmapCache(max_bytes)
        self._style: tuple = ()
        self._ratio = 1.0

    def begin_paint(self, view: QAbstractItemView) -> None:
        self._ratio = view.devicePixelRatioF()
        self._style = (view.palette().cacheKey(), view.font().key(), self._ratio,
                       view.isActiveWindow(), view.isEnabled())

    def style_key(self, option: QStyleOptionViewItem) -> tuple:
        if not self._style:  # painted outside a view's paint event
            widget = option.widget
            self._ratio = widget.devicePixelRatioF() if widget is not None else 1.0
            return (option.palette.cacheKey(), option.font.key(), self._ratio)
        return self._style


def _draw_focus(painter: QPainter, option: QStyleOptionViewItem, radius: int = 0) -> None:
    # Drawn over the cached pixmap: the current item moves without invalidating the cache.
    painter.save()
    pen = QPen(option.palette.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    rect = option.rect.adjusted(1, 1, -2, -2)
    if radius:
        painter.drawRoundedRect(rect, radius, radius)
    else:
        painter.drawRect(rect)
    painter.restore()


class TileDelegate(_CachingDelegate):
    """One grid tile: the thumbnail, then kind and page, then tags and links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TILE_CACHE_BYTES, parent)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        view, pixmap, thumb_state = _row_facts(index)
        if pixmap is not None and pixmap.isNull():
            pixmap = None
        state = option.state.value
        selected = bool(state & _SELECTED)
        rect = option.rect
        size = rect.size()
        key = (view.version if view is not None else 0, size.width(), size.height(), selected,
               thumb_state, pixmap.cacheKey() if pixmap is not None else 0,
               self.style_key(option))

        def draw(p: QPainter, whole: QRect) -> None:
            self._draw_tile(p, whole, view, pixmap, thumb_state, selected, option)

        tile = self.cache.get_or_paint(key, size, self._ratio, draw)
        painter.drawPixmap(rect.topLeft(), tile)
        if state & _HAS_FOCUS:
            _draw_focus(painter, option, 8)

    @staticmethod
    def _draw_tile(painter: QPainter, whole: QRect, view: RowView | None, pixmap: QPixmap | None,
                   thumb_state: str, selected: bool, option: QStyleOptionViewItem) -> None:
        palette = option.palette
        rect = whole.adjusted(4, 4, -4, -4)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if selected:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight).lighter(185))
            painter.drawRoundedRect(rect, 8, 8)
        thumb_rect = QRect(rect.left() + 8, rect.top() + 8, rect.width() - 16, THUMB_SIZE - 8)
        if pixmap is not None:
            _draw_pixmap(painter, thumb_rect, pixmap)
        else:
            _draw_placeholder(painter, thumb_rect, thumb_state, palette)
        if view is None:
            return
        painter.setFont(option.font)
        metrics = QFontMetrics(option.font)
        text_rect = QRect(rect.left() + 8, thumb_rect.bottom() + 6, rect.width() - 16,
                          metrics.height())
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft, metrics.elidedText(
            view.tile_title, Qt.TextElideMode.ElideRight, text_rect.width()))
        sub_rect = text_rect.translated(0, metrics.height() + 2)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft, metrics.elidedText(
            view.tile_sub, Qt.TextElideMode.ElideRight, sub_rect.width()))
        # Tag colours as a strip along the thumbnail's foot: visible at a glance in a dense grid.
        tags = view.summary.tags
        if tags:
            strip_width = thumb_rect.width() // max(1, len(tags))
            for n, (_name, color) in enumerate(tags):
                painter.fillRect(QRect(thumb_rect.left() + n * strip_width,
                                       thumb_rect.bottom() - 4, strip_width, 5), QColor(color))


class TableCellDelegate(_CachingDelegate):
    """Every cell of the table: text from the row's display strings, the thumbnail column as a
    small picture, the tag column as coloured chips."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(CELL_CACHE_BYTES, parent)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        column = index.column()
        view, pixmap, _thumb_state = _row_facts(index) if column == 0 else (
            self._view(index), None, "")
        if pixmap is not None and pixmap.isNull():
            pixmap = None
        state = option.state.value
        selected = bool(state & _SELECTED)
        alternate = bool(option.features.value & _ALTERNATE)
        rect = option.rect
        size = rect.size()
        # Every loading cell of a column looks the same: one cached pixmap serves them all.
        key = (view.version if view is not None else 0, column, size.width(), size.height(),
               selected, alternate, pixmap.cacheKey() if pixmap is not None else 0,
               self.style_key(option))

        def draw(p: QPainter, whole: QRect) -> None:
            self._draw_cell(p, whole, column, view, pixmap, selected, alternate, option)

        cell = self.cache.get_or_paint(key, size, self._ratio, draw)
        painter.drawPixmap(rect.topLeft(), cell)
        if state & _HAS_FOCUS:
            _draw_focus(painter, option)

    def row_pixmap(self, model, row: int, columns: tuple[tuple[int, int, int], ...], width: int,
                   height: int, selected: bool, alternate: bool,
                   option: QStyleOptionViewItem) -> QPixmap:
        """One whole row of the table (``columns``: logical index, position, width)."""
        view = model.row_view(row)
        pixmap = model.thumbnail(view.summary) if view is not None else None
        if pixmap is not None and pixmap.isNull():
            pixmap = None
        key = ("row", view.version if view is not None else 0, columns, width, height, selected,
               alternate, pixmap.cacheKey() if pixmap is not None else 0, self._style)

        def draw(p: QPainter, whole: QRect) -> None:
            for column, left, size in columns:
                cell = QRect(left, 0, size, height)
                p.save()
                p.setClipRect(cell)
                self._draw_cell(p, cell, column, view, pixmap, selected, alternate, option)
                p.restore()

        return self.cache.get_or_paint(key, QSize(max(1, width), height), self._ratio, draw)

    @staticmethod
    def _view(index: Index) -> RowView | None:
        model = index.model()
        return model.row_view(index.row()) if hasattr(model, "row_view") else None

    @staticmethod
    def _draw_cell(painter: QPainter, rect: QRect, column: int, view: RowView | None,
                   pixmap: QPixmap | None, selected: bool, alternate: bool,
                   option: QStyleOptionViewItem) -> None:
        palette = option.palette
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
            text_colour = palette.color(QPalette.ColorRole.HighlightedText)
        else:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase if alternate
                                                 else QPalette.ColorRole.Base))
            text_colour = palette.color(QPalette.ColorRole.Text)
        key = _COLUMN_KEYS[column]
        painter.setFont(option.font)
        if key == "thumb":
            inner = rect.adjusted(4, 3, -4, -3)
            if pixmap is not None:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                _draw_pixmap(painter, inner, pixmap)
            else:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(inner, Qt.AlignmentFlag.AlignCenter, "·")
            return
        if view is None:
            if key == "snippet":
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(rect.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter,
                                 LOADING_TEXT)
            return
        metrics = QFontMetrics(option.font)
        if key == "tags":
            if view.summary.tags:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                _draw_chips(painter, rect.adjusted(4, 0, -4, 0), view.summary.tags, metrics,
                            text_colour)
            return
        text = view.texts[column]
        if not text:
            return
        if key == "when" and view.summary.when_source == "captured" and not selected:
            text_colour = CAPTURED_COLOUR
        align = Qt.AlignmentFlag.AlignVCenter | (
            Qt.AlignmentFlag.AlignHCenter if key == "links" else Qt.AlignmentFlag.AlignLeft)
        inner = rect.adjusted(4, 0, -4, 0)
        painter.setPen(text_colour)
        painter.drawText(inner, align, metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                          inner.width()))


class ItemGridView(QListView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Items as thumbnails")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)  # the view never asks every row for its size
        self.setGridSize(TILE)
        self.setSpacing(0)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(400)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tile_delegate = TileDelegate(self)
        self.setItemDelegate(self.tile_delegate)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)

    def paintEvent(self, event) -> None:
        self.tile_delegate.begin_paint(self)
        super().paintEvent(event)


class ItemTableView(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Items as a table")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        self.verticalHeader().setVisible(False)
        # Fixed row heights: the view never asks every row for its size (100,000 rows).
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.cell_delegate = TableCellDelegate(self)
        self.setItemDelegate(self.cell_delegate)
        self.rows = self.cell_delegate
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if not hasattr(model, "row_view"):
            self.cell_delegate.begin_paint(self)
            super().paintEvent(event)
            return
        # Row by row rather than QTableView's cell by cell: with a Python model each painted
        # cell costs a delegate call and a handful of rowCount()/index() round trips, and a
        # screen of the table is over a hundred cells. A row is one cached pixmap.
        area = event.rect()
        first = self.rowAt(area.top())
        if first < 0:
            return
        last = self.rowAt(area.bottom())
        if last < 0:
            last = model.rowCount() - 1
        header = self.horizontalHeader()
        columns = tuple((logical, header.sectionPosition(logical), header.sectionSize(logical))
                        for logical in range(header.count())
                        if not header.isSectionHidden(logical))
        width = header.length()
        height = self.verticalHeader().defaultSectionSize()
        delegate = self.rows
        delegate.begin_paint(self)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        # The selected row ranges on screen, read once: isRowSelected() per row asks the model
        # for an index of every column.
        selection = self.selectionModel()
        root = self.rootIndex()
        chosen = [(r.top(), r.bottom()) for r in (selection.selection() if selection else ())
                  if r.parent() == root and r.bottom() >= first and r.top() <= last]
        current = self.currentIndex()
        focus_row = current.row() if current.isValid() and self.hasFocus() else -1
        alternating = self.alternatingRowColors()
        x = -header.offset()
        painter = QPainter(self.viewport())
        try:
            for row in range(first, last + 1):
                y = self.rowViewportPosition(row)
                selected = any(top <= row <= bottom for top, bottom in chosen)
                pixmap = delegate.row_pixmap(model, row, columns, width, height, selected,
                                             alternating and bool(row & 1), option)
                painter.drawPixmap(x, y, pixmap)
                if row == focus_row:
                    option.rect = QRect(0, y, min(width + x, self.viewport().width()), height)
                    _draw_focus(painter, option)
        finally:
            painter.end()

    def setModel(self, model) -> None:
        super().setModel(model)
        header = self.horizontalHeader()
        widths = {"thumb": 72, "kind": 88, "author": 150, "when": 150, "phones": 130,
                  "tags": 120, "links": 48}
        for key, width in widths.items():
            header.setSectionResizeMode(COLUMN[key], QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(COLUMN[key], width)
        header.setSectionResizeMode(COLUMN["snippet"], QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # item order until a click
