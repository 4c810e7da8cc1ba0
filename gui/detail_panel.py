"""The detail panel: one item's image (zoom and pan, photo regions outlined), its text and OCR
with selectors highlighted, where it came from, its tags, notes and links with their reasons.

The panel only reads (through the read connection it is given) and asks for changes through
signals; the workstation turns those into undoable commands.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from evidence import views
from evidence.case import Case
from evidence.store import items_json, tags
from gui.item_model import format_time, kind_label
from gui.thumbnails import PREVIEW_SIZE, ThumbnailLoader

DETAIL_FIELDS = (("author", "Page / account"), ("url", "URL"), ("posted_at", "Posted time"))
_REGION_PEN = QColor("#e0a030")
_MARK = "background-color:#fde68a; color:#111827;"


def highlight(text: str, needles: list[str]) -> str:
    """``text`` as escaped HTML with every occurrence of the needles marked."""
    spans: list[tuple[int, int]] = []
    for needle in sorted({n for n in needles if n}, key=len, reverse=True):
        start = text.find(needle)
        while start >= 0:
            end = start + len(needle)
            if all(end <= a or start >= b for a, b in spans):
                spans.append((start, end))
            start = text.find(needle, end)
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(html.escape(text[pos:start]))
        out.append(f'<span style="{_MARK}">{html.escape(text[start:end])}</span>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


class ImageView(QGraphicsView):
    """The item's picture: wheel to zoom, drag to pan, double-click to fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Item image")
        self.setScene(QGraphicsScene(self))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor("#2b2f36"))
        self._pixmap_item: QGraphicsPixmapItem | None = None
        self.region_items: list[QGraphicsRectItem] = []
        self.message = ""

    def clear(self, message: str = "") -> None:
        self.scene().clear()
        self._pixmap_item = None
        self.region_items = []
        self.message = message
        self.viewport().update()

    def show_pixmap(self, pixmap: QPixmap, original_width: int | None,
                    regions: list[views.Region]) -> None:
        self.clear()
        item = self.scene().addPixmap(pixmap)
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        # Scene units are the original's pixels, so regions (stored in those) need no scaling.
        if original_width and pixmap.width():
            item.setScale(original_width / pixmap.width())
        self._pixmap_item = item
        pen = QPen(_REGION_PEN, 0)
        pen.setCosmetic(True)
        pen.setWidth(3)
        for r in regions:
            rect = self.scene().addRect(QRectF(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0), pen)
            rect.setToolTip(f"Photo region ({r.kind})")
            self.region_items.append(rect)
        self.scene().setSceneRect(item.sceneBoundingRect())
        self.fit()

    def fit(self) -> None:
        if self._pixmap_item is not None:
            self.fitInView(self._pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.02 < scale < 40:
            self.scale(factor, factor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8)

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._pixmap_item is None and self.message:
            painter.save()
            painter.resetTransform()
            painter.setPen(QColor("#c8ccd4"))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            painter.restore()


class ItemDetailWidget(QWidget):
    """Everything about one item; empty until an item is selected."""

    tag_add_requested = Signal(str)
    tag_remove_requested = Signal(str)
    note_add_requested = Signal(str)
    note_remove_requested = Signal(int)
    detail_edit_requested = Signal(str, object)  # field, value (None clears)
    compare_link_requested = Signal(int)  # link id
    review_link_requested = Signal(int)  # link id

    def __init__(self, reader: Case, loader: ThumbnailLoader | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._loader = loader
        self.item: dict | None = None
        self.media: dict | None = None
        self.item_ids: list[int] = []
        self.notes: list[views.Note] = []
        self.links: list = []
        self._regions: list[views.Region] = []
        self.safe_view = False
        self._revealed: set[str] = set()
        self._build()
        self._connect()
        self.show_items([])

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Item details")
        self.heading = QLabel()
        self.heading.setObjectName("detailHeading")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.subheading = QLabel()
        self.subheading.setWordWrap(True)
        self.subheading.setStyleSheet("color: palette(placeholder-text);")

        self.image = ImageView()
        self.reveal_button = QPushButton("Show image")
        self.reveal_button.setToolTip("Safe view is on: images stay blurred until you open them")
        self.zoom_in = QPushButton("+")
        self.zoom_out = QPushButton("−")
        self.zoom_fit = QPushButton("Fit")
        for b in (self.zoom_in, self.zoom_out):
            b.setFixedWidth(32)
        self.zoom_in.setAccessibleName("Zoom in")
        self.zoom_out.setAccessibleName("Zoom out")
        image_bar = QHBoxLayout()
        image_bar.setContentsMargins(0, 0, 0, 0)
        self.image_caption = QLabel()
        self.image_caption.setStyleSheet("color: palette(placeholder-text);")
        image_bar.addWidget(self.image_caption, 1)
        image_bar.addWidget(self.reveal_button)
        image_bar.addWidget(self.zoom_out)
        image_bar.addWidget(self.zoom_in)
        image_bar.addWidget(self.zoom_fit)
        image_box = QWidget()
        image_layout = QVBoxLayout(image_box)
        image_layout.setContentsMargins(0, 0, 0, 0)
        image_layout.addWidget(self.image, 1)
        image_layout.addLayout(image_bar)

        # Tags: chips of what the item carries, and a field that creates a tag on the fly.
        self.tag_chips = QLabel()
        self.tag_chips.setTextFormat(Qt.TextFormat.RichText)
        self.tag_chips.setAccessibleName("Tags on this item")
        self.tag_chips.setWordWrap(True)
        self.tag_chips.linkActivated.connect(self._on_tag_chip_activated)
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText("Add a tag… (Enter)")
        self.tag_edit.setAccessibleName("New tag")
        self.tag_edit.setClearButtonEnabled(True)
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.tag_chips, 1)
        tag_row.addWidget(self.tag_edit)

        self.text_view = QTextBrowser()
        self.text_view.setAccessibleName("Post text and text read from the image")
        self.text_view.setOpenLinks(False)
        self.facts_view = QTextBrowser()
        self.facts_view.setAccessibleName("Where the item came from")
        self.facts_view.setOpenLinks(False)
        self.detail_edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key, label in DETAIL_FIELDS:
            edit = QLineEdit()
            edit.setAccessibleName(label)
            edit.setPlaceholderText("as read off the screenshot")
            self.detail_edits[key] = edit
            form.addRow(label, edit)
        self.detail_edits["posted_at"].setPlaceholderText("e.g. 2026-03-14T10:22:00Z")
        self.save_details_button = QPushButton("Save details")
        form.addRow("", self.save_details_button)
        self.details_box = QWidget()
        self.details_box.setLayout(form)
        facts = QWidget()
        facts_layout = QVBoxLayout(facts)
        facts_layout.setContentsMargins(0, 0, 0, 0)
        self.details_title = QLabel("Entered by an analyst (screenshots)")
        self.details_title.setStyleSheet("font-weight: 600;")
        facts_layout.addWidget(self.details_title)
        facts_layout.addWidget(self.details_box)
        facts_layout.addWidget(self.facts_view, 1)

        self.notes_list = QListWidget()
        self.notes_list.setAccessibleName("Notes")
        self.notes_list.setWordWrap(True)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Write a note… (Enter)")
        self.note_edit.setAccessibleName("New note")
        self.remove_note_button = QPushButton("Remove note")
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addWidget(self.notes_list, 1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.remove_note_button)
        notes_layout.addLayout(note_row)

        self.links_list = QListWidget()
        self.links_list.setAccessibleName("Links to other evidence")
        self.links_list.setWordWrap(True)
        self.links_list.setToolTip("Double-click or press Enter to compare the linked items")
        self.compare_link_button = QPushButton("Compare")
        self.compare_link_button.setToolTip("Open the selected link side by side")
        self.review_link_button = QPushButton("Review…")
        self.review_link_button.setToolTip("Decide this link in the link review")
        links = QWidget()
        links_layout = QVBoxLayout(links)
        links_layout.setContentsMargins(0, 0, 0, 0)
        links_layout.addWidget(self.links_list, 1)
        link_row = QHBoxLayout()
        link_row.addStretch(1)
        link_row.addWidget(self.review_link_button)
        link_row.addWidget(self.compare_link_button)
        links_layout.addLayout(link_row)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.text_view, "Text")
        self.tabs.addTab(facts, "Source")
        self.tabs.addTab(notes, "Notes")
        self.tabs.addTab(links, "Links")

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(tag_row)
        lower_layout.addWidget(self.tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(image_box)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([460, 340])

        self.empty_label = QLabel("Select an item to see its image, text, source and links.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: palette(placeholder-text);")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.subheading)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty_label, 1)

    def _connect(self) -> None:
        self.zoom_in.clicked.connect(lambda: self.image.zoom(1.25))
        self.zoom_out.clicked.connect(lambda: self.image.zoom(0.8))
        self.zoom_fit.clicked.connect(self.image.fit)
        self.reveal_button.clicked.connect(self._on_reveal_clicked)
        self.tag_edit.returnPressed.connect(self._on_tag_edit_return)
        self.note_edit.returnPressed.connect(self._on_note_edit_return)
        self.remove_note_button.clicked.connect(self._on_remove_note_clicked)
        self.save_details_button.clicked.connect(self._on_save_details_clicked)
        self.links_list.itemActivated.connect(self._on_link_activated)
        self.links_list.currentRowChanged.connect(self._on_link_row_changed)
        self.compare_link_button.clicked.connect(self._on_compare_link_clicked)
        self.review_link_button.clicked.connect(self._on_review_link_clicked)
        if self._loader is not None:
            self._loader.ready.connect(self._on_loader_ready)

    # -- showing ------------------------------------------------------------------------------

    def set_writable(self, on: bool) -> None:
        for w in (self.tag_edit, self.note_edit, self.remove_note_button,
                  self.save_details_button, *self.detail_edits.values()):
            w.setEnabled(on)

    def set_safe_view(self, on: bool) -> None:
        self.safe_view = on
        self._revealed.clear()
        self._show_image()

    def show_items(self, ids: list[int]) -> None:
        """Show the first selected item; with several selected, say so (tags apply to all)."""
        self.item_ids = list(ids)
        has_item = bool(ids)
        self.splitter.setVisible(has_item)
        self.empty_label.setVisible(not has_item)
        if not has_item:
            self.item = None
            self.media = None
            self.heading.setText("No item selected")
            self.subheading.setText("")
            return
        found = items_json(self._reader, [ids[0]])
        self.item = found[0] if found else None
        if self.item is None:
            self.heading.setText(f"Item {ids[0]} is no longer in the case")
            return
        self._fill()

    def reload(self) -> None:
        self.show_items(self.item_ids)

    def _fill(self) -> None:
        item = self.item
        assert item is not None
        more = len(self.item_ids) - 1
        first_name = item["media"][0]["original_name"] if item["media"] else None
        title = item["author"] or first_name or kind_label(item["kind"])
        self.heading.setText(f"{title}")
        bits = [f"{kind_label(item['kind'])} · item {item['id']}"]
        if item["posted_at"]:
            bits.append(f"posted {format_time(item['posted_at'])}")
        elif item["captured_at"]:
            bits.append(f"captured {format_time(item['captured_at'])}")
        if more:
            bits.append(f"{more} more selected: tags apply to all {more + 1}")
        self.subheading.setText(" · ".join(bits))
        self.media = item["media"][0] if item["media"] else None
        self._regions = views.regions(self._reader, self.media["sha256"]) if self.media else []
        self._show_image()
        self._fill_tags()
        self._fill_text()
        self._fill_facts()
        self.notes = views.item_notes(self._reader, item["id"])
        self._fill_notes()
        self.links = views.item_links(self._reader, item["id"])
        self._fill_links()

    def _show_image(self) -> None:
        media = self.media if self.item else None
        self.reveal_button.setVisible(False)
        if media is None:
            self.image.clear("This item has no image.")
            self.image_caption.setText("")
            return
        dims = f"{media['width']} × {media['height']}" if media.get("width") else ""
        self.image_caption.setText(" · ".join(p for p in (media["original_name"], dims) if p))
        if not media["readable"]:
            reason = media.get("unreadable_reason") or "the file could not be read"
            self.image.clear(f"This file cannot be shown: {reason}")
            return
        if self._loader is None:
            self.image.clear("")
            return
        blurred = self.safe_view and media["sha256"] not in self._revealed
        self.reveal_button.setVisible(blurred)
        pixmap = self._loader.pixmap(media["sha256"], PREVIEW_SIZE, blurred)
        if pixmap is None:
            failure = self._loader.failure(media["sha256"])
            self.image.clear(f"This file cannot be shown: {failure}" if failure else "Loading…")
            return
        self.image.show_pixmap(pixmap, media.get("width"), self._regions)

    def _fill_tags(self) -> None:
        assert self.item is not None
        colours = _tag_colours(self._reader)
        chips = []
        for name in self.item["tags"]:
            colour = colours.get(name, "#5b8def")
            chips.append(
                f'<a href="{html.escape(name, quote=True)}" style="text-decoration:none;'
                f'color:#ffffff;background-color:{colour};">&nbsp;{html.escape(name)} ✕&nbsp;</a>'
            )
        self.tag_chips.setText(" ".join(chips) if chips else
                               '<span style="color:#6b7280;">No tags yet</span>')
        self.tag_chips.setToolTip("Click a tag to take it off this item" if chips else "")

    def _fill_text(self) -> None:
        item = self.item
        assert item is not None
        shown = [s["shown"] for s in item["selectors"]]
        parts = []
        for title, text in (("Post text", item["text"]), ("Text in the image", item["text_in_image"]),
                            ("Text read from the image (OCR)", item["ocr_text"])):
            if text:
                parts.append(f"<h4>{title}</h4><p dir='auto'>{highlight(text, shown)}</p>")
        if item["selectors"]:
            rows = "".join(
                f"<tr><td>{html.escape(s['kind'])}</td><td><b>{html.escape(s['value'])}</b></td>"
                f"<td>{html.escape(s['shown'])}</td><td>{html.escape(s['found_in'])}</td></tr>"
                for s in item["selectors"]
            )
            parts.append("<h4>Found in the text</h4><table cellpadding='3'>"
                         "<tr><th align='left'>Kind</th><th align='left'>Value</th>"
                         "<th align='left'>As shown</th><th align='left'>Where</th></tr>"
                         f"{rows}</table>")
        if not parts:
            parts.append("<p style='color:#6b7280;'>No text yet. Text is read from images when "
                         "the case is analysed.</p>")
        self.text_view.setHtml("".join(parts))

    def _fill_facts(self) -> None:
        item = self.item
        assert item is not None
        is_screenshot = item["kind"] == "screenshot"
        self.details_title.setVisible(is_screenshot)
        self.details_box.setVisible(is_screenshot)
        for key, edit in self.detail_edits.items():
            edit.setText(item.get(key) or "")
        entered = set(item["analyst_entered"])

        def row(label: str, value: object, note: str = "") -> str:
            if value in (None, ""):
                return ""
            extra = f" <span style='color:#6b7280;'>({html.escape(note)})</span>" if note else ""
            return f"<tr><td valign='top'><b>{label}</b></td><td>{html.escape(str(value))}{extra}</td></tr>"

        rows = [
            row("Page / author", item["author"], "entered by an analyst" if "author" in entered
                else ""),
            row("URL", item["url"], "entered by an analyst" if "url" in entered else ""),
            row("Posted", item["posted_at"], "entered by an analyst" if "posted_at" in entered
                else (f"as given: {item['posted_at_original']}"
                      if item.get("posted_at_original") else "")),
            row("Captured", item["captured_at"], f"from {item['captured_at_source']}"
                if item.get("captured_at_source") else ""),
            row("Language", item.get("language")),
            row("Import", f"#{item['source_id']}"),
        ]
        for media in item["media"]:
            dims = f"{media['width']} × {media['height']} px" if media.get("width") else None
            rows += [
                row("Original name", media["original_name"]),
                row("SHA-256", media["sha256"]),
                row("Type", media.get("mime")),
                row("Dimensions", dims),
                row("Size", f"{media['size']:,} bytes" if media.get("size") else None),
            ]
            if not media["readable"]:
                rows.append(row("Unreadable", media.get("unreadable_reason") or "yes"))
        sightings = "".join(
            f"<li>import #{s['source_id']} ({html.escape(s['source_kind'])}): "
            f"{html.escape(s['path'])}</li>"
            for s in item["sightings"]
        )
        body = "<table cellpadding='3'>" + "".join(rows) + "</table>"
        if sightings:
            body += f"<h4>Seen {len(item['sightings'])} time(s)</h4><ul>{sightings}</ul>"
        self.facts_view.setHtml(body)

    def _fill_notes(self) -> None:
        self.notes_list.clear()
        for note in self.notes:
            entry = QListWidgetItem(f"{note.text}\n— {note.actor}, {format_time(note.at)}")
            entry.setData(Qt.ItemDataRole.UserRole, note.id)
            self.notes_list.addItem(entry)
        self.tabs.setTabText(2, f"Notes ({len(self.notes)})" if self.notes else "Notes")

    def _fill_links(self) -> None:
        item = self.item
        assert item is not None
        self.tabs.setTabText(3, f"Links ({len(self.links)})" if self.links else "Links")
        self.links_list.clear()
        if not self.links:
            entry = QListWidgetItem("No links to other evidence yet. Links are found when the "
                                    "case is analysed.")
            entry.setFlags(Qt.ItemFlag.NoItemFlags)
            self.links_list.addItem(entry)
            self._on_link_row_changed(-1)
            return
        for link in self.links:
            score = f"{link.score:.2f}" if link.score is not None else "–"
            band = f" ({link.band})" if link.band else ""
            entry = QListWidgetItem(f"{link.kind} link #{link.id} · strength {score}{band} · "
                                    f"{link.status}\n{link.why}")
            entry.setToolTip(link.why)
            self.links_list.addItem(entry)
        self.links_list.setCurrentRow(0)

    def current_link_id(self) -> int | None:
        # Read from self.links, not the entry's data(): in PySide6 6.12 on Python 3.11 turning
        # an empty QVariant into None drops a reference to None each time (see the report).
        row = self.links_list.currentRow()
        return self.links[row].id if self.links and 0 <= row < len(self.links) else None

    # -- slots --------------------------------------------------------------------------------

    @Slot(str, int, bool)
    def _on_loader_ready(self, sha256: str, size: int, blurred: bool) -> None:
        media = self.media if self.item else None
        if size == PREVIEW_SIZE and media is not None and media["sha256"] == sha256:
            self._show_image()

    @Slot(QListWidgetItem)
    def _on_link_activated(self, entry: QListWidgetItem) -> None:
        row = self.links_list.row(entry)
        if self.links and 0 <= row < len(self.links):
            self.compare_link_requested.emit(self.links[row].id)

    @Slot(int)
    def _on_link_row_changed(self, _row: int) -> None:
        has_link = self.current_link_id() is not None
        self.compare_link_button.setEnabled(has_link)
        self.review_link_button.setEnabled(has_link)

    @Slot()
    def _on_compare_link_clicked(self) -> None:
        link_id = self.current_link_id()
        if link_id is not None:
            self.compare_link_requested.emit(link_id)

    @Slot()
    def _on_review_link_clicked(self) -> None:
        link_id = self.current_link_id()
        if link_id is not None:
            self.review_link_requested.emit(link_id)

    @Slot()
    def _on_reveal_clicked(self) -> None:
        media = self.media
        if media is not None:
            self._revealed.add(media["sha256"])
            self._show_image()

    @Slot(str)
    def _on_tag_chip_activated(self, name: str) -> None:
        self.tag_remove_requested.emit(html.unescape(name))

    @Slot()
    def _on_tag_edit_return(self) -> None:
        name = self.tag_edit.text().strip()
        if name:
            self.tag_edit.clear()
            self.tag_add_requested.emit(name)

    @Slot()
    def _on_note_edit_return(self) -> None:
        text = self.note_edit.text().strip()
        if text:
            self.note_edit.clear()
            self.note_add_requested.emit(text)

    @Slot()
    def _on_remove_note_clicked(self) -> None:
        current = self.notes_list.currentItem()
        if current is not None:
            self.note_remove_requested.emit(int(current.data(Qt.ItemDataRole.UserRole)))

    @Slot()
    def _on_save_details_clicked(self) -> None:
        if self.item is None:
            return
        for key, edit in self.detail_edits.items():
            value = edit.text().strip() or None
            if value != (self.item.get(key) or None):
                self.detail_edit_requested.emit(key, value)


def _tag_colours(reader: Case) -> dict[str, str]:
    return {t["name"]: t["color"] for t in tags(reader)}
