"""The two ways to browse items: a thumbnail grid and a table, both over ``ItemListModel``.

The grid draws each item as a tile (thumbnail, kind, page, tag colours, link count) with its own
delegate; the table draws tags as coloured chips. Both views share one selection model, so
switching between them keeps the selection.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen, QPixmap
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

from gui.item_model import COLUMN, format_time, kind_label
from gui.thumbnails import THUMB_SIZE

TILE = QSize(THUMB_SIZE + 24, THUMB_SIZE + 66)
ROW_HEIGHT = 56
_PLACEHOLDER_TEXT = {"loading": "Loading…", "failed": "Cannot be shown", "none": "No image"}

Index = QModelIndex | QPersistentModelIndex


def _draw_placeholder(painter: QPainter, rect: QRect, state: str, palette: QPalette) -> None:
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
    painter.drawRoundedRect(rect, 6, 6)
    painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, _PLACEHOLDER_TEXT.get(state, ""))
    painter.restore()


def _draw_pixmap(painter: QPainter, rect: QRect, pixmap: QPixmap) -> None:
    scaled = pixmap.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, scaled.width(), scaled.height())
    target.moveCenter(rect.center())
    painter.drawPixmap(target, pixmap)


def _draw_chips(painter: QPainter, rect: QRect, tags: list[tuple[str, str]],
                metrics: QFontMetrics) -> None:
    x = rect.left()
    for name, color in tags:
        width = metrics.horizontalAdvance(name) + 14
        if x + width > rect.right():
            painter.drawText(QRect(x, rect.top(), rect.right() - x, rect.height()),
                             Qt.AlignmentFlag.AlignVCenter, "…")
            break
        chip = QRect(x, rect.center().y() - 10, width, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(chip, 10, 10)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, name)
        x += width + 4


def _row_facts(index: Index) -> tuple[object | None, QPixmap | None, str]:
    """(summary, thumbnail, thumbnail state) straight from the model's Python methods.

    Never through ``index.data()``: in PySide6 6.12 each conversion of an empty QVariant to
    None takes one reference from None without adding one, and a grid repaints every
    loading tile many times a second, so the interpreter aborted after a few thousand paints.
    """
    model = index.model()
    summary = model.summary(index.row()) if hasattr(model, "summary") else None
    if summary is None:
        return None, None, "loading"
    return summary, model.thumbnail(summary), model.thumbnail_state(summary)


class TileDelegate(QStyledItemDelegate):
    """One grid tile: the thumbnail, then kind and page, then tags and links."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        summary, pixmap, thumb_state = _row_facts(index)
        palette = option.palette
        rect = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight).lighter(185))
            painter.drawRoundedRect(rect, 8, 8)
        thumb_rect = QRect(rect.left() + 8, rect.top() + 8, rect.width() - 16, THUMB_SIZE - 8)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            _draw_pixmap(painter, thumb_rect, pixmap)
        else:
            _draw_placeholder(painter, thumb_rect, thumb_state, palette)
        if summary is None:
            painter.restore()
            return
        metrics = QFontMetrics(option.font)
        text_rect = QRect(rect.left() + 8, thumb_rect.bottom() + 6, rect.width() - 16,
                          metrics.height())
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        title = summary.author or summary.original_name or kind_label(summary.kind)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()))
        sub_rect = text_rect.translated(0, metrics.height() + 2)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        when = format_time(summary.when).removesuffix(" UTC")
        sub = f"{kind_label(summary.kind)} · {when}" if when else kind_label(summary.kind)
        if summary.links:
            sub += f" · {summary.links} link{'s' if summary.links != 1 else ''}"
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(sub, Qt.TextElideMode.ElideRight, sub_rect.width()))
        # Tag colours as a strip along the thumbnail's foot: visible at a glance in a dense grid.
        if summary.tags:
            strip_width = thumb_rect.width() // max(1, len(summary.tags))
            for n, (_name, color) in enumerate(summary.tags):
                painter.fillRect(QRect(thumb_rect.left() + n * strip_width,
                                       thumb_rect.bottom() - 4, strip_width, 5), QColor(color))
        painter.restore()


class TagChipsDelegate(QStyledItemDelegate):
    """The table's tag column: each tag as a small coloured chip."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        summary = _row_facts(index)[0]
        if summary is None or not summary.tags:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _draw_chips(painter, option.rect.adjusted(4, 0, -4, 0), summary.tags,
                    QFontMetrics(option.font))
        painter.restore()


class ThumbDelegate(QStyledItemDelegate):
    """The table's thumbnail column: a small picture or a quiet placeholder."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        option.icon = option.icon.__class__()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        rect = option.rect.adjusted(4, 3, -4, -3)
        pixmap = _row_facts(index)[1]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            _draw_pixmap(painter, rect, pixmap)
        else:
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "·")
        painter.restore()


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
        self.setItemDelegate(TileDelegate(self))
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)


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
        self.setItemDelegateForColumn(COLUMN["thumb"], ThumbDelegate(self))
        self.setItemDelegateForColumn(COLUMN["tags"], TagChipsDelegate(self))
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

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
