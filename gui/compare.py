"""The compare view: two to four items side by side, or one link's two ends, with synchronised
zoom and pan, overlay, blink and difference modes, and region-to-region alignment.

``CompareWidget`` reads through the read-only connection it is given. Pixels never touch the GUI
thread: ``prepare_images`` (Pillow) and ``difference_image`` (numpy) run through
``gui.workers``; only the ``QPixmap`` is made here. Beside each image the widget shows where the
item came from and its text with shared numbers and words marked; a word diff of the first two
texts and the link's reason, in words and numbers, sit alongside.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shiboken6
from PIL import Image, ImageOps
from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
    QShortcut,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from analysis import linking
from evidence import views
from evidence.case import Case
from evidence.store import Link, items_json
from gui import workers
from gui.item_model import format_time, kind_label

MODES = ("side", "overlay", "blink", "difference")
MODE_LABELS = {"side": "Side by side", "overlay": "Overlay", "blink": "Blink",
               "difference": "Difference"}
MAX_ITEMS = 4
MAX_SIDE = 1600  # display images are scaled down to this; the originals stay in the vault
BLINK_MS = 650
SIDE_COLOURS = ("#e0a030", "#3fa7b5", "#9b6ad6", "#46a37a")
_PHONE_MARK = "background-color:#fde68a; color:#111827;"
_WORD_MARK = "background-color:#dbeafe; color:#111827;"
_WORD = re.compile(r"\w{4,}", re.UNICODE)
_MUTED = "color:#6b7280;"


# -- pixel work (runs on a worker thread) -------------------------------------------------------


@dataclass
class PreparedImages:
    """Display images for each side, in one shared scene scale, and the aligned pair for diff."""

    images: list[QImage | None]
    scales: list[float]  # scene units per original pixel, per side
    errors: list[str]
    aligned: list[np.ndarray] = field(default_factory=list)  # first two, same shape, RGB
    region: bool = False
    reference_scale: float = 1.0  # scene units per original pixel of the first image


def _to_qimage(img: Image.Image) -> QImage:
    rgb = np.ascontiguousarray(np.asarray(img.convert("RGB")))
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def prepare_images(paths: list[Path | None], boxes: list[tuple[int, int, int, int] | None],
                   region: bool, *, progress: object = None,
                   cancel: object = None) -> PreparedImages:
    """Open each original, crop it to its matched region when ``region`` is set, and scale every
    side to the first one's width (region crops: to the first crop's exact size)."""
    loaded: list[Image.Image | None] = []
    errors: list[str] = []
    for path, box in zip(paths, boxes, strict=True):
        if cancel is not None:
            cancel.check()
        if path is None:
            loaded.append(None)
            errors.append("This item has no image.")
            continue
        try:
            with Image.open(path) as opened:
                img = ImageOps.exif_transpose(opened).convert("RGB")
            if region and box is not None:
                x0, y0, x1, y1 = (int(v) for v in box)
                x0, y0 = max(0, x0), max(0, y0)
                x1, y1 = min(img.width, x1), min(img.height, y1)
                if x1 - x0 < 2 or y1 - y0 < 2:
                    raise ValueError("its matched region lies outside the picture")
                img = img.crop((x0, y0, x1, y1))
            loaded.append(img)
            errors.append("")
        except Exception as exc:  # a damaged file is reported beside its image, not raised
            loaded.append(None)
            errors.append(f"This image cannot be shown: {workers.error_message(exc)}")
    first = next((img for img in loaded if img is not None), None)
    if first is None:
        return PreparedImages([None] * len(paths), [1.0] * len(paths), errors, region=region)
    shrink = min(1.0, MAX_SIDE / max(first.size))
    ref_w, ref_h = max(1, round(first.width * shrink)), max(1, round(first.height * shrink))
    images: list[QImage | None] = []
    scales: list[float] = []
    shown: list[Image.Image | None] = []
    for img in loaded:
        if img is None:
            images.append(None)
            scales.append(1.0)
            shown.append(None)
            continue
        if region:
            size = (ref_w, ref_h)
        else:
            size = (ref_w, max(1, round(img.height * ref_w / img.width)))
        scaled = img if img.size == size else img.resize(size, Image.Resampling.LANCZOS)
        shown.append(scaled)
        images.append(_to_qimage(scaled))
        scales.append(ref_w / img.width)
    aligned = []
    pair = [img for img in shown[:2] if img is not None]
    if len(pair) == 2:
        a, b = pair
        b = b if b.size == a.size else b.resize(a.size, Image.Resampling.LANCZOS)
        aligned = [np.asarray(a), np.asarray(b)]
    return PreparedImages(images, scales, errors, aligned, region, scales[loaded.index(first)])


@dataclass
class Difference:
    image: QImage
    changed_share: float  # share of pixels whose largest channel difference exceeds 32 of 255
    mean: float  # mean absolute difference, 0-255


def difference_image(a: np.ndarray, b: np.ndarray, *, progress: object = None,
                     cancel: object = None) -> Difference:
    """Where two aligned images differ: the first image dimmed to grey, differences in amber."""
    if a.shape != b.shape:
        raise ValueError("The two images are not aligned (different sizes).")
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2).astype(np.float32)
    grey = a.astype(np.float32).mean(axis=2) * 0.3
    heat = np.clip(diff * 2.0, 0, 255)
    out = np.stack([grey + heat, grey + heat * 0.62, grey + heat * 0.12], axis=2)
    out = np.clip(out, 0, 255).astype(np.uint8)
    return Difference(_to_qimage(Image.fromarray(out, "RGB")), float((diff > 32).mean()),
                      float(diff.mean()))


# -- text ------------------------------------------------------------------------------------------


def mark_text(text: str, exact: list[str], words: set[str]) -> str:
    """Escaped HTML of ``text`` with the exact strings (numbers) and shared words marked."""
    parts = [re.escape(s) for s in sorted({s for s in exact if s}, key=len, reverse=True)]
    if words:
        parts.append(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len,
                                                                      reverse=True)) + r")\b")
    if not parts:
        return html.escape(text).replace("\n", "<br>")
    pattern = re.compile("|".join(parts), re.IGNORECASE | re.UNICODE)
    exact_set = set(exact)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        style = _PHONE_MARK if m.group(0) in exact_set else _WORD_MARK
        out.append(f'<span style="{style}">{html.escape(m.group(0))}</span>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def item_text(item: dict) -> str:
    return "\n".join(t for t in (item.get("text"), item.get("text_in_image"),
                                 item.get("ocr_text")) if t)


def shared_words(texts: list[str]) -> set[str]:
    """Words of four letters or more found in at least two of the texts (lower case)."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in {w.lower() for w in _WORD.findall(text)}:
            counts[word] = counts.get(word, 0) + 1
    return {w for w, n in counts.items() if n >= 2 and not w.isdigit()}


def text_diff_html(a: str, b: str) -> tuple[str, float]:
    """A word-level diff of two texts as HTML, and the share of words in common (0-1)."""
    wa, wb = a.split(), b.split()
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    out = []
    for op, i0, i1, j0, j1 in matcher.get_opcodes():
        if op == "equal":
            out.append(html.escape(" ".join(wa[i0:i1])))
            continue
        if op in ("delete", "replace"):
            out.append('<span style="background-color:#fde2e2; color:#991b1b;'
                       f' text-decoration:line-through;">{html.escape(" ".join(wa[i0:i1]))}</span>')
        if op in ("insert", "replace"):
            out.append('<span style="background-color:#dcfce7; color:#166534;">'
                       f'{html.escape(" ".join(wb[j0:j1]))}</span>')
    return " ".join(out), matcher.ratio()


def link_reason_html(link: Link) -> str:
    """The link's why in words and numbers: kind, band, score, distances, shared values."""
    d = link.details or {}
    score = f"{link.score:.2f}" if link.score is not None else "–"
    head = (f"<b>{html.escape(link.kind.capitalize())} link #{link.id}</b> · "
            f"{html.escape(link.band or 'no band')} · score {score} · "
            f"status <b>{html.escape(link.status)}</b>")
    numbers = []
    if "pdq" in d:
        numbers.append(f"PDQ distance {d['pdq']} of 256")
    if "phash" in d:
        numbers.append(f"pHash distance {d['phash']} of 64")
    if "transformed" in d:
        numbers.append("mirrored or rotated copy" if d["transformed"] else "same orientation")
    for sha, region in (d.get("regions") or {}).items():
        box = region.get("box")
        if box:
            numbers.append(f"{html.escape(str(region.get('kind', 'region')))} region "
                           f"{'×'.join(str(v) for v in (box[2] - box[0], box[3] - box[1]))} px in "
                           f"{html.escape(sha[:10])}…")
    if "similarity" in d:
        numbers.append(f"text similarity {d['similarity']:.2f}"
                       + (f" (threshold {d['threshold']:.2f})" if "threshold" in d else ""))
    if d.get("values"):
        numbers.append("shared: " + ", ".join(html.escape(str(v)) for v in d["values"]))
    lines = [head, html.escape(link.why)]
    if numbers:
        lines.append(f"<span style='{_MUTED}'>" + " · ".join(numbers) + "</span>")
    if (held := linking.held_back(link)) is not None:
        lines.append(f"<i>{html.escape(held)}</i>")
    if link.decided_by and link.status != "auto":
        note = f": {html.escape(link.decision_note)}" if link.decision_note else ""
        lines.append(f"<span style='{_MUTED}'>Decided by {html.escape(link.decided_by)} "
                     f"{html.escape(format_time(link.decided_at))}{note}</span>")
    return "<br>".join(lines)


# -- the compare sides ------------------------------------------------------------------------------


@dataclass
class CompareSide:
    """One column: the item shown, its media, and the matched region (original pixels)."""

    item: dict
    media: dict | None
    box: tuple[int, int, int, int] | None = None
    region_kind: str = ""
    others: int = 0  # other items that show the same picture

    @property
    def title(self) -> str:
        media_name = self.media["original_name"] if self.media else None
        return self.item.get("author") or media_name or kind_label(self.item["kind"])


class CompareImageView(QGraphicsView):
    """One picture of the comparison; wheel and drag are shared with the other views."""

    zoomed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setScene(QGraphicsScene(self))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor("#2b2f36"))
        self.setMinimumSize(160, 160)
        self.message = ""
        self.layers: list[QGraphicsPixmapItem] = []

    def clear(self, message: str = "") -> None:
        self.scene().clear()
        self.layers = []
        self.message = message
        self.viewport().update()

    def add_layer(self, pixmap: QPixmap) -> QGraphicsPixmapItem:
        self.message = ""
        item = self.scene().addPixmap(pixmap)
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.layers.append(item)
        self.scene().setSceneRect(self.scene().itemsBoundingRect())
        return item

    def outline(self, rect: QRectF, colour: str, tip: str) -> None:
        pen = QPen(QColor(colour), 3)
        pen.setCosmetic(True)
        self.scene().addRect(rect, pen).setToolTip(tip)

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        scale = self.transform().m11() * factor
        if 0.02 < scale < 40:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
            self.scale(factor, factor)
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
            self.zoomed.emit()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if not self.layers and self.message:
            painter.save()
            painter.resetTransform()
            painter.setPen(QColor("#c8ccd4"))
            painter.drawText(self.viewport().rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.message)
            painter.restore()


class CompareWidget(QWidget):
    """Linked evidence side by side; usable in a dialog (``CompareDialog``) or a page."""

    images_ready = Signal()
    difference_ready = Signal()

    def __init__(self, reader: Case, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self.link: Link | None = None
        self.sides: list[CompareSide] = []
        self.mode = "side"
        self.region_mode = False
        self.prepared: PreparedImages | None = None
        self.difference: Difference | None = None
        self.blink_showing_second = False
        self._generation = 0
        self._syncing = False
        self._jobs: list[workers.BackgroundJob] = []
        self._pixmaps: list[QPixmap | None] = []
        self.diff_ratio = 0.0
        self._build()
        self._connect()
        self._show_empty()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Compare linked evidence")
        self.mode_buttons = QButtonGroup(self)
        self.mode_buttons.setExclusive(True)
        bar = QHBoxLayout()
        bar.setSpacing(4)
        self.mode_button: dict[str, QToolButton] = {}
        for mode in MODES:
            button = QToolButton()
            button.setText(MODE_LABELS[mode])
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.mode_buttons.addButton(button)
            self.mode_button[mode] = button
            bar.addWidget(button)
        self.mode_button["side"].setChecked(True)
        self.mode_button["overlay"].setToolTip("The second picture over the first; the slider "
                                               "sets how much of it shows")
        self.mode_button["blink"].setToolTip("Switch between the first two pictures")
        self.mode_button["difference"].setToolTip("Where the first two pictures differ (amber)")
        bar.addSpacing(10)
        self.opacity_label = QLabel("Opacity")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(50)
        self.opacity_slider.setFixedWidth(140)
        self.opacity_slider.setAccessibleName("Overlay opacity")
        bar.addWidget(self.opacity_label)
        bar.addWidget(self.opacity_slider)
        self.region_check = QCheckBox("Region to region")
        self.region_check.setToolTip("Crop each picture to its matched photo region and scale "
                                     "them to the same size")
        bar.addSpacing(10)
        bar.addWidget(self.region_check)
        bar.addStretch(1)
        self.status_label = QLabel()
        self.status_label.setStyleSheet(_MUTED)
        bar.addWidget(self.status_label)
        self.zoom_out_button = QToolButton()
        self.zoom_out_button.setText("−")
        self.zoom_out_button.setAccessibleName("Zoom out")
        self.zoom_in_button = QToolButton()
        self.zoom_in_button.setText("+")
        self.zoom_in_button.setAccessibleName("Zoom in")
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.actual_button = QToolButton()
        self.actual_button.setText("1:1")
        self.actual_button.setToolTip("Show the first picture at its own pixel size (1)")
        self.fit_button.setToolTip("Fit the pictures in their views (0)")
        for b in (self.zoom_out_button, self.zoom_in_button, self.fit_button, self.actual_button):
            bar.addWidget(b)

        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextFormat(Qt.TextFormat.RichText)
        self.reason_label.setAccessibleName("Why these items are linked")
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason_label.setStyleSheet("QLabel { background: palette(alternate-base);"
                                        " border-radius: 6px; padding: 6px 8px; }")

        # Images: a row of views (side by side) or one stage (overlay, blink, difference).
        self.views: list[CompareImageView] = []
        self.titles: list[QLabel] = []
        self.info_views: list[QTextBrowser] = []
        self.image_row = QWidget()
        self.image_row_layout = QHBoxLayout(self.image_row)
        self.image_row_layout.setContentsMargins(0, 0, 0, 0)
        self.info_row = QWidget()
        self.info_row_layout = QHBoxLayout(self.info_row)
        self.info_row_layout.setContentsMargins(0, 0, 0, 0)
        for n in range(MAX_ITEMS):
            column = QWidget()
            col_layout = QVBoxLayout(column)
            col_layout.setContentsMargins(0, 0, 0, 0)
            col_layout.setSpacing(2)
            title = QLabel()
            title.setStyleSheet(f"font-weight: 600; border-bottom: 3px solid {SIDE_COLOURS[n]};"
                                " padding-bottom: 2px;")
            view = CompareImageView(f"Picture {n + 1}")
            col_layout.addWidget(title)
            col_layout.addWidget(view, 1)
            self.image_row_layout.addWidget(column, 1)
            self.titles.append(title)
            self.views.append(view)
            info = QTextBrowser()
            info.setOpenLinks(False)
            info.setAccessibleName(f"About item {n + 1}")
            self.info_row_layout.addWidget(info, 1)
            self.info_views.append(info)
        self.stage = CompareImageView("Overlay, blink or difference")
        self.stage_title = QLabel()
        self.stage_title.setStyleSheet("font-weight: 600;")
        stage_box = QWidget()
        stage_layout = QVBoxLayout(stage_box)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        stage_layout.setSpacing(2)
        stage_layout.addWidget(self.stage_title)
        stage_layout.addWidget(self.stage, 1)
        self.image_stack = QStackedWidget()
        self.image_stack.addWidget(self.image_row)
        self.image_stack.addWidget(stage_box)

        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.addWidget(self.image_stack)
        self.left_splitter.addWidget(self.info_row)
        self.left_splitter.setStretchFactor(0, 3)
        self.left_splitter.setStretchFactor(1, 2)
        self.left_splitter.setSizes([480, 300])

        self.diff_title = QLabel("Text differences")
        self.diff_title.setStyleSheet("font-weight: 600;")
        self.diff_view = QTextBrowser()
        self.diff_view.setAccessibleName("Differences between the first two texts")
        self.diff_view.setOpenLinks(False)
        diff_box = QWidget()
        diff_layout = QVBoxLayout(diff_box)
        diff_layout.setContentsMargins(0, 0, 0, 0)
        diff_layout.addWidget(self.diff_title)
        diff_layout.addWidget(self.diff_view, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.left_splitter)
        self.splitter.addWidget(diff_box)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([900, 300])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.splitter, 1)

        self.blink_timer = QTimer(self)
        self.blink_timer.setInterval(BLINK_MS)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.shortcuts: list[QShortcut] = []
        for keys, slot in ((("+", "="), self.zoom_in), (("-",), self.zoom_out),
                           (("0",), self.fit), (("1",), self.actual_size)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(context)
                shortcut.activated.connect(slot)
                self.shortcuts.append(shortcut)

    def _connect(self) -> None:
        self.mode_buttons.buttonClicked.connect(self._on_mode_button_clicked)
        self.opacity_slider.valueChanged.connect(self._on_opacity_changed)
        self.region_check.toggled.connect(self._on_region_toggled)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.fit_button.clicked.connect(self.fit)
        self.actual_button.clicked.connect(self.actual_size)
        self.blink_timer.timeout.connect(self._on_blink_timeout)
        for view in [*self.views, self.stage]:
            view.zoomed.connect(lambda v=view: self._sync_from(v))
            view.horizontalScrollBar().valueChanged.connect(lambda _v, v=view: self._sync_from(v))
            view.verticalScrollBar().valueChanged.connect(lambda _v, v=view: self._sync_from(v))

    # -- what to compare ------------------------------------------------------------------------

    def show_link(self, link: Link) -> bool:
        """Compare the two ends of a link; False (and a message) if neither end has an item."""
        a_items, b_items = views.link_item_pair(self._reader, link)
        if not a_items or not b_items:
            self._show_empty("One end of this link is no longer in the case.")
            self.link = link
            self.reason_label.setText(link_reason_html(link))
            return False
        regions = (link.details or {}).get("regions") or {}
        sides = []
        for end, items in ((link.a, a_items), (link.b, b_items)):
            found = items_json(self._reader, [items[0]])
            if not found:
                continue
            item = found[0]
            media = self._media_for(item, end if link.kind == "image" else None)
            region = regions.get(end) or {}
            box = region.get("box")
            sides.append(CompareSide(item, media, tuple(box) if box and len(box) == 4 else None,
                                     str(region.get("kind") or ""), len(items) - 1))
        self.link = link
        self._set_sides(sides)
        return len(sides) == 2

    def show_items(self, ids: list[int]) -> bool:
        """Compare two to four items with no particular link; False if fewer than two exist."""
        found = {i["id"]: i for i in items_json(self._reader, list(ids)[:MAX_ITEMS])}
        sides = [CompareSide(found[i], self._media_for(found[i], None))
                 for i in list(ids)[:MAX_ITEMS] if i in found]
        self.link = None
        if len(sides) < 2:
            self._show_empty("Select two to four items to compare them.")
            return False
        self._set_sides(sides)
        return True

    @staticmethod
    def _media_for(item: dict, sha: str | None) -> dict | None:
        media = item.get("media") or []
        if sha is not None:
            for m in media:
                if m["sha256"] == sha:
                    return m
        return media[0] if media else None

    def _set_sides(self, sides: list[CompareSide]) -> None:
        self.sides = sides
        can_region = len(sides) >= 2 and all(s.box is not None for s in sides[:2])
        self.region_check.blockSignals(True)
        self.region_check.setEnabled(can_region)
        if not can_region:
            self.region_check.setChecked(False)
        self.region_check.blockSignals(False)
        self.region_mode = self.region_check.isChecked() and can_region
        self.region_check.setToolTip(
            "Crop each picture to its matched photo region and scale them to the same size"
            if can_region else "Only for image links with a matched region in both pictures")
        for button in (self.mode_button["overlay"], self.mode_button["blink"],
                       self.mode_button["difference"]):
            button.setEnabled(len(sides) >= 2)
        for n, (title, info) in enumerate(zip(self.titles, self.info_views, strict=True)):
            shown = n < len(sides)
            title.parentWidget().setVisible(shown)
            info.setVisible(shown)
            if shown:
                side = sides[n]
                more = f" · also in {side.others} other item(s)" if side.others else ""
                title.setText(f"{chr(65 + n)} · {side.title} · item {side.item['id']}{more}")
                title.setToolTip(side.title)
        self._fill_texts()
        if self.link is not None:
            self.reason_label.setText(link_reason_html(self.link))
        else:
            self.reason_label.setText(
                f"<b>Comparing {len(sides)} selected items</b> · no link between them is "
                "implied; use Link Items… to record one with a note.")
        self._load_images()

    def _show_empty(self, message: str = "Open a link or select items to compare.") -> None:
        self.sides = []
        self.prepared = None
        self.difference = None
        self.blink_timer.stop()
        for n, view in enumerate(self.views):
            view.clear(message if n == 0 else "")
            self.titles[n].parentWidget().setVisible(n == 0)
            self.titles[n].setText("")
            self.info_views[n].setVisible(n == 0)
            self.info_views[n].clear()
        self.stage.clear(message)
        self.diff_view.clear()
        self.reason_label.setText(html.escape(message))
        self.status_label.setText("")

    # -- text -----------------------------------------------------------------------------------

    def _fill_texts(self) -> None:
        texts = [item_text(s.item) for s in self.sides]
        words = shared_words(texts)
        values: dict[str, int] = {}
        for side in self.sides:
            for v in {s["value"] for s in side.item["selectors"]}:
                values[v] = values.get(v, 0) + 1
        shared_values = {v for v, n in values.items() if n >= 2}
        if self.link is not None:
            shared_values |= {str(v) for v in (self.link.details or {}).get("values", [])}
        exact = [s["shown"] for side in self.sides for s in side.item["selectors"]
                 if s["value"] in shared_values] + sorted(shared_values)
        passage = (self.link.details or {}).get("shared_passage") if self.link else None
        if passage:
            exact.append(passage)
        for n, side in enumerate(self.sides):
            self.info_views[n].setHtml(self._side_html(side, exact, words, shared_values))
        if len(self.sides) >= 2:
            diff, ratio = text_diff_html(texts[0], texts[1])
            if not texts[0] and not texts[1]:
                body = f"<p style='{_MUTED}'>Neither item has text yet.</p>"
            else:
                body = (f"<p style='{_MUTED}'>A → B, word by word: {ratio:.0%} alike. "
                        "Struck-through red words appear only in A, green only in B.</p>"
                        f"<p dir='auto'>{diff}</p>")
            self.diff_view.setHtml(body)
            self.diff_ratio = ratio
        self.diff_title.setText("Text differences (A → B)")

    def _side_html(self, side: CompareSide, exact: list[str], words: set[str],
                   shared_values: set[str]) -> str:
        item, media = side.item, side.media

        def row(label: str, value: object, mono: bool = False) -> str:
            if value in (None, ""):
                return ""
            text = html.escape(str(value))
            if mono:
                text = f"<span style='font-family:monospace; font-size:9pt;'>{text}</span>"
            return f"<tr><td valign='top' style='{_MUTED}'>{label}</td><td>{text}</td></tr>"

        when = (f"{format_time(item['posted_at'])} (posted)" if item.get("posted_at") else
                f"{format_time(item['captured_at'])} (captured)" if item.get("captured_at")
                else "")
        sight = item["sightings"][0] if item.get("sightings") else None
        source = (f"import #{sight['source_id']} ({sight['source_kind']}): {sight['path']}"
                  if sight else f"import #{item['source_id']}")
        rows = [
            row("Page / author", item.get("author")),
            row("Kind", kind_label(item["kind"])),
            row("Time", when),
            row("Source", source),
            row("URL", item.get("url")),
            row("Original name", media["original_name"] if media else None),
            row("SHA-256", media["sha256"] if media else None, mono=True),
            row("Size", f"{media['width']} × {media['height']} px"
                if media and media.get("width") else None),
        ]
        if side.box is not None:
            x0, y0, x1, y1 = side.box
            rows.append(row("Matched region", f"{side.region_kind or 'photo'} at ({x0}, {y0}) "
                                              f"{x1 - x0} × {y1 - y0} px"))
        phones = []
        for s in item["selectors"]:
            if s["kind"] in views.PHONE_KINDS:
                label = html.escape(f"{s['shown']} ({s['value']})")
                phones.append(f'<span style="{_PHONE_MARK}">{label}</span>'
                              if s["value"] in shared_values else label)
        body = "<table cellpadding='2'>" + "".join(rows)
        if phones:
            body += f"<tr><td valign='top' style='{_MUTED}'>Phones</td><td>" \
                    + "<br>".join(phones) + "</td></tr>"
        body += "</table>"
        for title, text in (("Post text", item.get("text")),
                            ("Text in the image", item.get("text_in_image")),
                            ("Text read from the image (OCR)", item.get("ocr_text"))):
            if text:
                body += (f"<p style='margin-bottom:0;'><b>{title}</b></p>"
                         f"<p dir='auto' style='margin-top:2px;'>{mark_text(text, exact, words)}"
                         "</p>")
        return body

    # -- images ---------------------------------------------------------------------------------

    def _load_images(self) -> None:
        self._generation += 1
        generation = self._generation
        self.prepared = None
        self.difference = None
        for view in self.views[: len(self.sides)]:
            view.clear("Loading…")
        self.stage.clear("Loading…")
        paths: list[Path | None] = []
        for side in self.sides:
            media = side.media
            if media is None or not media.get("readable", True):
                paths.append(None)
            else:
                paths.append(self._reader.vault.path_for(media["sha256"]))
        boxes = [s.box for s in self.sides]
        job = workers.run_in_background(prepare_images, paths, boxes, self.region_mode,
                                        parent=self, show_dialog=False)
        job.finished.connect(lambda result, g=generation: self._on_images_prepared(g, result))
        job.failed.connect(lambda message, g=generation: self._on_job_failed(g, message))
        job.done.connect(lambda j=job: self._forget(j))
        self._jobs.append(job)

    def _forget(self, job: workers.BackgroundJob) -> None:
        if job in self._jobs:
            self._jobs.remove(job)

    def _on_job_failed(self, generation: int, message: str) -> None:
        if generation == self._generation and shiboken6.isValid(self):
            self.status_label.setText(message)
            for view in self.views:
                view.clear(message)

    def _on_images_prepared(self, generation: int, prepared: PreparedImages) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return  # an older request finished after a newer one started, or the view closed
        self.prepared = prepared
        self._pixmaps = [QPixmap.fromImage(img) if img is not None else None
                         for img in prepared.images]
        for n, side in enumerate(self.sides):
            view = self.views[n]
            pixmap = self._pixmaps[n]
            if pixmap is None:
                view.clear(prepared.errors[n] or "This item has no image.")
                continue
            view.clear()
            view.add_layer(pixmap)
            if side.box is not None and not prepared.region:
                x0, y0, x1, y1 = side.box
                s = prepared.scales[n]
                view.outline(QRectF(x0 * s, y0 * s, (x1 - x0) * s, (y1 - y0) * s),
                             SIDE_COLOURS[n], f"Matched {side.region_kind or 'photo'} region")
        self._show_mode()
        self.images_ready.emit()
        QTimer.singleShot(0, self, self.fit)  # once the views have their final size

    def _show_mode(self) -> None:
        """Put the views for the current mode in place (the images must be prepared)."""
        self.blink_timer.stop()
        side = self.mode == "side"
        self.image_stack.setCurrentIndex(0 if side else 1)
        self.opacity_label.setVisible(self.mode == "overlay")
        self.opacity_slider.setVisible(self.mode == "overlay")
        if side or self.prepared is None:
            self.status_label.setText("Region to region: matched photos scaled to the same size"
                                      if self.region_mode else "")
            return
        pixmaps = self._pixmaps[:2]
        self.stage.clear()
        if len(pixmaps) < 2 or pixmaps[0] is None or pixmaps[1] is None:
            self.stage.clear("Overlay, blink and difference need two pictures.")
            return
        if self.mode == "difference":
            self.stage_title.setText("Difference of A and B: amber where they differ")
            if self.difference is None:
                self.stage.clear("Working out the difference…")
                self._start_difference()
            else:
                self.stage.add_layer(QPixmap.fromImage(self.difference.image))
                self.status_label.setText(
                    f"{self.difference.changed_share:.0%} of pixels differ clearly · mean "
                    f"difference {self.difference.mean:.0f} of 255")
            return
        self.stage.add_layer(pixmaps[0])
        second = self.stage.add_layer(pixmaps[1])
        if self.mode == "overlay":
            self.stage_title.setText("B over A")
            second.setOpacity(self.opacity_slider.value() / 100)
            self.status_label.setText(f"B at {self.opacity_slider.value()}%")
        else:
            self.stage_title.setText("Blink: A and B in turn")
            self.blink_showing_second = True
            self.blink_timer.start()
            self.status_label.setText("Showing B")

    def _start_difference(self) -> None:
        prepared = self.prepared
        if prepared is None or len(prepared.aligned) != 2:
            self.stage.clear("The difference needs two readable pictures.")
            return
        generation = self._generation
        job = workers.run_in_background(difference_image, *prepared.aligned, parent=self,
                                        show_dialog=False)
        job.finished.connect(lambda result, g=generation: self._on_difference_done(g, result))
        job.failed.connect(lambda message, g=generation: self._on_job_failed(g, message))
        job.done.connect(lambda j=job: self._forget(j))
        self._jobs.append(job)

    def _on_difference_done(self, generation: int, result: Difference) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self.difference = result
        if self.mode == "difference":
            self._show_mode()
            self.fit()
        self.difference_ready.emit()

    # -- modes, zoom, pan -----------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"'{mode}' is not a compare mode ({', '.join(MODES)}).")
        self.mode = mode
        self.mode_button[mode].setChecked(True)
        scale = self.active_views()[0].transform().m11() if self.prepared else None
        self._show_mode()
        if scale:
            self._apply_scale(scale)

    def set_region_mode(self, on: bool) -> None:
        self.region_check.setChecked(on)

    def active_views(self) -> list[CompareImageView]:
        if self.mode == "side":
            return self.views[: max(1, len(self.sides))]
        return [self.stage]

    def all_views(self) -> list[CompareImageView]:
        return [*self.views[: max(1, len(self.sides))], self.stage]

    @Slot()
    def zoom_in(self) -> None:
        self._apply_scale(self.active_views()[0].transform().m11() * 1.25)

    @Slot()
    def zoom_out(self) -> None:
        self._apply_scale(self.active_views()[0].transform().m11() * 0.8)

    @Slot()
    def fit(self) -> None:
        """The largest scale at which every visible picture fits its view."""
        best = None
        for view in self.active_views():
            rect = view.scene().sceneRect()
            port = view.viewport().rect()
            if rect.width() < 1 or rect.height() < 1 or port.width() < 2:
                continue
            s = min((port.width() - 4) / rect.width(), (port.height() - 4) / rect.height())
            best = s if best is None else min(best, s)
        if best:
            self._apply_scale(best)

    @Slot()
    def actual_size(self) -> None:
        if self.prepared is not None:
            self._apply_scale(1.0 / self.prepared.reference_scale)

    def _apply_scale(self, scale: float) -> None:
        scale = min(40.0, max(0.02, scale))
        self._syncing = True
        try:
            for view in self.all_views():
                view.setTransform(QTransform.fromScale(scale, scale))
        finally:
            self._syncing = False
        self._sync_from(self.active_views()[0])

    def _sync_from(self, source: CompareImageView) -> None:
        """Give every other view the source's scale and scroll position."""
        if self._syncing:
            return
        self._syncing = True
        try:
            transform = source.transform()
            h, v = source.horizontalScrollBar().value(), source.verticalScrollBar().value()
            for view in self.all_views():
                if view is source:
                    continue
                if view.transform() != transform:
                    view.setTransform(transform)
                view.horizontalScrollBar().setValue(h)
                view.verticalScrollBar().setValue(v)
        finally:
            self._syncing = False

    # -- slots ----------------------------------------------------------------------------------

    @Slot(object)
    def _on_mode_button_clicked(self, button: QToolButton) -> None:
        for mode, b in self.mode_button.items():
            if b is button:
                self.set_mode(mode)

    @Slot(int)
    def _on_opacity_changed(self, value: int) -> None:
        if self.mode == "overlay" and len(self.stage.layers) == 2:
            self.stage.layers[1].setOpacity(value / 100)
            self.status_label.setText(f"B at {value}%")

    @Slot(bool)
    def _on_region_toggled(self, on: bool) -> None:
        self.region_mode = on and self.region_check.isEnabled()
        if self.sides:
            self._load_images()

    @Slot()
    def _on_blink_timeout(self) -> None:
        if len(self.stage.layers) == 2:
            self.blink_showing_second = not self.blink_showing_second
            self.stage.layers[1].setVisible(self.blink_showing_second)
            self.status_label.setText("Showing B" if self.blink_showing_second else "Showing A")

    def shutdown(self) -> None:
        self.blink_timer.stop()
        for job in list(self._jobs):
            job.cancel()


class CompareDialog(QDialog):
    """A window around ``CompareWidget``; it stays open beside the workstation."""

    def __init__(self, reader: Case, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare linked evidence")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.compare = CompareWidget(reader, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.compare)
        self.resize(1360, 840)

    def done(self, result: int) -> None:
        self.compare.shutdown()
        super().done(result)
