"""The audit log viewer: a read-only dialog listing every audit entry, loaded page by page as
the analyst scrolls, under one sentence saying whether the hash chain verifies (green) or naming
the first bad entry (red)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence import views
from evidence.audit import AuditEntry, canonical_json
from evidence.case import Case
from gui.item_model import format_time

PAGE = 500
COLUMNS = ("Seq", "Time", "Actor", "Action", "Details")
OK_COLOUR = "#1a7f37"
BAD_COLOUR = "#b42318"

Index = QModelIndex | QPersistentModelIndex


def _tint(colour: str, alpha: int) -> str:
    c = QColor(colour)
    return f"rgba({c.red()}, {c.green()}, {c.blue()}, {alpha})"


def verification_sentence(case: Case) -> tuple[bool, str]:
    """(ok, one sentence) from ``case.verify_audit()``."""
    check = case.verify_audit()
    if check.ok:
        return True, (f"The audit log verifies: all {check.entries:,} entries are intact and "
                      "chained, and audit.head matches the last one.")
    where = f" The first bad entry is {check.bad_seq}." if check.bad_seq else ""
    problem = (check.problem or "The audit log does not verify.").rstrip(".")
    return False, f"The audit log does NOT verify: {problem}.{where}"


class AuditLogModel(QAbstractTableModel):
    """Audit entries in sequence order; rows are read a page at a time as views need them
    (``canFetchMore``/``fetchMore``), so a long log opens at once."""

    def __init__(self, case: Case, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._case = case
        self._total = views.audit_count(case)
        self._rows: list[AuditEntry] = []
        self.fetchMore()  # the first page at once; the rest as the view scrolls

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = views.audit_page(self._case, len(self._rows), PAGE)
        if not more:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    @property
    def total(self) -> int:
        return self._total

    def entry(self, row: int) -> AuditEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        entry = self.entry(index.row())
        if entry is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return f"{canonical_json(entry.details)}\n\nhash {entry.hash}\nprev {entry.prev_hash}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def text(entry: AuditEntry, column: int) -> str:
        if column == 0:
            return str(entry.seq)
        if column == 1:
            return format_time(entry.at)
        if column == 2:
            return entry.actor if entry.actor == entry.os_user else \
                f"{entry.actor} ({entry.os_user})"
        if column == 3:
            return entry.action
        return ", ".join(f"{k}: {canonical_json(v) if not isinstance(v, str) else v}"
                         for k, v in entry.details.items())


class AuditLogDialog(QDialog):
    """Read-only view of a case's audit log and whether its chain verifies."""

    def __init__(self, case: Case, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Audit log - {case.title}")
        self.setAccessibleName("Audit log")
        self.resize(1000, 620)
        self.model = AuditLogModel(case, self)
        self.ok, sentence = verification_sentence(case)
        self.status_label = QLabel(("✔ " if self.ok else "✖ ") + sentence)
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Audit verification")
        colour = OK_COLOUR if self.ok else BAD_COLOUR
        self.status_label.setStyleSheet(
            # Qt reads eight-digit colours as #AARRGGBB, so tints are spelled out with rgba().
            f"QLabel {{ color: {colour}; background: {_tint(colour, 20)};"
            f" border: 1px solid {_tint(colour, 90)};"
            " border-radius: 6px; padding: 8px 10px; font-weight: 600; }")
        self.count_label = QLabel(f"{self.model.total:,} entries, oldest first. Read-only: "
                                  "the log is append-only and hash-chained.")
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit entries")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        for column, width in enumerate((60, 150, 140, 190)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
