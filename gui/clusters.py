"""Clusters of linked evidence: the list of clusters, the timeline of the selected one (page
lanes, earliest item marked as the reference, thumbnails), the phone numbers and pages that
recur in it, its network picture, and the actions on the cluster as a whole: tag it, note it
(both undoable) and export it as an evidence bundle.

Clusters are computed by ``analysis.linking.clusters`` on a worker through its own read-only
connection, so a large case never stalls the window; the members and links of one cluster are
read through the views' read-only ``reader``. Writes go through undoable commands on the
window's undo stack; the export runs on a worker through ``evidence.bundle``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPen, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from analysis import linking
from evidence import bundle, store, views
from evidence.case import Case
from evidence.changes import ChangeSet
from evidence.progress import check
from gui import workers
from gui.commands import TagCommand, _Command, push_command
from gui.item_model import format_time, kind_label
from gui.network import NetworkWidget
from gui.thumbnails import ThumbnailLoader

NO_PAGE = "No page recorded"
CARD_W, CARD_H = 156, 150
COLUMN_W = CARD_W + 14
LANE_H = CARD_H + 18
LANE_LABEL_W = 220
HEADER_H = 34
# Items with no page (screenshots, mostly) share one lane; past this many per row it stacks
# into up to NO_PAGE_ROWS rows, so a cluster of screenshots does not push every page's cards
# far off to the right.
NO_PAGE_PER_ROW = 8
NO_PAGE_ROWS = 4
THUMB_PX = 64
ITEM_KEY = 0  # QGraphicsItem.data() slot holding a card's item id
SOURCE_LABELS = {
    "analyst": "analyst-entered", "filename": "file name", "exif": "photo EXIF",
    "file_time": "file time", "telegram": "Telegram export", "facebook": "Facebook export",
    "crowdtangle": "CrowdTangle export", "csv": "CSV file", "json": "JSON file",
    "folder": "folder import", "zip": "zip archive",
}


@dataclass
class ClusterSummary:
    """One row of the cluster list."""

    id: int
    items: list[int]
    pages: list[str]
    phones: list[str]
    media: list[str]
    earliest: str | None
    earliest_field: str
    # Items shown in other clusters too (a screenshot of two posts): item -> those clusters.
    also_in: dict[int, list[int]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.items)


@dataclass
class TimelineEntry:
    member: views.ClusterMember
    lane: str
    lane_index: int
    column: int
    reference: bool
    also_in: list[int] = field(default_factory=list)  # other clusters this item is in
    row: int = 0  # the row within its lane (only the no-page lane has more than one)


@dataclass
class Recurring:
    """Phone numbers and pages across a cluster with how many members show them, most first."""

    phones: list[tuple[str, str, int]] = field(default_factory=list)  # (E.164, shown, count)
    pages: list[tuple[str, int]] = field(default_factory=list)


def load_clusters(case_path: Path, *, progress: object = None,
                  cancel: object = None) -> list[ClusterSummary]:
    """Runs on a worker, through a read-only connection of its own."""
    with Case.open(case_path, readonly=True) as case:
        found = linking.clusters(case)
        check(cancel)  # type: ignore[arg-type]
        first = {m.id: m for m in views.cluster_members(case, [c["items"][0] for c in found])}
    clusters_of: dict[int, list[int]] = {}
    for c in found:
        for i in c.get("shared_items", []):
            clusters_of.setdefault(i, []).append(c["id"])
    out = []
    for c in found:
        ref = first.get(c["items"][0])
        also = {i: [o for o in clusters_of[i] if o != c["id"]]
                for i in c.get("shared_items", [])}
        out.append(ClusterSummary(c["id"], list(c["items"]), list(c["pages"]),
                                  list(c["phones"]), list(c["media"]),
                                  ref.when if ref else None, ref.when_field if ref else "",
                                  also))
    return out


def _also_in_text(others: Sequence[int]) -> str:
    if not others:
        return ""
    return ("This item shows more than one post; it is also in cluster "
            + ", ".join(f"#{o}" for o in others) + ".")


def timeline_entries(members: Sequence[views.ClusterMember],
                     also_in: dict[int, list[int]] | None = None) -> list[TimelineEntry]:
    """Members in time order (as given), in lanes by page; lanes are ordered by their earliest
    member (the no-page lane comes last), and the first member is the cluster's reference.

    Columns never go back in time: a member takes the column of the one before it unless its
    lane already has a card there, so lanes share columns and the picture stays compact. The
    no-page lane has several rows when it holds many items; a column is full there only when
    every row has a card in it.
    """
    no_page = sum(1 for m in members if not m.page)
    no_page_rows = max(1, min(NO_PAGE_ROWS, -(-no_page // NO_PAGE_PER_ROW)))
    lanes: dict[str, int] = {}
    last_in_row: dict[int, list[int]] = {}  # lane index -> the last column used in each row
    out = []
    column = 0
    for n, m in enumerate(members):
        lane = m.page or NO_PAGE
        index = lanes.setdefault(lane, len(lanes))
        rows = last_in_row.setdefault(index, [-1] * (no_page_rows if lane == NO_PAGE else 1))
        row = next((r for r, last in enumerate(rows) if last < column), None)
        if row is None:
            column += 1
            row = 0
        rows[row] = column
        out.append(TimelineEntry(m, lane, index, column, n == 0,
                                 list((also_in or {}).get(m.id, [])), row))
    # The pages' lanes first (one row each, always in view), the no-page lane below them.
    if NO_PAGE in lanes:
        gone = lanes[NO_PAGE]
        for e in out:
            e.lane_index = (len(lanes) - 1 if e.lane == NO_PAGE
                            else e.lane_index - (e.lane_index > gone))
    return out


def recurring(members: Sequence[views.ClusterMember]) -> Recurring:
    phones: Counter[str] = Counter()
    shown: dict[str, str] = {}
    pages: Counter[str] = Counter()
    for m in members:
        for value, as_shown in m.phones.items():
            phones[value] += 1
            shown.setdefault(value, as_shown)
        if m.page:
            pages[m.page] += 1
    return Recurring(
        [(v, shown[v], n) for v, n in sorted(phones.items(), key=lambda p: (-p[1], p[0]))],
        sorted(pages.items(), key=lambda p: (-p[1], p[0].lower())),
    )


def when_text(member: views.ClusterMember) -> tuple[str, str, str]:
    """(the time as read, which time it is and where it came from, a caveat or "")."""
    if not member.when:
        return "No time known", "neither posted nor captured", ""
    source = SOURCE_LABELS.get(member.when_source.split(" (")[0], member.when_source)
    caveat = "local time, zone unknown" if "zone unknown" in member.when_source else ""
    which = "posted" if member.when_field == "posted" else "captured"
    return format_time(member.when), f"{which} · {source}" if source else which, caveat


class ClusterNoteCommand(_Command):
    """The same note on every member of a cluster, in one transaction; undo removes them all."""

    def __init__(self, case: Case, item_ids: Sequence[int], text: str, on_change,
                 on_error) -> None:
        super().__init__(case, f"Note {len(item_ids)} items", on_change, on_error)
        self.item_ids = list(item_ids)
        self.text = text
        self.note_ids: list[int] = []

    def _do(self) -> ChangeSet:
        changes = ChangeSet()
        with self._case.transaction():
            self.note_ids = []
            for item_id in self.item_ids:
                note_id, one = store.add_note(self._case, item_id, self.text)
                self.note_ids.append(note_id)
                changes.merge(one)
        return changes

    def _undo(self) -> ChangeSet:
        changes = ChangeSet()
        with self._case.transaction():
            for note_id in self.note_ids:
                changes.merge(store.remove_note(self._case, note_id))
        self.note_ids = []
        return changes


# -- timeline ----------------------------------------------------------------------------------


class TimelineView(QGraphicsView):
    """Swimlanes of cards, one lane per page, one column per member in time order."""

    item_activated = Signal(int)

    def __init__(self, loader: ThumbnailLoader | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setAccessibleName("Cluster timeline")
        self.entries: list[TimelineEntry] = []
        self._thumbs: dict[str, list[QGraphicsPixmapItem]] = {}
        self._press: QPointF | None = None
        self._lane_labels: list[QGraphicsRectItem] = []
        if loader is not None:
            loader.ready.connect(self._on_loader_ready)

    def show_entries(self, entries: list[TimelineEntry]) -> None:
        self.entries = entries
        scene = self.scene()
        scene.clear()
        self._thumbs = {}
        self._lane_labels = []
        if not entries:
            return
        palette = self.palette()
        text_colour = palette.text().color()
        muted = palette.placeholderText().color()
        lanes = sorted({(e.lane_index, e.lane) for e in entries})
        rows = {index: 1 + max(e.row for e in entries if e.lane_index == index)
                for index, _ in lanes}
        tops, y = {}, HEADER_H
        for index, _ in lanes:
            tops[index] = y
            y += rows[index] * LANE_H
        bottom = y
        columns = max(e.column for e in entries) + 1
        width = LANE_LABEL_W + COLUMN_W * columns + 20
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.85, 7.0))
        bold = QFont(self.font())
        bold.setBold(True)
        self._lane_labels = []
        for index, name in lanes:
            top, height = tops[index], rows[index] * LANE_H
            shade = palette.alternateBase().color() if index % 2 else palette.base().color()
            band = QGraphicsRectItem(0, top, width, height)
            band.setBrush(QBrush(shade))
            band.setPen(QPen(Qt.PenStyle.NoPen))
            band.setZValue(-2)
            scene.addItem(band)
            # The lane's name stays at the left edge while the cards scroll under it.
            holder = QGraphicsRectItem(0, 0, LANE_LABEL_W - 12, height)
            holder.setBrush(QBrush(shade))
            holder.setPen(QPen(Qt.PenStyle.NoPen))
            holder.setPos(0, top)
            holder.setZValue(5)
            holder.setToolTip(name)
            scene.addItem(holder)
            count = sum(1 for e in entries if e.lane_index == index)
            label = QGraphicsSimpleTextItem(self._elide(name, 28), holder)
            label.setFont(bold)
            label.setBrush(QBrush(text_colour if name != NO_PAGE else muted))
            label.setPos(12, 14)
            sub_text = f"{count} item{'s' if count != 1 else ''}"
            if rows[index] > 1:
                sub_text += "\nin time order down each column"
            sub = QGraphicsSimpleTextItem(sub_text, holder)
            sub.setFont(small)
            sub.setBrush(QBrush(muted))
            sub.setPos(12, 36)
            self._lane_labels.append(holder)
        previous_day, last_tick = None, -1
        for e in entries:
            x = LANE_LABEL_W + e.column * COLUMN_W
            day = (e.member.when or "")[:10]
            if day != previous_day and e.column > last_tick:
                tick = QGraphicsSimpleTextItem(day or "no time")
                tick.setFont(small)
                tick.setBrush(QBrush(muted))
                tick.setPos(x + 4, 8)
                scene.addItem(tick)
                rule = QGraphicsRectItem(x - 1, HEADER_H - 6, 1, bottom - HEADER_H + 6)
                rule.setBrush(QBrush(muted))
                rule.setPen(QPen(Qt.PenStyle.NoPen))
                rule.setOpacity(0.35)
                rule.setZValue(-1)
                scene.addItem(rule)
                previous_day, last_tick = day, e.column
            self._add_card(e, x + 6, tops[e.lane_index] + e.row * LANE_H + (LANE_H - CARD_H) / 2,
                           small, bold)
        scene.setSceneRect(QRectF(0, 0, width, bottom + 10))
        self.horizontalScrollBar().setValue(0)
        self._pin_lane_labels()

    def _pin_lane_labels(self) -> None:
        left = max(0.0, self.mapToScene(0, 0).x())
        for holder in self._lane_labels:
            holder.setX(left)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._pin_lane_labels()

    def card_pos(self, item_id: int) -> QPointF | None:
        for card in self.scene().items():
            if card.data(ITEM_KEY) == item_id:
                return card.sceneBoundingRect().center()
        return None

    def _add_card(self, e: TimelineEntry, x: float, y: float, small: QFont, bold: QFont) -> None:
        palette = self.palette()
        m = e.member
        card = QGraphicsRectItem(0, 0, CARD_W, CARD_H)
        card.setPos(x, y)
        card.setBrush(QBrush(palette.base().color()))
        pen = QPen(QColor("#1f2937") if e.reference else palette.mid().color())
        pen.setWidthF(2.5 if e.reference else 1.0)
        card.setPen(pen)
        card.setData(ITEM_KEY, m.id)
        card.setCursor(Qt.CursorShape.PointingHandCursor)
        when, which, caveat = when_text(m)
        shown = ", ".join(f"{v} (shown as {t})" for v, t in m.phones.items())
        card.setToolTip("\n".join(x for x in (
            f"Item #{m.id} ({kind_label(m.kind)})", m.page or NO_PAGE,
            f"{when}: {which}" + (f" ({caveat})" if caveat else ""), shown, m.snippet,
            _also_in_text(e.also_in), "Click to select it in the items view") if x))
        self.scene().addItem(card)
        thumb_box = QGraphicsRectItem(6, 6, THUMB_PX, THUMB_PX, card)
        thumb_box.setBrush(QBrush(palette.alternateBase().color()))
        thumb_box.setPen(QPen(Qt.PenStyle.NoPen))
        if m.media_sha256 and m.media_readable:
            pix = QGraphicsPixmapItem(card)
            pix.setPos(6, 6)
            pix.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self._thumbs.setdefault(m.media_sha256, []).append(pix)
            self._set_thumb(m.media_sha256, pix)
        title = QGraphicsSimpleTextItem(f"#{m.id}", card)
        title.setFont(bold)
        title.setBrush(QBrush(palette.text().color()))
        title.setPos(THUMB_PX + 14, 6)
        kind = QGraphicsSimpleTextItem(kind_label(m.kind), card)
        kind.setFont(small)
        kind.setBrush(QBrush(palette.placeholderText().color()))
        kind.setPos(THUMB_PX + 14, 28)
        if e.reference:
            badge = QGraphicsRectItem(THUMB_PX + 12, 48, CARD_W - THUMB_PX - 18, 18, card)
            badge.setBrush(QBrush(QColor("#1f2937")))
            badge.setPen(QPen(Qt.PenStyle.NoPen))
            ref = QGraphicsSimpleTextItem("Reference", badge)
            ref.setFont(small)
            ref.setBrush(QBrush(QColor("#ffffff")))
            ref.setPos(THUMB_PX + 17, 49)
        lines = [(when, palette.text().color()),
                 (which, palette.placeholderText().color())]
        if caveat:
            lines.append((caveat, QColor("#9a6700")))
        if e.also_in:
            lines.append(("Also in " + ", ".join(f"#{o}" for o in e.also_in),
                          QColor("#7c3aed")))
        if m.phones:
            lines.append((", ".join(m.phones), QColor("#b4233a")))
        if len(lines) > 4:
            # Four lines fit; the number and the other clusters matter more than where the
            # time came from, which the tooltip still says.
            del lines[1]
        for n, (text, colour) in enumerate(lines[:4]):
            line = QGraphicsSimpleTextItem(self._elide(text, 26), card)
            line.setFont(small)
            line.setBrush(QBrush(colour))
            line.setPos(6, THUMB_PX + 12 + 17 * n)

    def _set_thumb(self, sha: str, pix_item: QGraphicsPixmapItem) -> None:
        if self.loader is None:
            return
        pixmap = self.loader.pixmap(sha)
        if pixmap is None or pixmap.isNull():
            return
        scaled = pixmap.scaled(THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        pix_item.setPixmap(scaled)
        pix_item.setOffset((THUMB_PX - scaled.width()) / 2, (THUMB_PX - scaled.height()) / 2)

    @Slot(str, int, bool)
    def _on_loader_ready(self, sha: str, _size: int, blurred: bool) -> None:
        if blurred:
            return
        for pix in self._thumbs.get(sha, []):
            self._set_thumb(sha, pix)

    @staticmethod
    def _elide(text: str, limit: int) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, self._press = self._press, None
        super().mouseReleaseEvent(event)
        if press is None:
            return
        moved = event.position() - press
        if abs(moved.x()) + abs(moved.y()) > 4:
            return  # a drag pans; only a click selects
        for item in self.items(event.position().toPoint()):
            while item is not None and item.data(ITEM_KEY) is None:
                item = item.parentItem()
            if item is not None:
                self.item_activated.emit(int(item.data(ITEM_KEY)))
                return


# -- the page ----------------------------------------------------------------------------------


def _cell(text: str, sort_value: object = None) -> QTableWidgetItem:
    cell = QTableWidgetItem(text)
    cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if sort_value is not None:
        cell.setData(Qt.ItemDataRole.UserRole, sort_value)
    return cell


class ClustersWidget(QWidget):
    """View > Clusters: pick a cluster, see it as a timeline and a network, act on it whole."""

    error = Signal(str)
    message = Signal(str)
    changed = Signal(object)  # the ChangeSet of each write
    item_activated = Signal(int)  # the analyst wants this item in the items view
    busy_changed = Signal(bool)  # True while an export writes to the case
    clusters_loaded = Signal(int)
    export_finished = Signal(object)  # the ExportResult

    def __init__(self, case: Case, reader: Case, undo_stack: QUndoStack,
                 loader: ThumbnailLoader | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case = case
        self.reader = reader
        self.undo_stack = undo_stack
        self.loader = loader if loader is not None else ThumbnailLoader(
            reader.vault.path_for, reader.cache_dir, self)
        self.clusters: list[ClusterSummary] = []
        self.current: ClusterSummary | None = None
        self.members: list[views.ClusterMember] = []
        self._writes_allowed = True  # off while another part of the window writes
        self._exporting = False
        self._load_job: workers.BackgroundJob | None = None
        self._export_job: workers.BackgroundJob | None = None
        self._build()
        self._connect()
        self._update_actions()

    def _build(self) -> None:
        self.setAccessibleName("Clusters")
        self.count_label = QLabel("Clusters")
        self.count_label.setStyleSheet("font-weight: bold;")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Compute the clusters again from the current links")
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Cluster", "Items", "Pages", "Phones", "Earliest"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Cluster list")
        self.phones_table = QTableWidget(0, 2)
        self.phones_table.setHorizontalHeaderLabels(["Phone number", "Items"])
        self.pages_table = QTableWidget(0, 2)
        self.pages_table.setHorizontalHeaderLabels(["Page", "Items"])
        for t, name in ((self.phones_table, "Recurring phone numbers"),
                        (self.pages_table, "Recurring pages")):
            t.verticalHeader().setVisible(False)
            t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            t.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
            t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            t.setAccessibleName(name)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.count_label, 1)
        top.addWidget(self.refresh_button)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 3)
        left_layout.addWidget(QLabel("Phone numbers in this cluster"))
        left_layout.addWidget(self.phones_table, 2)
        left_layout.addWidget(QLabel("Pages in this cluster"))
        left_layout.addWidget(self.pages_table, 2)

        self.title_label = QLabel("Select a cluster.")
        self.title_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title_label.setAccessibleName("Cluster title")
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.detail_label.setStyleSheet("color: palette(placeholder-text);")
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText("Tag every item of this cluster…")
        self.tag_edit.setAccessibleName("Cluster tag")
        self.tag_button = QPushButton("Tag Cluster")
        self.note_button = QPushButton("Add Note to Cluster…")
        self.export_button = QPushButton("Export Cluster…")
        self.export_button.setToolTip("Write an evidence bundle of every item in this cluster")
        actions = QHBoxLayout()
        actions.addWidget(self.tag_edit, 1)
        actions.addWidget(self.tag_button)
        actions.addSpacing(12)
        actions.addWidget(self.note_button)
        actions.addWidget(self.export_button)

        self.timeline = TimelineView(self.loader)
        self.network = NetworkWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.network, "Network")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title_label)
        right_layout.addWidget(self.detail_label)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([400, 1040])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addWidget(self.splitter)

    def _connect(self) -> None:
        self.refresh_button.clicked.connect(self.reload)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.tag_button.clicked.connect(self._on_tag_clicked)
        self.tag_edit.returnPressed.connect(self._on_tag_clicked)
        self.note_button.clicked.connect(self._on_note_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.timeline.item_activated.connect(self.item_activated)
        self.network.item_activated.connect(self.item_activated)
        self.network.error.connect(self.error)

    # -- public -------------------------------------------------------------------------------

    def reload(self) -> workers.BackgroundJob:
        """Compute the clusters again on a worker; the selected cluster stays selected."""
        if self._load_job is not None and self._load_job.running:
            self._load_job.cancel()
        self.count_label.setText("Clusters: computing…")
        job = workers.run_in_background(load_clusters, self.reader.path, parent=self,
                                        label="Finding clusters…")
        job.finished.connect(self._on_clusters_finished)
        job.failed.connect(self._on_clusters_failed)
        self._load_job = job
        return job

    def show_cluster(self, cluster_id: int) -> bool:
        row = next((r for r, c in enumerate(self.clusters) if c.id == cluster_id), None)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    @property
    def _writes_enabled(self) -> bool:
        return self.case.writable and self._writes_allowed and not self._exporting

    def set_writes_enabled(self, on: bool) -> None:
        """Off while an import writes on a worker thread (one writer at a time)."""
        self._writes_allowed = on
        self._update_actions()

    def tag_cluster(self, name: str) -> bool:
        """Put ``name`` on every member of the selected cluster (one undoable step)."""
        name = name.strip()
        if self.current is None or not name:
            self.error.emit("Select a cluster and type a tag name first.")
            return False
        return self._push(TagCommand(self.case, self.current.items, name, True,
                                     self._on_command_changes, self.error.emit))

    def note_cluster(self, text: str) -> bool:
        """Add the same note to every member of the selected cluster (one undoable step)."""
        text = text.strip()
        if self.current is None or not text:
            self.error.emit("Select a cluster and write a note first.")
            return False
        return self._push(ClusterNoteCommand(self.case, self.current.items, text,
                                             self._on_command_changes, self.error.emit))

    def export_cluster(self, out: Path) -> workers.BackgroundJob | None:
        """Write the selected cluster's bundle to ``out`` (a new folder, or NAME.zip)."""
        if self.current is None:
            self.error.emit("Select a cluster to export.")
            return None
        if not self._writes_enabled:
            self.error.emit("Exporting is recorded in the case, which cannot be changed now.")
            return None
        scope = bundle.ExportScope("cluster", str(self.current.id), list(self.current.items))
        self._exporting = True
        self._update_actions()
        self.busy_changed.emit(True)
        job = workers.run_in_background(bundle.export_bundle, self.case, Path(out), scope,
                                        parent=self, label="Exporting the cluster…")
        job.finished.connect(self._on_export_finished)
        job.failed.connect(self._on_export_failed)
        job.cancelled.connect(lambda: self.message.emit("Export cancelled; nothing was kept."))
        job.done.connect(self._on_export_done)
        self._export_job = job
        return job

    def shutdown(self) -> None:
        for job in (self._load_job, self._export_job):
            if job is not None and job.running:
                job.cancel()
        self.network.shutdown()
        if self.loader.parent() is self:
            self.loader.stop()

    # -- showing ------------------------------------------------------------------------------

    def _fill_table(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.clusters))
        for row, c in enumerate(self.clusters):
            self.table.setItem(row, 0, _cell(f"#{c.id}", c.id))
            size = _cell(f"{c.size} ({len(c.also_in)} shared)" if c.also_in else str(c.size),
                         c.size)
            if c.also_in:
                size.setToolTip(_also_in_text(sorted({o for v in c.also_in.values() for o in v}))
                                .replace("This item shows", "Some items show"))
            self.table.setItem(row, 1, size)
            self.table.setItem(row, 2, _cell(str(len(c.pages))))
            self.table.setItem(row, 3, _cell(str(len(c.phones))))
            earliest = format_time(c.earliest) if c.earliest else "unknown"
            self.table.setItem(row, 4, _cell(
                f"{earliest} ({c.earliest_field})" if c.earliest else earliest))
        self.table.blockSignals(False)
        self.count_label.setText(f"{len(self.clusters)} cluster(s)")

    def _show_current(self) -> None:
        c = self.current
        if c is None:
            self.members = []
            self.title_label.setText("Select a cluster." if self.clusters else
                                     "No clusters yet: run the analysis to link items.")
            self.detail_label.setText("")
            self.timeline.show_entries([])
            self.network.clear()
            self.phones_table.setRowCount(0)
            self.pages_table.setRowCount(0)
            self._update_actions()
            return
        self.members = views.cluster_members(self.reader, c.items)
        entries = timeline_entries(self.members, c.also_in)
        self.timeline.show_entries(entries)
        self.network.show_cluster(self.members, views.cluster_edges(self.reader, c.items))
        rec = recurring(self.members)
        if c.also_in:
            # A screenshot of several posts also shows the other posts' numbers: list only
            # the numbers of the posts in this cluster.
            rec.phones = [p for p in rec.phones if p[0] in set(c.phones)]
        self.phones_table.setRowCount(len(rec.phones))
        for row, (value, shown, count) in enumerate(rec.phones):
            cell = _cell(value)
            cell.setToolTip(f"Shown in the evidence as {shown}")
            self.phones_table.setItem(row, 0, cell)
            self.phones_table.setItem(row, 1, _cell(str(count)))
        self.pages_table.setRowCount(len(rec.pages))
        for row, (page, count) in enumerate(rec.pages):
            self.pages_table.setItem(row, 0, _cell(page))
            self.pages_table.setItem(row, 1, _cell(str(count)))
        self.title_label.setText(f"Cluster #{c.id}: {c.size} items, {len(c.pages)} page(s), "
                                 f"{len(c.phones)} phone number(s)")
        self._show_detail()
        self._update_actions()

    def _show_detail(self) -> None:
        if self.current is None or not self.members:
            return
        ref = self.members[0]
        when, which, caveat = when_text(ref)
        which += f", {caveat}" if caveat else ""
        tags = views.item_tag_names(self.reader, self.current.items)
        shared = set.intersection(*(tags.get(i, set()) for i in self.current.items))
        tag_text = f" Tags on every item: {', '.join(sorted(shared))}." if shared else ""
        also = self.current.also_in
        shared_text = (f" {len(also)} item(s) show posts of other clusters too (a screenshot of "
                       f"several posts is in the cluster of each post it shows)." if also else "")
        self.detail_label.setText(
            f"Reference (earliest) item #{ref.id}: {when}, {which}. Ordered by posted time, "
            f"else capture time.{tag_text}{shared_text}")

    def _update_actions(self) -> None:
        on = self._writes_enabled and self.current is not None
        for w in (self.tag_edit, self.tag_button, self.note_button, self.export_button):
            w.setEnabled(on)

    # -- writing ------------------------------------------------------------------------------

    def _push(self, command) -> bool:
        return push_command(self.undo_stack, command, self._writes_enabled, self.error.emit)

    def _on_command_changes(self, changes: ChangeSet) -> None:
        self._show_detail()
        self.changed.emit(changes)

    # -- slots --------------------------------------------------------------------------------

    @Slot(object)
    def _on_clusters_finished(self, result: object) -> None:
        previous = self.current.id if self.current else None
        self.clusters = list(result)  # type: ignore[call-overload]
        self.current = None
        self._fill_table()
        if not self.clusters:
            self._show_current()
        elif previous is None or not self.show_cluster(previous):
            self.table.selectRow(0)
        self.clusters_loaded.emit(len(self.clusters))

    @Slot(str)
    def _on_clusters_failed(self, message: str) -> None:
        self.count_label.setText("Clusters")
        self.error.emit(f"The clusters could not be computed: {message}")

    @Slot()
    def _on_table_selection_changed(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        self.current = self.clusters[min(rows)] if rows else None
        self._show_current()

    @Slot()
    def _on_tag_clicked(self) -> None:
        if self.tag_cluster(self.tag_edit.text()):
            self.tag_edit.clear()

    @Slot()
    def _on_note_clicked(self) -> None:
        if self.current is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, "Note on the cluster",
            f"This note is added to each of the {self.current.size} items of cluster "
            f"#{self.current.id}:")
        if ok:
            self.note_cluster(text)

    @Slot()
    def _on_export_clicked(self) -> None:
        if self.current is None:
            return
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Export the cluster as an evidence bundle",
            str(self.case.path.parent / f"cluster-{self.current.id}.zip"),
            "Zip bundle (*.zip);;All files (*)")
        if chosen:
            self.export_cluster(Path(chosen))

    @Slot(object)
    def _on_export_finished(self, result: object) -> None:
        done: bundle.ExportResult = result  # type: ignore[assignment]
        self.message.emit(f"Cluster exported: {done.items} items, {done.files} files to "
                          f"{done.path}.")
        self.export_finished.emit(result)

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self.error.emit(f"The cluster could not be exported: {message}")

    @Slot()
    def _on_export_done(self) -> None:
        self._export_job = None
        self._exporting = False
        self._update_actions()
        self.busy_changed.emit(False)
