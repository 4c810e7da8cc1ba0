"""Link review: the queue of links to decide, the compare view of the current one, the keys that
confirm, reject or mark it unsure, and the dialog that links two items by hand.

Every decision is an undoable command on the window's undo stack that calls the audited
``store.decide`` (undo sets the previous status back, itself audited); a manual link calls
``store.manual_link``. The queue is read through the read-only connection and only the rows a
decision touched are refreshed.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence import store, views
from evidence.case import Case
from evidence.changes import ChangeSet
from evidence.errors import TidelineError
from gui.commands import ChangeHandler, ErrorHandler, _Command
from gui.compare import CompareWidget, link_reason_html

REVIEW_HINT = ("Keys: Y confirm · N reject · U unsure · J or → next · K or ← previous · "
               "Ctrl+Z undo the last decision · +/−/0/1 zoom")
DECISIONS = {"confirmed": "Confirm", "rejected": "Reject", "unsure": "Mark unsure",
             "auto": "Reopen"}
STATUS_COLOURS = {"confirmed": "#2f855a", "rejected": "#b83246", "unsure": "#b7791f",
                  "auto": "#4b5563"}
KIND_CHOICES = (("Any kind", ""), ("Image", "image"), ("Phone", "phone"), ("Text", "text"),
                ("Handle", "handle"), ("Email", "email"), ("URL", "url"), ("Manual", "manual"))
BAND_CHOICES = (("Any strength", ""), ("Strong", "strong"), ("Weak", "weak"))
STATUS_CHOICES = (("Not decided or unsure", "auto,unsure"), ("Not decided", "auto"),
                  ("Unsure", "unsure"), ("Confirmed", "confirmed"), ("Rejected", "rejected"),
                  ("Any status", ""))
ORDER_CHOICES = (("Strongest first", "strength"), ("Most connected first", "connected"))

Index = QModelIndex | QPersistentModelIndex


class DecideLinkCommand(_Command):
    """Confirm, reject or mark a link unsure; undo puts its previous status and note back."""

    def __init__(self, case: Case, link: store.Link, status: str, note: str | None,
                 on_change: ChangeHandler, on_error: ErrorHandler) -> None:
        super().__init__(case, f"{DECISIONS.get(status, status)} link #{link.id}", on_change,
                         on_error)
        self.link_id = link.id
        self.status = status
        self.note = note
        self.previous_status = link.status
        self.previous_note = link.decision_note

    def _do(self) -> ChangeSet:
        return store.decide(self._case, self.link_id, self.status, self.note)

    def _undo(self) -> ChangeSet:
        return store.decide(self._case, self.link_id, self.previous_status, self.previous_note)


class ManualLinkCommand(_Command):
    """Link two items by hand with a note. The store never deletes a link, so undo rejects it
    (or, if the same manual link existed before, gives it back its earlier status)."""

    def __init__(self, case: Case, a: int, b: int, note: str, on_change: ChangeHandler,
                 on_error: ErrorHandler) -> None:
        super().__init__(case, f"Link items {a} and {b}", on_change, on_error)
        self.a, self.b, self.note = a, b, note
        self.link_id: int | None = None
        lo, hi = sorted((str(a), str(b)), key=int)
        earlier = [k for k in store.links(case, kind="manual") if (k.a, k.b) == (lo, hi)]
        self.previous = earlier[0] if earlier else None

    def _do(self) -> ChangeSet:
        self.link_id, changes = store.manual_link(self._case, self.a, self.b, self.note)
        return changes

    def _undo(self) -> ChangeSet:
        assert self.link_id is not None
        if self.previous is not None:
            changes = store.decide(self._case, self.link_id, self.previous.status,
                                   self.previous.decision_note)
        else:
            changes = store.decide(self._case, self.link_id, "rejected",
                                   "manual link undone")
        changes.items |= {self.a, self.b}
        return changes


class ManualLinkDialog(QDialog):
    """Asks why two items belong together; OK stays disabled until a note is written."""

    def __init__(self, first: dict, second: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Link items")
        self.item_ids = (first["id"], second["id"])
        intro = QLabel(
            f"Link item {first['id']} ({_describe(first)}) with item {second['id']} "
            f"({_describe(second)}). The link is recorded as confirmed, with your name and "
            "this note, in the case's audit log.")
        intro.setWordWrap(True)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("Why do these items belong together? (required)")
        self.note_edit.setAccessibleName("Why the items are linked")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Link")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.note_edit, 1)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.note_edit.textChanged.connect(self._on_note_changed)
        self._on_note_changed()
        self.resize(520, 260)

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    @Slot()
    def _on_note_changed(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.note()))


def _describe(item: dict) -> str:
    media = item.get("media") or []
    return item.get("author") or (media[0]["original_name"] if media else item["kind"])


class ReviewQueueModel(QAbstractTableModel):
    """The links in the queue, in review order; rows are refreshed one by one after decisions."""

    COLUMNS = ("Status", "Kind", "Strength", "Score", "Connected", "Why")

    def __init__(self, reader: Case, parent: object = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self.rows: list[views.ReviewRow] = []

    def load(self, kinds: list[str], bands: list[str], statuses: list[str], order: str) -> int:
        self.beginResetModel()
        self.rows = views.review_queue(self._reader, kinds, bands, statuses, order)
        self.endResetModel()
        return len(self.rows)

    def row_of(self, link_id: int) -> int | None:
        return next((n for n, r in enumerate(self.rows) if r.id == link_id), None)

    def refresh_links(self, link_ids: set[int]) -> None:
        """Re-read the status of these links; rows stay where they are until the next load."""
        for link_id in link_ids:
            n = self.row_of(link_id)
            if n is None:
                continue
            try:
                link = store.get_link(self._reader, link_id)
            except store.NotFound:
                continue
            row = self.rows[n]
            row.status, row.score, row.band, row.why = link.status, link.score, link.band, \
                link.why
            self.dataChanged.emit(self.index(n, 0), self.index(n, len(self.COLUMNS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 5:
            return row.why
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QColor(STATUS_COLOURS.get(row.status, "#4b5563"))
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    @staticmethod
    def _display(row: views.ReviewRow, column: int) -> str:
        if column == 0:
            return {"auto": "to review"}.get(row.status, row.status)
        if column == 1:
            return row.kind
        if column == 2:
            return row.band or ""
        if column == 3:
            return f"{row.score:.2f}" if row.score is not None else ""
        if column == 4:
            return str(row.degree)
        return " ".join(row.why.split())


class ReviewWidget(QWidget):
    """Decide links one after another, the current one shown in the compare view."""

    changed = Signal(object)  # the ChangeSet of each decision (and of its undo)
    error = Signal(str)

    def __init__(self, case: Case, reader: Case, undo_stack: QUndoStack,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case = case
        self._reader = reader
        self.undo_stack = undo_stack
        self._writes_enabled = case.writable
        self.model = ReviewQueueModel(reader, self)
        self.current_link: store.Link | None = None
        self._build()
        self._connect()
        self.reload()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Link review")
        self.kind_combo = QComboBox()
        self.band_combo = QComboBox()
        self.status_combo = QComboBox()
        self.order_combo = QComboBox()
        for combo, choices, name in ((self.kind_combo, KIND_CHOICES, "Kind of link"),
                                     (self.band_combo, BAND_CHOICES, "Strength"),
                                     (self.status_combo, STATUS_CHOICES, "Status"),
                                     (self.order_combo, ORDER_CHOICES, "Order")):
            for label, value in choices:
                combo.addItem(label, value)
            combo.setAccessibleName(name)
            combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        top = QHBoxLayout()
        for combo in (self.kind_combo, self.band_combo, self.status_combo, self.order_combo):
            top.addWidget(combo)
        top.addWidget(self.count_label)
        top.addStretch(1)

        self.hint_label = QLabel(REVIEW_HINT)
        self.hint_label.setAccessibleName("Review keys")
        self.hint_label.setStyleSheet("color: palette(placeholder-text);")

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Links to review")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column in range(5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.confirm_button = QPushButton("Confirm (Y)")
        self.reject_button = QPushButton("Reject (N)")
        self.unsure_button = QPushButton("Unsure (U)")
        self.previous_button = QPushButton("← Previous (K)")
        self.next_button = QPushButton("Next (J) →")
        for b in (self.confirm_button, self.reject_button, self.unsure_button,
                  self.previous_button, self.next_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.unsure_button)
        buttons.addStretch(1)
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(buttons)

        self.compare = CompareWidget(self._reader)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.compare)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([420, 1000])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.splitter, 1)

        # Keys work anywhere in the page; the combos take focus only when clicked, and lose
        # nothing to the shortcuts (they have no text to type).
        self.shortcuts: list[QShortcut] = []
        for keys, slot in ((("Y",), lambda: self.decide("confirmed")),
                           (("N",), lambda: self.decide("rejected")),
                           (("U",), lambda: self.decide("unsure")),
                           (("J", "Right"), self.next_link),
                           (("K", "Left"), self.previous_link)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
                self.shortcuts.append(shortcut)

    def _connect(self) -> None:
        for combo in (self.kind_combo, self.band_combo, self.status_combo, self.order_combo):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.confirm_button.clicked.connect(lambda: self.decide("confirmed"))
        self.reject_button.clicked.connect(lambda: self.decide("rejected"))
        self.unsure_button.clicked.connect(lambda: self.decide("unsure"))
        self.previous_button.clicked.connect(self.previous_link)
        self.next_button.clicked.connect(self.next_link)

    # -- public -------------------------------------------------------------------------------

    def reload(self) -> int:
        """Run the queue again with the current filters and show its first link."""
        def values(combo: QComboBox) -> list[str]:
            return [v for v in str(combo.currentData() or "").split(",") if v]

        count = self.model.load(values(self.kind_combo), values(self.band_combo),
                                values(self.status_combo), str(self.order_combo.currentData()))
        self.count_label.setText(f"{count:,} link(s)")
        if count:
            self.select_row(0)
        else:
            self.current_link = None
            self.compare.show_items([])
            self.compare.reason_label.setText(
                "No links match these filters. Links are found when the case is analysed; "
                "Link Items… in the Items menu records one by hand.")
        return count

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row, 0)
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(index)

    def current_row(self) -> int:
        index = self.table.selectionModel().currentIndex()
        return index.row() if index.isValid() else -1

    def show_link(self, link_id: int) -> bool:
        """Make this link current (from the detail panel, say); False if it is not queued."""
        row = self.model.row_of(link_id)
        if row is None:
            self.status_combo.setCurrentIndex(len(STATUS_CHOICES) - 1)  # any status
            self.kind_combo.setCurrentIndex(0)
            self.band_combo.setCurrentIndex(0)
            row = self.model.row_of(link_id)
        if row is None:
            return False
        self.select_row(row)
        return True

    @Slot()
    def next_link(self) -> None:
        self.select_row(min(self.current_row() + 1, self.model.rowCount() - 1))

    @Slot()
    def previous_link(self) -> None:
        self.select_row(max(self.current_row() - 1, 0))

    def set_writes_enabled(self, on: bool) -> None:
        self._writes_enabled = on and self.case.writable
        for b in (self.confirm_button, self.reject_button, self.unsure_button):
            b.setEnabled(self._writes_enabled)

    def decide(self, status: str, note: str | None = None) -> bool:
        """Decide the current link through an undoable command, then move to the next one."""
        link = self.current_link
        if link is None:
            self.error.emit("There is no link to decide: the queue is empty.")
            return False
        if not self._writes_enabled:
            self.error.emit("The case cannot be changed right now (it is read-only or busy).")
            return False
        command = DecideLinkCommand(self.case, link, status, note, self._on_command_changes,
                                    self.error.emit)
        try:
            command.apply()
        except TidelineError as exc:
            self.error.emit(str(exc))
            return False
        self.undo_stack.push(command)
        if self.current_row() < self.model.rowCount() - 1:
            self.next_link()
        return True

    def shutdown(self) -> None:
        self.compare.shutdown()

    # -- slots --------------------------------------------------------------------------------

    def _on_command_changes(self, changes: ChangeSet) -> None:
        self.model.refresh_links(changes.links)
        for link_id in changes.links:
            # The rows of the items at both ends refresh too (their link counts changed).
            try:
                a, b = views.link_item_pair(self._reader, store.get_link(self._reader, link_id))
            except store.NotFound:
                continue
            changes.items |= set(a) | set(b)
            if self.current_link is not None and self.current_link.id == link_id:
                self.current_link = store.get_link(self._reader, link_id)
                self.compare.link = self.current_link
                self.compare.reason_label.setText(link_reason_html(self.current_link))
        self.changed.emit(changes)

    @Slot()
    def _on_filter_changed(self) -> None:
        self.reload()

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or not 0 <= current.row() < len(self.model.rows):
            return
        link_id = self.model.rows[current.row()].id
        if self.current_link is not None and self.current_link.id == link_id:
            return
        try:
            self.current_link = store.get_link(self._reader, link_id)
        except store.NotFound as exc:
            self.error.emit(str(exc))
            return
        self.compare.show_link(self.current_link)
