"""The network picture: nodes and edges built from a cluster, pages and numbers folded into
groups beyond the limit and expanded by a click, a deterministic layout, zoom, and a click on an
item node selecting it."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from evidence.views import ClusterEdge, ClusterMember
from gui.main_window import MainWindow
from gui.network import (
    COLLAPSE_LIMIT,
    PAGE_GROUP,
    PHONE_GROUP,
    NetworkWidget,
    build_graph,
    layout_graph,
)


def _member(n: int, page: str | None, phones: dict[str, str]) -> ClusterMember:
    return ClusterMember(
        id=n, kind="post" if n % 2 else "screenshot", page=page, page_entered=False,
        when=f"2026-03-{1 + n % 28:02d}T10:00:00Z", when_field="posted", when_source="json",
        snippet=f"Fictional crossing advert {n}", phones=phones, media_sha256=None,
        media_readable=False)


def big_cluster(items: int = 40, pages: int = 8, numbers: int = 6):
    """More than COLLAPSE_LIMIT nodes: items cycle over fictional pages and numbers."""
    members = [
        _member(n, f"Blue Wave page {n % pages} (fictional)",
                {f"+90501234{5600 + n % numbers}": f"0501 234 {5600 + n % numbers}"})
        for n in range(1, items + 1)
    ]
    edges = [ClusterEdge(n, n + 1, "image", "auto", "strong", "same photo", n)
             for n in range(1, items)]
    return members, edges


def test_small_clusters_show_every_page_and_number():
    members, edges = big_cluster(items=10, pages=3, numbers=2)
    graph = build_graph(members, edges)
    kinds = [n.kind for n in graph.nodes]
    assert kinds.count("item") == 10 and kinds.count("page") == 3 and kinds.count("phone") == 2
    assert not graph.collapsed
    assert graph.nodes[0].reference and not any(n.reference for n in graph.nodes[1:])
    kinds_of_edges = {e.kind for e in graph.edges}
    assert kinds_of_edges == {"image", "posted by", "shows number"}
    assert len(graph.edges) == 9 + 10 + 10


def test_beyond_the_limit_pages_and_numbers_fold_into_groups_that_expand():
    members, edges = big_cluster()
    assert 40 + 8 + 6 > COLLAPSE_LIMIT
    graph = build_graph(members, edges)
    assert graph.collapsed
    assert not [n for n in graph.nodes if n.kind in ("page", "phone")]
    pages = graph.node(PAGE_GROUP)
    assert pages is not None and pages.label == "8 pages" and len(pages.members) == 8
    assert graph.node(PHONE_GROUP).label == "6 numbers"
    to_group = [e for e in graph.edges if e.b == PAGE_GROUP]
    assert len(to_group) == 40 and all(e.weight == 1 for e in to_group)
    expanded = build_graph(members, edges, expanded={PAGE_GROUP})
    assert len([n for n in expanded.nodes if n.kind == "page"]) == 8
    assert expanded.node(PAGE_GROUP) is None and expanded.node(PHONE_GROUP) is not None


def test_layout_is_deterministic_and_spreads_the_nodes():
    members, edges = big_cluster(items=20, pages=4, numbers=3)
    graph = build_graph(members, edges)
    first = layout_graph(graph)
    assert first == layout_graph(graph)
    assert set(first) == {n.key for n in graph.nodes}
    points = list(first.values())
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in points)
    closest = min(math.dist(p, q) for i, p in enumerate(points) for q in points[i + 1:])
    assert closest > 5.0  # no two nodes drawn on top of each other


@pytest.fixture
def widget(qtbot) -> NetworkWidget:
    w = NetworkWidget()
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    return w


def _click_node(qtbot, widget: NetworkWidget, key: str) -> None:
    pos = widget.node_scene_pos(key)
    assert pos is not None
    widget.view.centerOn(pos)
    qtbot.mouseClick(widget.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=widget.view.mapFromScene(pos))


def test_clicking_a_group_expands_it_and_an_item_node_selects_the_item(widget, qtbot):
    members, edges = big_cluster()
    with qtbot.waitSignal(widget.layout_ready, timeout=20_000):
        widget.show_cluster(members, edges)
    assert widget.graph.collapsed
    assert PAGE_GROUP in widget.node_items
    assert "click a group" in widget.status_label.text()
    with qtbot.waitSignal(widget.layout_ready, timeout=20_000):
        _click_node(qtbot, widget, PAGE_GROUP)
    assert PAGE_GROUP not in widget.node_items
    assert len([k for k in widget.node_items if k.startswith("p:")]) == 8
    assert PHONE_GROUP in widget.node_items  # the other group stays folded
    with qtbot.waitSignal(widget.item_activated, timeout=2000) as blocker:
        _click_node(qtbot, widget, "i:7")
    assert blocker.args == [7]


def test_zoom_keeps_within_bounds(widget, qtbot):
    members, edges = big_cluster(items=6, pages=2, numbers=1)
    with qtbot.waitSignal(widget.layout_ready, timeout=20_000):
        widget.show_cluster(members, edges)
    for _ in range(40):
        widget.view.zoom(1.5)
    assert widget.view.transform().m11() == pytest.approx(6.0)
    for _ in range(80):
        widget.view.zoom(0.5)
    assert widget.view.transform().m11() == pytest.approx(0.1)


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "tideline_test_clusters_builder", Path(__file__).with_name("test_clusters.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_cluster_case


def test_network_tab_of_a_case_cluster_selects_items_in_the_workstation(
        qtbot, settings, monkeypatch, tmp_path, pngs):
    built = _load_builder()(tmp_path, pngs)
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(
        lambda *a, **k: QMessageBox.StandardButton.Ok))
    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_case(built["path"])
    clusters = win.clusters
    with qtbot.waitSignal(clusters.network.layout_ready, timeout=20_000):
        win.clusters_action.trigger()
    clusters.tabs.setCurrentWidget(clusters.network)
    graph = clusters.network.graph
    assert {n.key for n in graph.nodes if n.kind == "item"} == {
        f"i:{built[k]}" for k in "abcd"}
    assert graph.node(f"n:{built['phone']}") is not None
    phone_links = [e for e in graph.edges if e.kind == "phone"]
    assert len(phone_links) == 3
    clusters.network.fit()
    _click_node(qtbot, clusters.network, f"i:{built['b']}")
    assert win.stack.currentWidget() is win.workstation
    assert win.workstation.selected_ids() == [built["b"]]
    win.close()
