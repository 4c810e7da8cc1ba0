"""The facet panel on the left of the workstation: what the case holds, counted, one click from
a filter.

Sections: imports (sources), tags, phone numbers (most shared first), clusters (their sizes),
watchlist hits, review status, and the files imports rejected or could not read (these are not
items, so they are listed with their reasons rather than filtering the list). Clicking a facet
emits ``filter_requested`` with a filter term the search parser understands (``source:2``,
``tag:boat``, ``phone:+90…``, ``cluster:7``, ``status:untagged``); the workstation combines it
with whatever is in the search box.

Counts come from ``evidence.views.facet_counts``; after a write only the sections the change
set touches are counted again. Clusters come from ``analysis.linking.clusters`` on a worker
thread with a read-only connection of its own.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evidence import views
from evidence.case import Case
from evidence.changes import ChangeSet
from gui import workers

FILTER_ROLE = Qt.ItemDataRole.UserRole + 11
MAX_PHONES = 50
MAX_CLUSTERS = 200
STATUS_LABELS = {
    "untagged": "Untagged",
    "tagged": "Tagged",
    "linked": "Has links",
    "unreviewed": "Has unreviewed links",
}
SECTIONS = ("sources", "tags", "phones", "clusters", "watch", "status")
_TITLES = {
    "sources": "Imports",
    "tags": "Tags",
    "phones": "Phone numbers",
    "clusters": "Clusters",
    "watch": "Watchlist hits",
    "status": "Review status",
}
_MUTED = QColor("#6b7280")


def quote(value: str) -> str:
    """A filter value as the search parser reads it back (quoted when it has spaces)."""
    return f'"{value}"' if any(c.isspace() for c in value) or '"' in value else value


def cluster_members(case_path: Path, *, progress: object = None,
                    cancel: object = None) -> dict[int, list[int]]:
    """Runs on a worker: each cluster's id and its items, largest first."""
    from analysis.linking import clusters

    case = Case.open(case_path, readonly=True)
    try:
        return {c["id"]: list(c["items"]) for c in clusters(case)}
    finally:
        case.close()


class FacetsWidget(QWidget):
    """The facet tree and the list of rejected files for one case."""

    filter_requested = Signal(str)
    clusters_ready = Signal(object)  # dict cluster id -> item ids

    def __init__(self, reader: Case, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.counts: views.FacetCounts | None = None
        self.clusters: dict[int, list[int]] | None = None
        self._cluster_job: workers.BackgroundJob | None = None
        self._build()
        self._connect()

    def _build(self) -> None:
        self.setAccessibleName("Filters")
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAccessibleName("Filter by")
        self.tree.setStyleSheet("QTreeWidget { border: none; }")
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)
        self.sections: dict[str, QTreeWidgetItem] = {}
        bold = QFont(self.font())
        bold.setBold(True)
        for key in SECTIONS:
            section = QTreeWidgetItem([_TITLES[key], ""])
            section.setFont(0, bold)
            section.setFlags(Qt.ItemFlag.ItemIsEnabled)
            section.setData(0, FILTER_ROLE, "")
            self.tree.addTopLevelItem(section)
            section.setExpanded(key in ("sources", "tags", "phones", "clusters", "status"))
            self.sections[key] = section
        self.rejected_label = QLabel("Rejected or unreadable files")
        self.rejected_label.setFont(bold)
        self.rejected_list = QListWidget()
        self.rejected_list.setAccessibleName("Rejected or unreadable files")
        self.rejected_list.setWordWrap(True)
        self.rejected_list.setMaximumHeight(160)
        self.rejected_list.setStyleSheet("QListWidget { border: none; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.rejected_label)
        layout.addWidget(self.rejected_list)

    def _connect(self) -> None:
        self.tree.itemClicked.connect(self._on_tree_item_clicked)

    # -- public -------------------------------------------------------------------------------

    def refresh(self, compute_clusters: bool = True) -> None:
        """Count everything again (on opening the case, after an import)."""
        self.counts = views.facet_counts(self.reader)
        for key in ("sources", "tags", "phones", "watch", "status"):
            self._fill(key)
        self._fill_rejected()
        if compute_clusters:
            self.start_clusters()
        else:
            self._fill("clusters")

    def apply_changes(self, changes: ChangeSet) -> None:
        """Recount only what a write can have changed."""
        if self.counts is None or changes.sources:
            self.refresh()
            return
        if changes.tags or changes.items:
            self.counts.tags = views.tag_counts(self.reader)
            self._fill("tags")
        if changes.items or changes.links or changes.tags:
            self.counts.statuses = views.status_counts(self.reader)
            self._fill("status")
        if changes.watchlist:
            self.counts.watch_hits = views.watch_counts(self.reader)
            self._fill("watch")
        if changes.links:
            self.start_clusters()

    def start_clusters(self) -> workers.BackgroundJob:
        section = self.sections["clusters"]
        section.setText(1, "…")
        job = workers.run_in_background(cluster_members, self.reader.path, parent=self,
                                        show_dialog=False)
        job.finished.connect(self._on_clusters_finished)
        job.failed.connect(self._on_clusters_failed)
        self._cluster_job = job
        return job

    def shutdown(self) -> None:
        if self._cluster_job is not None and self._cluster_job.running:
            self._cluster_job.cancel()

    def entries(self, section: str) -> list[tuple[str, str, str | None]]:
        """(label, count, filter term) of each row of a section, as shown.

        Every row carries a FILTER_ROLE string: PySide6 6.12 loses a reference to None each
        time an empty QVariant is read back from Python.
        """
        parent = self.sections[section]
        return [(parent.child(n).text(0), parent.child(n).text(1),
                 parent.child(n).data(0, FILTER_ROLE)) for n in range(parent.childCount())]

    # -- filling ------------------------------------------------------------------------------

    def _fill(self, key: str) -> None:
        counts = self.counts
        rows: list[tuple[str, int, str | None, str | None]] = []  # label, count, term, colour
        if key == "sources" and counts is not None:
            rows = [(f"{s.id}. {Path(s.path).name or s.path} ({s.kind})", s.items,
                     f"source:{s.id}", None) for s in counts.sources]
        elif key == "tags" and counts is not None:
            rows = [(name, n, f"tag:{quote(name)}", colour) for name, colour, n in counts.tags]
        elif key == "phones" and counts is not None:
            rows = [(value, n, f"phone:{value}", None)
                    for value, n in counts.phones[:MAX_PHONES]]
        elif key == "watch" and counts is not None:
            rows = [(f"{w.value} ({w.list_name})", w.items,
                     f"phone:{w.value}" if w.kind == "phone" else quote(w.value), None)
                    for w in counts.watch_hits]
        elif key == "status" and counts is not None:
            rows = [(STATUS_LABELS[s], counts.statuses.get(s, 0), f"status:{s}", None)
                    for s in views.STATUS_VALUES]
        elif key == "clusters" and self.clusters is not None:
            rows = [(f"Cluster {cid}", len(items), f"cluster:{cid}", None)
                    for cid, items in list(self.clusters.items())[:MAX_CLUSTERS]]
        section = self.sections[key]
        section.takeChildren()
        for label, n, term, colour in rows:
            child = QTreeWidgetItem([label, f"{n:,}"])
            child.setData(0, FILTER_ROLE, term)
            child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            child.setForeground(1, QBrush(_MUTED))
            child.setToolTip(0, f"Show only {term}" if term else label)
            if colour:
                child.setForeground(0, QBrush(QColor(colour).darker(130)))
            section.addChild(child)
        section.setText(1, f"{len(rows):,}" if rows else "")
        if not rows:
            empty = QTreeWidgetItem([_EMPTY[key], ""])
            empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
            empty.setData(0, FILTER_ROLE, "")  # never an empty QVariant: see entries()
            empty.setForeground(0, QBrush(_MUTED))
            section.addChild(empty)

    def _fill_rejected(self) -> None:
        self.rejected_list.clear()
        problems = self.counts.import_errors if self.counts is not None else []
        for p in problems:
            entry = QListWidgetItem(f"{Path(p.path).name}: {p.reason}")
            entry.setToolTip(f"{p.path}\nin import {p.source_id} ({p.source_path})\n{p.reason}")
            self.rejected_list.addItem(entry)
        self.rejected_label.setText(f"Rejected or unreadable files ({len(problems):,})"
                                    if problems else "Rejected or unreadable files: none")
        self.rejected_list.setVisible(bool(problems))

    # -- slots --------------------------------------------------------------------------------

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        term = item.data(0, FILTER_ROLE)
        if term:
            self.filter_requested.emit(str(term))

    @Slot(object)
    def _on_clusters_finished(self, members: object) -> None:
        self.clusters = dict(members) if isinstance(members, dict) else {}
        self._fill("clusters")
        self.clusters_ready.emit(self.clusters)

    @Slot(str)
    def _on_clusters_failed(self, message: str) -> None:
        self.clusters = {}
        self._fill("clusters")
        self.sections["clusters"].setToolTip(0, message)


_EMPTY = {
    "sources": "No imports yet",
    "tags": "No tags yet",
    "phones": "No phone numbers found yet",
    "clusters": "No clusters (run analysis)",
    "watch": "No watchlist hits",
    "status": "",
}
