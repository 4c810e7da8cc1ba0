"""The network picture of one cluster: items, pages and phone numbers as nodes; links, "posted by"
and "shows number" as edges, drawn with a QGraphicsScene.

The graph is built and laid out off the GUI thread (``compute_network``: a plain function of
the cluster's members and edges, deterministic for the same input, numpy force-directed
layout). Beyond ``COLLAPSE_LIMIT`` nodes, pages and numbers are folded into one group node
each so the items stay readable; clicking a group expands it (and lays the graph out again).
Clicking an item node emits ``item_activated`` so the window can select it in the workstation.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from evidence.progress import check
from evidence.views import ClusterEdge, ClusterMember
from gui import workers

COLLAPSE_LIMIT = 50  # nodes; past this, pages and numbers fold into group nodes
LAYOUT_ITERATIONS = 300
NODE_KEY = 0  # QGraphicsItem.data() slot holding a node's key
CLICK_SLOP = 4  # pixels a press may move and still count as a click, not a pan

KIND_COLOURS = {"screenshot": "#4c78a8", "post": "#59a14f", "message": "#b07aa1"}
PAGE_COLOUR = "#e8a33d"
PHONE_COLOUR = "#d1495b"
EDGE_COLOURS = {"image": "#4c78a8", "same file": "#4c78a8", "phone": "#d1495b",
                "text": "#7f7f7f", "posted by": "#c9b89a", "shows number": "#e6a5ad"}
PAGE_GROUP = "g:pages"
PHONE_GROUP = "g:phones"


@dataclass
class NetNode:
    key: str  # "i:<item id>", "p:<page>", "n:<E.164>", or a group key
    kind: str  # "item", "page", "phone" or "group"
    label: str
    item_id: int | None = None
    item_kind: str = ""
    reference: bool = False
    members: list[str] = field(default_factory=list)  # what a group node stands for


@dataclass
class NetEdge:
    a: str
    b: str
    kind: str  # a link kind, "same file", "posted by" or "shows number"
    weight: int = 1  # how many edges a group edge stands for
    strong: bool = True


@dataclass
class NetGraph:
    nodes: list[NetNode]
    edges: list[NetEdge]
    collapsed: bool  # True when some pages or numbers are folded into a group

    def node(self, key: str) -> NetNode | None:
        return next((n for n in self.nodes if n.key == key), None)


@dataclass
class NetworkLayout:
    graph: NetGraph
    positions: dict[str, tuple[float, float]]


def build_graph(members: list[ClusterMember], edges: list[ClusterEdge],
                expanded: set[str] | frozenset[str] = frozenset(),
                limit: int = COLLAPSE_LIMIT) -> NetGraph:
    """The nodes and edges for a cluster; pages and numbers fold into groups past ``limit``
    nodes unless their group key (``PAGE_GROUP``, ``PHONE_GROUP``) is in ``expanded``."""
    reference = members[0].id if members else None
    nodes = [NetNode(f"i:{m.id}", "item", f"#{m.id}", m.id, m.kind, m.id == reference)
             for m in members]
    pages: Counter[str] = Counter()
    phones: dict[str, str] = {}
    phone_counts: Counter[str] = Counter()
    raw: list[NetEdge] = []
    for m in members:
        if m.page:
            pages[m.page] += 1
            raw.append(NetEdge(f"i:{m.id}", f"p:{m.page}", "posted by"))
        for value, shown in m.phones.items():
            phones.setdefault(value, shown)
            phone_counts[value] += 1
            raw.append(NetEdge(f"i:{m.id}", f"n:{value}", "shows number"))
    ids = {m.id for m in members}
    for e in edges:
        if e.a in ids and e.b in ids:
            raw.append(NetEdge(f"i:{e.a}", f"i:{e.b}", e.kind,
                               strong=e.status == "confirmed" or e.band == "strong"))
    total = len(nodes) + len(pages) + len(phones)
    collapse = total > limit
    fold: dict[str, str] = {}
    if collapse and pages and PAGE_GROUP not in expanded:
        nodes.append(NetNode(PAGE_GROUP, "group", f"{len(pages)} pages",
                             members=[f"p:{p}" for p in sorted(pages)]))
        fold.update({f"p:{p}": PAGE_GROUP for p in pages})
    else:
        nodes += [NetNode(f"p:{p}", "page", p) for p in sorted(pages)]
    if collapse and phones and PHONE_GROUP not in expanded:
        nodes.append(NetNode(PHONE_GROUP, "group", f"{len(phones)} numbers",
                             members=[f"n:{v}" for v in sorted(phones)]))
        fold.update({f"n:{v}": PHONE_GROUP for v in phones})
    else:
        nodes += [NetNode(f"n:{v}", "phone", v) for v in sorted(phones)]
    merged: dict[tuple[str, str, str], NetEdge] = {}
    for e in raw:
        a, b = fold.get(e.a, e.a), fold.get(e.b, e.b)
        key = (a, b, e.kind)
        if key in merged:
            merged[key].weight += 1
            merged[key].strong = merged[key].strong or e.strong
        else:
            merged[key] = NetEdge(a, b, e.kind, 1, e.strong)
    return NetGraph(nodes, list(merged.values()), bool(fold))


def layout_graph(graph: NetGraph, iterations: int = LAYOUT_ITERATIONS,
                 cancel: object = None) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold positions in scene units; the same graph gives the same picture.

    Start positions come from the node order (items by time, then pages, then numbers) on a
    circle, so nothing random enters; the result is scaled so an average node has room.
    """
    n = len(graph.nodes)
    if n == 0:
        return {}
    if n == 1:
        return {graph.nodes[0].key: (0.0, 0.0)}
    index = {node.key: i for i, node in enumerate(graph.nodes)}
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    pos = np.column_stack([np.cos(angles), np.sin(angles)]) * math.sqrt(n)
    pairs = np.array([(index[e.a], index[e.b]) for e in graph.edges
                      if e.a in index and e.b in index], dtype=int).reshape(-1, 2)
    weights = np.array([1.0 + math.log(e.weight) for e in graph.edges
                        if e.a in index and e.b in index])
    degree = np.bincount(pairs.ravel(), minlength=n).astype(float) if len(pairs) else \
        np.zeros(n)
    # Repulsion grows with both ends' degree (as in ForceAtlas2), so hubs such as a shared
    # number or a group node push each other and their neighbours apart instead of stacking.
    mass = np.outer(degree + 1, degree + 1)
    k = 1.0
    temperature = math.sqrt(n) / 4
    cooling = temperature / (iterations + 1)
    for step in range(iterations):
        if step % 25 == 0:
            check(cancel)  # type: ignore[arg-type]
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta ** 2).sum(-1))
        np.fill_diagonal(dist, 1.0)
        dist = np.maximum(dist, 0.01)
        force = (delta * ((k * k) * mass / dist ** 2)[:, :, None]).sum(1)
        if len(pairs):
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            length = np.maximum(np.sqrt((d ** 2).sum(-1)), 0.01)
            pull = d * (length * weights / k)[:, None]
            np.add.at(force, pairs[:, 0], -pull)
            np.add.at(force, pairs[:, 1], pull)
        # A weak pull to the centre keeps separate parts of a graph from drifting apart.
        force -= pos * 0.05
        size = np.maximum(np.sqrt((force ** 2).sum(-1)), 1e-9)
        pos += force / size[:, None] * np.minimum(size, temperature)[:, None]
        temperature -= cooling
    pos -= pos.mean(0)
    spread = np.sqrt((pos ** 2).sum(-1)).max() or 1.0
    scale = 100.0 * math.sqrt(n) / spread
    return {node.key: (float(pos[i, 0] * scale), float(pos[i, 1] * scale))
            for i, node in enumerate(graph.nodes)}


def compute_network(members: list[ClusterMember], edges: list[ClusterEdge],
                    expanded: set[str] | frozenset[str] = frozenset(),
                    limit: int = COLLAPSE_LIMIT, *, progress: object = None,
                    cancel: object = None) -> NetworkLayout:
    """Build and lay out the graph: runs on a worker thread (no Qt objects are made)."""
    graph = build_graph(members, edges, expanded, limit)
    n = len(graph.nodes)
    # Each step costs n² work: big clusters take fewer, still enough to settle a calm picture.
    steps = LAYOUT_ITERATIONS if n <= 150 else max(80, LAYOUT_ITERATIONS * 150 // n)
    return NetworkLayout(graph, layout_graph(graph, steps, cancel=cancel))


# -- drawing -----------------------------------------------------------------------------------


class NetworkView(QGraphicsView):
    """Zoom with the wheel, pan by dragging; a click (not a drag) on a node emits its key."""

    node_clicked = Signal(str)

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAccessibleName("Cluster network")
        self._press: tuple[QPointF, str | None] | None = None

    def node_key_at(self, pos: QPointF) -> str | None:
        for item in self.items(pos.toPoint()):
            key = item.data(NODE_KEY)
            if key:
                return str(key)
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.15 ** (event.angleDelta().y() / 120)
        self.zoom(factor)

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(0.1 / current, min(factor, 6.0 / current))
        self.scale(factor, factor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = (event.position(), self.node_key_at(event.position()))
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, self._press = self._press, None
        super().mouseReleaseEvent(event)
        if press is None or press[1] is None:
            return
        moved = event.position() - press[0]
        if abs(moved.x()) + abs(moved.y()) <= CLICK_SLOP:
            self.node_clicked.emit(press[1])


def _node_shape(node: NetNode) -> tuple[QPainterPath, QColor, float]:
    path = QPainterPath()
    if node.kind == "item":
        r = 13.0 if node.reference else 10.0
        path.addEllipse(QPointF(0, 0), r, r)
        return path, QColor(KIND_COLOURS.get(node.item_kind, "#4c78a8")), r
    if node.kind == "page":
        path.addRoundedRect(QRectF(-11, -11, 22, 22), 5, 5)
        return path, QColor(PAGE_COLOUR), 11.0
    if node.kind == "phone":
        path.moveTo(0, -12)
        path.lineTo(12, 0)
        path.lineTo(0, 12)
        path.lineTo(-12, 0)
        path.closeSubpath()
        return path, QColor(PHONE_COLOUR), 12.0
    path.addRoundedRect(QRectF(-50, -16, 100, 32), 10, 10)
    colour = PAGE_COLOUR if node.key == PAGE_GROUP else PHONE_COLOUR
    return path, QColor(colour).lighter(130), 16.0


def _elide(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NetworkWidget(QWidget):
    """The network of one cluster: toolbar, legend and the zoomable picture."""

    item_activated = Signal(int)  # an item node was clicked
    layout_ready = Signal()  # a new picture is on screen
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, limit: int = COLLAPSE_LIMIT) -> None:
        super().__init__(parent)
        self.limit = limit
        self.members: list[ClusterMember] = []
        self.edges: list[ClusterEdge] = []
        self.expanded: set[str] = set()
        self.graph: NetGraph | None = None
        self.positions: dict[str, tuple[float, float]] = {}
        self.node_items: dict[str, QGraphicsItem] = {}
        self._job: workers.BackgroundJob | None = None
        self._generation = 0
        self._build()
        self._connect()

    def _build(self) -> None:
        self.scene = QGraphicsScene(self)
        self.view = NetworkView(self.scene)
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show the whole network")
        self.zoom_in_button = QToolButton()
        self.zoom_in_button.setText("+")
        self.zoom_in_button.setToolTip("Zoom in (or use the mouse wheel)")
        self.zoom_out_button = QToolButton()
        self.zoom_out_button.setText("−")
        self.zoom_out_button.setToolTip("Zoom out")
        self.status_label = QLabel()
        self.status_label.setAccessibleName("Network status")
        self.status_label.setStyleSheet("color: palette(placeholder-text);")
        legend = QLabel(
            f"<span style='color:{KIND_COLOURS['screenshot']}'>●</span> screenshot&nbsp; "
            f"<span style='color:{KIND_COLOURS['post']}'>●</span> post&nbsp; "
            f"<span style='color:{KIND_COLOURS['message']}'>●</span> message&nbsp;&nbsp; "
            f"<span style='color:{PAGE_COLOUR}'>■</span> page&nbsp;&nbsp; "
            f"<span style='color:{PHONE_COLOUR}'>◆</span> phone number&nbsp;&nbsp; "
            "large ring = reference (earliest) item"
        )
        legend.setAccessibleName("Network legend")
        top = QHBoxLayout()
        top.addWidget(self.fit_button)
        top.addWidget(self.zoom_in_button)
        top.addWidget(self.zoom_out_button)
        top.addSpacing(12)
        top.addWidget(legend)
        top.addStretch(1)
        top.addWidget(self.status_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def _connect(self) -> None:
        self.view.node_clicked.connect(self._on_view_node_clicked)
        self.fit_button.clicked.connect(self.fit)
        self.zoom_in_button.clicked.connect(lambda: self.view.zoom(1.25))
        self.zoom_out_button.clicked.connect(lambda: self.view.zoom(0.8))

    # -- public -------------------------------------------------------------------------------

    def show_cluster(self, members: list[ClusterMember], edges: list[ClusterEdge]) -> None:
        """Lay out and draw a cluster; groups start folded again."""
        self.members = list(members)
        self.edges = list(edges)
        self.expanded = set()
        self._relayout()

    def clear(self) -> None:
        self._generation += 1
        self.members, self.edges, self.graph, self.positions = [], [], None, {}
        self.scene.clear()
        self.node_items = {}
        self.status_label.setText("")

    def activate_node(self, key: str) -> None:
        """What a click on a node does: select an item, or expand a group."""
        node = self.graph.node(key) if self.graph else None
        if node is None:
            return
        if node.kind == "item" and node.item_id is not None:
            self.item_activated.emit(node.item_id)
        elif node.kind == "group":
            self.expanded.add(key)
            self._relayout()

    def node_scene_pos(self, key: str) -> QPointF | None:
        item = self.node_items.get(key)
        return item.scenePos() if item is not None else None

    @Slot()
    def fit(self) -> None:
        rect = self.scene.itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if rect.isValid():
            self.view.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            if self.view.transform().m11() > 1.5:  # a tiny graph should not be blown up
                self.view.resetTransform()
                self.view.centerOn(rect.center())

    def shutdown(self) -> None:
        if self._job is not None and self._job.running:
            self._job.cancel()

    # -- layout and drawing -------------------------------------------------------------------

    def _relayout(self) -> None:
        if self._job is not None and self._job.running:
            self._job.cancel()
        self._generation += 1
        generation = self._generation
        self.status_label.setText("Laying out…")
        job = workers.run_in_background(
            compute_network, self.members, self.edges, frozenset(self.expanded), self.limit,
            parent=self, label="Laying out the network…", show_dialog=False)
        job.finished.connect(lambda result, g=generation: self._on_layout_finished(g, result))
        job.failed.connect(self._on_layout_failed)
        self._job = job

    def _on_layout_finished(self, generation: int, result: object) -> None:
        if generation != self._generation or not isinstance(result, NetworkLayout):
            return  # a newer request replaced this one
        self.graph, self.positions = result.graph, result.positions
        self._draw()
        self.fit()
        items = sum(1 for n in self.graph.nodes if n.kind == "item")
        note = " Pages and numbers are grouped: click a group to expand it." \
            if self.graph.collapsed else ""
        self.status_label.setText(f"{items} items, {len(self.graph.nodes) - items} other nodes, "
                                  f"{len(self.graph.edges)} edges.{note}")
        self.layout_ready.emit()

    @Slot(str)
    def _on_layout_failed(self, message: str) -> None:
        self.status_label.setText("")
        self.error.emit(f"The network could not be laid out: {message}")

    def _draw(self) -> None:
        assert self.graph is not None
        self.scene.clear()
        self.node_items = {}
        for edge in self.graph.edges:
            if edge.a not in self.positions or edge.b not in self.positions:
                continue
            a, b = QPointF(*self.positions[edge.a]), QPointF(*self.positions[edge.b])
            path = QPainterPath(a)
            path.lineTo(b)
            line = QGraphicsPathItem(path)
            pen = QPen(QColor(EDGE_COLOURS.get(edge.kind, "#999999")))
            pen.setWidthF(min(1.2 + math.log(edge.weight) * 0.8, 4.0))
            if not edge.strong:
                pen.setStyle(Qt.PenStyle.DashLine)
            line.setPen(pen)
            line.setZValue(-1)
            line.setToolTip(edge.kind if edge.weight == 1 else f"{edge.kind} ×{edge.weight}")
            self.scene.addItem(line)
        label_font = QFont(self.font())
        label_font.setPointSizeF(max(label_font.pointSizeF() * 0.9, 7.0))
        for node in self.graph.nodes:
            x, y = self.positions[node.key]
            path, colour, radius = _node_shape(node)
            shape = QGraphicsPathItem(path)
            shape.setBrush(QBrush(colour))
            pen = QPen(QColor("#1f2937") if node.reference else colour.darker(140))
            pen.setWidthF(3.0 if node.reference else 1.0)
            shape.setPen(pen)
            shape.setPos(x, y)
            shape.setData(NODE_KEY, node.key)
            # Nodes and their labels keep their size on screen at any zoom; only the distances
            # between them scale, so a zoomed-out picture stays readable.
            shape.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            shape.setCursor(Qt.CursorShape.PointingHandCursor)
            shape.setToolTip(self._tooltip(node))
            self.scene.addItem(shape)
            self.node_items[node.key] = shape
            text = node.label if node.kind != "page" else _elide(node.label)
            if node.reference:
                text += " (reference)"
            label = QGraphicsSimpleTextItem(text, shape)
            label.setFont(label_font)
            label.setBrush(QBrush(self.palette().text().color()))
            width = label.boundingRect().width()
            if node.kind == "group":
                label.setPos(-width / 2, -label.boundingRect().height() / 2)
            else:
                label.setPos(-width / 2, radius + 2)
        if self.graph.collapsed:
            # The scene rect follows the items; a group's hint shows under it.
            for key in (PAGE_GROUP, PHONE_GROUP):
                if key in self.node_items:
                    hint = QGraphicsSimpleTextItem("click to expand", self.node_items[key])
                    hint.setFont(label_font)
                    hint.setBrush(QBrush(QColor("#6b7280")))
                    hint.setPos(-hint.boundingRect().width() / 2, 20)

    def _tooltip(self, node: NetNode) -> str:
        if node.kind == "item":
            member = next((m for m in self.members if m.id == node.item_id), None)
            when = f"\n{member.when_field} {member.when}" if member and member.when else ""
            page = f"\n{member.page}" if member and member.page else ""
            ref = "\nReference: the earliest item of the cluster" if node.reference else ""
            return f"Item #{node.item_id} ({node.item_kind}){page}{when}{ref}\nClick to select"
        if node.kind == "group":
            return f"{node.label}: click to show each one"
        return f"{'Page' if node.kind == 'page' else 'Phone number'}: {node.label}"

    @Slot(str)
    def _on_view_node_clicked(self, key: str) -> None:
        self.activate_node(key)

