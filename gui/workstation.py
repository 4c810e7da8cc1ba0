"""The workstation view of an open case: search, the item grid or table, the detail panel, the
tag bar, and the undo stack for the analyst's changes.

Reads go through a read-only connection to the case (``reader``) and writes through the
writable ``case``, so a long import writing on a worker thread never shares a connection with
the views. Writes are small audited store calls made through undoable commands; each returns a
change set and only the rows it names are refreshed.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from evidence import store, views
from evidence.case import Case
from evidence.changes import ChangeSet
from evidence.errors import TidelineError
from gui.commands import (
    AddNoteCommand,
    ItemDetailCommand,
    RemoveNoteCommand,
    TagCommand,
    push_command,
)
from gui.compare import MAX_ITEMS, CompareDialog
from gui.detail_panel import ItemDetailWidget
from gui.facets import FacetsWidget
from gui.item_model import ItemListModel, PageFetcher
from gui.item_views import ItemGridView, ItemTableView
from gui.review import ManualLinkCommand, ManualLinkDialog
from gui.thumbnails import ThumbnailLoader

SEARCH_HINT = ("Search text, or filter: phone:+90…  tag:boat  kind:screenshot  has:links  "
               "source:1")
SAFE_VIEW_KEY = "view/safe"
VIEW_MODE_KEY = "view/mode"
QUICK_TAGS = 9


def _readable_on(colour: str) -> str:
    c = QColor(colour)
    return "#111827" if (0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()) > 170 else "#fff"


class WorkstationWidget(QWidget):
    """Browse, search, inspect and tag the items of one case."""

    error = Signal(str)
    changed = Signal(object)  # the ChangeSet of each write, for other views (the summary)
    review_link_requested = Signal(int)  # a link id the analyst wants to decide

    def __init__(self, case: Case, reader: Case, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case = case
        self.reader = reader
        self.settings = settings
        self.undo_stack = QUndoStack(self)
        self.loader = ThumbnailLoader(reader.vault.path_for, reader.cache_dir, self)
        self.fetcher = PageFetcher(reader.path, self)
        self.model = ItemListModel(reader, self.loader, self, fetcher=self.fetcher)
        self.quick_tags: list[dict] = []
        self.compare_dialogs: list[CompareDialog] = []
        self._writes_enabled = case.writable
        self._build()
        self._connect()
        safe = str(settings.value(SAFE_VIEW_KEY, "false")).lower() == "true"
        self.safe_check.setChecked(safe)
        self._apply_safe_view(safe)
        self.set_view_mode(str(settings.value(VIEW_MODE_KEY, "grid")))
        self.detail.set_writable(self._writes_enabled)
        self.refresh_tags()
        self.facets.refresh()
        self.run_search("")
        # Everything alive now (modules, widgets, the id list) lives as long as the case is
        # open: take it out of the cyclic collector's view, so a full collection walks only
        # what was made since. Without this a full collection stalls scrolling by 100-200 ms.
        gc.freeze()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Workstation")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(SEARCH_HINT)
        self.search_edit.setAccessibleName("Search items")
        self.search_edit.setClearButtonEnabled(True)
        self.result_label = QLabel()
        self.result_label.setAccessibleName("Search result count")
        self.result_label.setMinimumWidth(140)
        self.grid_button = QToolButton()
        self.grid_button.setText("Grid")
        self.table_button = QToolButton()
        self.table_button.setText("Table")
        self.view_buttons = QButtonGroup(self)
        for b in (self.grid_button, self.table_button):
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.view_buttons.addButton(b)
        self.grid_button.setToolTip("Show items as thumbnails")
        self.table_button.setToolTip("Show items as a table")
        self.facets_button = QToolButton()
        self.facets_button.setText("Filters")
        self.facets_button.setCheckable(True)
        self.facets_button.setChecked(True)
        self.facets_button.setToolTip("Show or hide the filter panel")
        self.safe_check = QCheckBox("Safe view")
        self.safe_check.setToolTip("Blur pictures until an item is opened and shown")

        top = QHBoxLayout()
        top.addWidget(self.facets_button)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.result_label)
        top.addSpacing(12)
        top.addWidget(self.grid_button)
        top.addWidget(self.table_button)
        top.addSpacing(12)
        top.addWidget(self.safe_check)

        self.tag_bar_widget = QWidget()
        self.tag_bar = QHBoxLayout(self.tag_bar_widget)
        self.tag_bar.setContentsMargins(0, 0, 0, 0)
        self.tag_bar.setSpacing(6)
        self.tag_bar_label = QLabel("Tags:")
        self.tag_bar_label.setStyleSheet("color: palette(placeholder-text);")
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.tag_bar_label)
        tag_row.addWidget(self.tag_bar_widget)
        tag_row.addStretch(1)
        self.tag_buttons: list[QToolButton] = []

        self.grid = ItemGridView()
        self.table = ItemTableView()
        self.grid.setModel(self.model)
        self.table.setModel(self.model)
        # One selection for both views: switching keeps what the analyst selected.
        self.grid.setSelectionModel(self.table.selectionModel())
        self.selection = self.table.selectionModel()
        self.views = QStackedWidget()
        self.views.addWidget(self.grid)
        self.views.addWidget(self.table)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: palette(placeholder-text); font-size: 12pt;")
        self.views.addWidget(self.empty_label)

        self.detail = ItemDetailWidget(self.reader, self.loader)
        self.detail.setMinimumWidth(360)
        self.facets = FacetsWidget(self.reader)
        self.facets.setMinimumWidth(180)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.facets)
        self.splitter.addWidget(self.views)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([250, 740, 450])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addLayout(tag_row)
        layout.addWidget(self.splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)

        # Keys 1-9 tag the selection; only while a list has focus, so typing a 1 in the search
        # box or a note stays typing.
        self.tag_shortcuts: list[QShortcut] = []
        for view in (self.grid, self.table):
            for n in range(1, QUICK_TAGS + 1):
                shortcut = QShortcut(QKeySequence(str(n)), view)
                shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
                shortcut.activated.connect(lambda n=n: self.toggle_quick_tag(n))
                self.tag_shortcuts.append(shortcut)
        self.find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        self.find_shortcut.activated.connect(self.search_edit.setFocus)

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(self._on_search_text_changed)
        self.search_edit.returnPressed.connect(self._on_search_return)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.grid_button.clicked.connect(lambda: self.set_view_mode("grid"))
        self.table_button.clicked.connect(lambda: self.set_view_mode("table"))
        self.safe_check.toggled.connect(self._on_safe_toggled)
        self.selection.selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._on_model_reset)
        self.detail.tag_add_requested.connect(self._on_detail_tag_add)
        self.detail.tag_remove_requested.connect(self._on_detail_tag_remove)
        self.detail.note_add_requested.connect(self._on_detail_note_add)
        self.detail.note_remove_requested.connect(self._on_detail_note_remove)
        self.detail.detail_edit_requested.connect(self._on_detail_edit)
        self.detail.compare_link_requested.connect(self.compare_link)
        self.detail.review_link_requested.connect(self.review_link_requested)
        self.facets_button.toggled.connect(self.facets.setVisible)
        self.facets.filter_requested.connect(self.toggle_filter)
        self.facets.clusters_ready.connect(self._on_facets_clusters_ready)
        self.fetcher.failed.connect(self.error)

    # -- public -------------------------------------------------------------------------------

    def shutdown(self) -> None:
        for dialog in self.compare_dialogs:
            dialog.compare.shutdown()
        self.facets.shutdown()
        self.fetcher.stop()
        self.loader.stop()
        gc.unfreeze()  # what this case held can be collected again once it is closed

    def set_writes_enabled(self, on: bool) -> None:
        """Off while an import writes on a worker thread (one writer at a time)."""
        self._writes_enabled = on and self.case.writable
        self.detail.set_writable(self._writes_enabled)
        for b in self.tag_buttons:
            b.setEnabled(self._writes_enabled)

    def set_view_mode(self, mode: str) -> None:
        mode = "table" if mode == "table" else "grid"
        self.view_mode = mode
        (self.table_button if mode == "table" else self.grid_button).setChecked(True)
        self.settings.setValue(VIEW_MODE_KEY, mode)
        self._show_current_view()

    def current_view(self) -> ItemGridView | ItemTableView:
        return self.table if self.view_mode == "table" else self.grid

    def run_search(self, text: str) -> bool:
        """Show the items matching ``text``; a bad filter is reported and the list kept."""
        try:
            count = self.model.run_query(text)
        except TidelineError as exc:
            self.result_label.setText("Check the search")
            self.result_label.setToolTip(str(exc))
            self.search_edit.setToolTip(str(exc))
            self.error.emit(str(exc))
            return False
        self.search_edit.setToolTip(SEARCH_HINT)
        self.result_label.setToolTip("")
        total = views.facets(self.reader).total if text.strip() else count
        self.result_label.setText(f"{count:,} of {total:,} items" if text.strip()
                                  else f"{count:,} items")
        if count == 0:
            self.empty_label.setText(
                "No items match this search." if text.strip() else
                "This case has no items yet. Use File > Import to bring evidence in."
            )
        self._show_current_view()
        return True

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.selection.selectedIndexes()})
        return [i for i in (self.model.item_id(r) for r in rows) if i is not None]

    def select_ids(self, ids: Sequence[int]) -> None:
        selection = QItemSelection()
        for item_id in ids:
            row = self.model.row_for(item_id)
            if row is not None:
                selection.select(self.model.index(row, 0),
                                 self.model.index(row, self.model.columnCount() - 1))
        self.selection.select(selection, self.selection.SelectionFlag.ClearAndSelect)
        if ids:
            row = self.model.row_for(ids[0])
            if row is not None:
                self.selection.setCurrentIndex(self.model.index(row, 0),
                                               self.selection.SelectionFlag.NoUpdate)
                self.current_view().scrollTo(self.model.index(row, 0))

    def show_item(self, item_id: int) -> bool:
        """Select one item, clearing the search first if it hides the item."""
        if self.model.row_for(item_id) is None:
            self.search_edit.clear()
            self._search_timer.stop()
            self.run_search("")
        if self.model.row_for(item_id) is None:
            self.error.emit(f"Item #{item_id} is not in this case.")
            return False
        self.select_ids([item_id])
        return True

    def refresh_tags(self) -> None:
        """Rebuild the quick-tag buttons: the first nine tags, with their key and colour."""
        for b in self.tag_buttons:
            self.tag_bar.removeWidget(b)
            b.deleteLater()
        self.tag_buttons = []
        self.quick_tags = store.tags(self.reader)[:QUICK_TAGS]
        for n, tag in enumerate(self.quick_tags, start=1):
            button = QToolButton(self.tag_bar_widget)
            button.setText(f"{n}  {tag['name']}  ({tag['items']})")
            button.setToolTip(f"Press {n} to put '{tag['name']}' on the selected items "
                              "(again to take it off)")
            button.setAccessibleName(f"Tag {tag['name']}, key {n}")
            button.setStyleSheet(
                f"QToolButton {{ background: {tag['color']}; color: {_readable_on(tag['color'])};"
                " border: none; border-radius: 10px; padding: 2px 10px; }"
            )
            button.setEnabled(self._writes_enabled)
            button.clicked.connect(lambda _=False, n=n: self.toggle_quick_tag(n))
            self.tag_bar.addWidget(button)
            self.tag_buttons.append(button)
        self.tag_bar_label.setText(
            "Tags:" if self.quick_tags else
            "Tags: none yet. Type a name in “Add a tag…” to create one; keys 1–9 then apply it.")

    def toggle_filter(self, term: str) -> bool:
        """Add a facet's filter term to the search (or take it out if it is there already)."""
        words = self.search_edit.text().split()
        words = [w for w in words if w != term] if term in words else [*words, term]
        text = " ".join(words)
        self._search_timer.stop()
        self.search_edit.blockSignals(True)
        self.search_edit.setText(text)
        self.search_edit.blockSignals(False)
        return self.run_search(text)

    @Slot(object)
    def _on_facets_clusters_ready(self, members: object) -> None:
        self.model.clusters = members  # type: ignore[assignment]

    # -- linked evidence ----------------------------------------------------------------------

    def _open_compare(self) -> CompareDialog:
        dialog = CompareDialog(self.reader, self)
        dialog.finished.connect(lambda _r, d=dialog: self._on_compare_closed(d))
        self.compare_dialogs.append(dialog)
        dialog.show()
        return dialog

    def _on_compare_closed(self, dialog: CompareDialog) -> None:
        if dialog in self.compare_dialogs:
            self.compare_dialogs.remove(dialog)

    def compare_selected(self) -> CompareDialog | None:
        """Open the selected two to four items side by side."""
        ids = self.selected_ids()
        if not 2 <= len(ids) <= MAX_ITEMS:
            self.error.emit(f"Select two to {MAX_ITEMS} items to compare them "
                            f"({len(ids)} selected).")
            return None
        dialog = self._open_compare()
        dialog.compare.show_items(ids)
        return dialog

    def compare_link(self, link_id: int) -> CompareDialog | None:
        """Open the two ends of a link side by side."""
        try:
            link = store.get_link(self.reader, link_id)
        except TidelineError as exc:
            self.error.emit(str(exc))
            return None
        dialog = self._open_compare()
        dialog.compare.show_link(link)
        return dialog

    def link_selected(self, note: str | None = None) -> bool:
        """Link the two selected items by hand; asks for the note unless one is given."""
        ids = self.selected_ids()
        if len(ids) != 2:
            self.error.emit(f"Select exactly two items to link them ({len(ids)} selected).")
            return False
        if note is None:
            found = {i["id"]: i for i in store.items_json(self.reader, ids)}
            if len(found) != 2:
                self.error.emit("One of the selected items is no longer in the case.")
                return False
            dialog = ManualLinkDialog(found[ids[0]], found[ids[1]], self)
            if dialog.exec() != ManualLinkDialog.DialogCode.Accepted:
                return False
            note = dialog.note()
        return self._push(ManualLinkCommand(self.case, ids[0], ids[1], note, self.apply_changes,
                                            self.error.emit))

    # -- writing ------------------------------------------------------------------------------

    def _push(self, command) -> bool:
        return push_command(self.undo_stack, command, self._writes_enabled, self.error.emit)

    def tag_selection(self, name: str, add: bool = True) -> bool:
        ids = self.selected_ids()
        if not ids:
            self.error.emit("Select one or more items first, then tag them.")
            return False
        return self._push(TagCommand(self.case, ids, name, add, self.apply_changes,
                                     self.error.emit))

    def toggle_quick_tag(self, number: int) -> bool:
        """Key ``number``: tag the selection; if every selected item has the tag, untag it."""
        if not 1 <= number <= len(self.quick_tags):
            return False
        name = self.quick_tags[number - 1]["name"]
        ids = self.selected_ids()
        have = views.item_tag_names(self.reader, ids)
        everyone = bool(ids) and all(name in have.get(i, set()) for i in ids)
        return self.tag_selection(name, add=not everyone)

    def add_note(self, text: str) -> bool:
        item = self.detail.item
        if item is None:
            return False
        return self._push(AddNoteCommand(self.case, item["id"], text, self.apply_changes,
                                         self.error.emit))

    def remove_note(self, note_id: int) -> bool:
        note = next((n for n in self.detail.notes if n.id == note_id), None)
        if note is None:
            return False
        return self._push(RemoveNoteCommand(self.case, note.id, note.item_id, note.text,
                                            self.apply_changes, self.error.emit))

    def set_detail(self, field_name: str, value: str | None) -> bool:
        item = self.detail.item
        if item is None:
            return False
        return self._push(ItemDetailCommand(self.case, item["id"], field_name, value,
                                            item.get(field_name), self.apply_changes,
                                            self.error.emit))

    def apply_changes(self, changes: ChangeSet) -> None:
        """Refresh what a write changed: its rows, the tag bar, the open item."""
        self.model.apply_changes(changes)
        self.facets.apply_changes(changes)
        if changes.tags:
            self.refresh_tags()
        if self.detail.item is not None and self.detail.item["id"] in changes.items:
            self.detail.reload()
        self.changed.emit(changes)

    # -- slots --------------------------------------------------------------------------------

    def _show_current_view(self) -> None:
        if self.model.rowCount() == 0:
            self.views.setCurrentWidget(self.empty_label)
        else:
            self.views.setCurrentWidget(self.current_view())

    def _apply_safe_view(self, on: bool) -> None:
        self.model.set_safe_view(on)
        self.detail.set_safe_view(on)

    @Slot(bool)
    def _on_safe_toggled(self, on: bool) -> None:
        self.settings.setValue(SAFE_VIEW_KEY, "true" if on else "false")
        self._apply_safe_view(on)

    @Slot(str)
    def _on_search_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def _on_search_return(self) -> None:
        self._search_timer.stop()
        self.run_search(self.search_edit.text())

    @Slot()
    def _on_search_timer_timeout(self) -> None:
        self.run_search(self.search_edit.text())

    @Slot()
    def _on_model_reset(self) -> None:
        self.detail.show_items([])

    @Slot()
    def _on_selection_changed(self) -> None:
        ids = self.selected_ids()
        current = self.selection.currentIndex()
        current_id = self.model.item_id(current.row()) if current.isValid() else None
        if current_id in ids:  # the item the analyst clicked last is the one shown
            ids.remove(current_id)
            ids.insert(0, current_id)
        self.detail.show_items(ids)

    @Slot(str)
    def _on_detail_tag_add(self, name: str) -> None:
        self.tag_selection(name, add=True)

    @Slot(str)
    def _on_detail_tag_remove(self, name: str) -> None:
        self.tag_selection(name, add=False)

    @Slot(str)
    def _on_detail_note_add(self, text: str) -> None:
        self.add_note(text)

    @Slot(int)
    def _on_detail_note_remove(self, note_id: int) -> None:
        self.remove_note(note_id)

    @Slot(str, object)
    def _on_detail_edit(self, field_name: str, value: object) -> None:
        self.set_detail(field_name, None if value is None else str(value))
