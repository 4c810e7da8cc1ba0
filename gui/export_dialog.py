"""File > Export Bundle…: choose what to export and where, write the bundle, show the outcome.

The dialog owns choosing a scope (every item, a tag, the items selected in the workstation, or
a cluster by id) and a destination (a new BagIt folder or a ``.zip``). The export itself runs
``evidence.bundle.export_bundle`` on a worker through ``gui.workers.run_in_background``; scope
resolution happens on that worker too, since finding a cluster means running the clustering.
The dialog is modal, so nothing else in the window writes to the case while the export (which
is recorded in the case's audit log) runs. The result is shown as one line: where the bundle
is, what it holds and the digest the case's audit log records; an error as its one sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from evidence import bundle, store
from evidence.case import Case
from evidence.errors import TidelineError
from gui import workers

SCOPES = ("all", "tag", "items", "cluster")
FORMAT_FOLDER, FORMAT_ZIP = 0, 1


def resolve_scope(case: Case, kind: str, value: str | int | None,
                  selected: Sequence[int] = ()) -> bundle.ExportScope:
    """The ``ExportScope`` for a choice made in the dialog; one-sentence ``TidelineError``
    when it names nothing."""
    if kind == "all":
        return bundle.scope_all(case)
    if kind == "tag":
        if not value:
            raise TidelineError("Choose a tag to export.")
        return bundle.scope_tag(case, str(value))
    if kind == "items":
        if not selected:
            raise TidelineError("No items are selected: select them in View > Items first.")
        return bundle.scope_items(case, selected)
    if kind == "cluster":
        from analysis.linking import clusters

        for cluster in clusters(case):
            if str(cluster["id"]) == str(value):
                return bundle.ExportScope("cluster", str(cluster["id"]), list(cluster["items"]))
        raise TidelineError(f"There is no cluster {value} in this case.")
    raise TidelineError(f"Unknown export scope '{kind}'.")


def export_scope(case: Case, out: Path, kind: str, value: str | int | None,
                 selected: Sequence[int] = (), *, progress: object = None,
                 cancel: object = None) -> bundle.ExportResult:
    """Runs on a worker: resolve the scope, then write the bundle."""
    from analysis.linking import clusters

    scope = resolve_scope(case, kind, value, selected)
    return bundle.export_bundle(case, out, scope, progress=progress,  # type: ignore[arg-type]
                                cancel=cancel,  # type: ignore[arg-type]
                                clusters=clusters(case))


def summary_sentence(result: bundle.ExportResult) -> str:
    derived = f", {result.derived_files} derived files" if result.derived_files else ""
    previews = f", {result.previews} previews" if result.previews else ""
    return (f"Exported {result.items} items, {result.files} original files{previews}{derived} "
            f"and {result.links} links to {result.path}; tag manifest SHA-256 "
            f"{result.tagmanifest_sha256}.")


class ExportBundleDialog(QDialog):
    """Choose a scope and destination, then export; shows the result or the error."""

    export_finished = Signal(object)  # the ExportResult
    export_failed = Signal(str)  # one sentence
    export_cancelled = Signal()

    def __init__(self, case: Case, selected_ids: Sequence[int] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case = case
        self.selected_ids = list(selected_ids)
        self.job: workers.BackgroundJob | None = None
        self.result: bundle.ExportResult | None = None
        self.setWindowTitle("Export Evidence Bundle")
        self.setAccessibleName("Export evidence bundle")
        self.setModal(True)
        self._build()
        self._connect()
        self._update_controls()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        total = len(store.item_ids(self.case))
        self.all_radio = QRadioButton(f"&All items in the case ({total:,})")
        self.tag_radio = QRadioButton("Items with the &tag")
        self.tag_combo = QComboBox()
        self.tag_combo.setAccessibleName("Tag to export")
        for tag in store.tags(self.case):
            self.tag_combo.addItem(f"{tag['name']} ({tag['items']})", tag["name"])
        self.items_radio = QRadioButton(f"The &selected items ({len(self.selected_ids):,})")
        self.cluster_radio = QRadioButton("The items of &cluster")
        self.cluster_spin = QSpinBox()
        self.cluster_spin.setRange(1, 2**31 - 1)
        self.cluster_spin.setAccessibleName("Cluster id")
        self.cluster_spin.setToolTip("A cluster's id is the id of its earliest item "
                                     "(see View > Clusters)")
        self.scope_group = QButtonGroup(self)
        for n, radio in enumerate((self.all_radio, self.tag_radio, self.items_radio,
                                   self.cluster_radio)):
            self.scope_group.addButton(radio, n)
        if not self.tag_combo.count():
            self.tag_radio.setEnabled(False)
        if self.selected_ids:
            self.items_radio.setChecked(True)
        else:
            self.items_radio.setEnabled(False)
            self.all_radio.setChecked(True)

        scope_box = QGroupBox("What to export")
        scope_layout = QVBoxLayout(scope_box)
        scope_layout.addWidget(self.all_radio)
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.tag_radio)
        tag_row.addWidget(self.tag_combo, 1)
        scope_layout.addLayout(tag_row)
        scope_layout.addWidget(self.items_radio)
        cluster_row = QHBoxLayout()
        cluster_row.addWidget(self.cluster_radio)
        cluster_row.addWidget(self.cluster_spin, 1)
        scope_layout.addLayout(cluster_row)

        self.dest_edit = QLineEdit(str(self._default_destination()))
        self.dest_edit.setAccessibleName("Bundle destination")
        self.format_combo = QComboBox()
        self.format_combo.addItems(["BagIt folder", "Zip file (.zip)"])
        self.format_combo.setAccessibleName("Bundle format")
        self.browse_button = QPushButton("&Browse…")
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest_edit, 1)
        dest_row.addWidget(self.browse_button)
        dest_box = QGroupBox("Where to write it")
        dest_form = QFormLayout(dest_box)
        dest_form.addRow("New bundle:", dest_row)
        dest_form.addRow("Format:", self.format_combo)

        self.result_label = QLabel("The export is recorded in the case's audit log.")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName("Export result")

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("&Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)

        layout = QVBoxLayout(self)
        layout.addWidget(scope_box)
        layout.addWidget(dest_box)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.resize(620, self.sizeHint().height())

    def _connect(self) -> None:
        self.scope_group.idToggled.connect(self._on_scope_toggled)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.close_button.clicked.connect(self.reject)

    def _default_destination(self) -> Path:
        stem = self.case.path.name.removesuffix(".tideline")
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        return self.case.path.absolute().parent / f"{stem}-bundle-{stamp}"

    # -- state --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def scope_choice(self) -> tuple[str, str | int | None]:
        kind = SCOPES[max(self.scope_group.checkedId(), 0)]
        if kind == "tag":
            return kind, self.tag_combo.currentData()
        if kind == "cluster":
            return kind, self.cluster_spin.value()
        if kind == "items":
            return kind, ",".join(map(str, self.selected_ids))
        return kind, None

    def destination(self) -> Path | None:
        text = self.dest_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        zipped = self.format_combo.currentIndex() == FORMAT_ZIP
        if zipped and path.suffix.lower() != ".zip":
            path = path.with_name(path.name + ".zip")
        elif not zipped and path.suffix.lower() == ".zip":
            path = path.with_suffix("")
        # Absolute now: the worker must not depend on the process's working directory.
        return path.absolute()

    def _update_controls(self) -> None:
        busy = self.running
        for widget in (self.all_radio, self.tag_radio, self.items_radio, self.cluster_radio,
                       self.tag_combo, self.cluster_spin, self.dest_edit, self.format_combo,
                       self.browse_button, self.export_button):
            widget.setEnabled(not busy)
        if not busy:
            self.tag_radio.setEnabled(self.tag_combo.count() > 0)
            self.items_radio.setEnabled(bool(self.selected_ids))
            self.tag_combo.setEnabled(self.tag_radio.isChecked())
            self.cluster_spin.setEnabled(self.cluster_radio.isChecked())
            self.export_button.setEnabled(self.case.writable)
        self.close_button.setEnabled(not busy)

    # -- exporting ----------------------------------------------------------------------------

    def start_export(self) -> workers.BackgroundJob | None:
        """Export the chosen scope to the chosen destination on a worker."""
        if self.running:
            return None
        out = self.destination()
        if out is None:
            self._show_error("Choose where to write the bundle.")
            return None
        kind, value = self.scope_choice()
        self.result = None
        self.result_label.setText(f"Exporting to {out}…")
        self.job = workers.run_in_background(
            export_scope, self.case, out, kind, value, list(self.selected_ids),
            parent=self, label="Exporting the evidence bundle…")
        self.job.finished.connect(self._on_job_finished)
        self.job.failed.connect(self._on_job_failed)
        self.job.cancelled.connect(self._on_job_cancelled)
        self.job.done.connect(self._update_controls)
        self._update_controls()
        return self.job

    def _show_error(self, sentence: str) -> None:
        self.result_label.setText(sentence)
        self.export_failed.emit(sentence)

    @Slot(int, bool)
    def _on_scope_toggled(self, _id: int, _checked: bool) -> None:
        self._update_controls()

    @Slot(int)
    def _on_format_changed(self, _index: int) -> None:
        out = self.destination()
        if out is not None:
            self.dest_edit.setText(str(out))

    @Slot()
    def _on_browse_clicked(self) -> None:
        zipped = self.format_combo.currentIndex() == FORMAT_ZIP
        current = self.dest_edit.text().strip()
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Write the evidence bundle to", current,
            "Zip file (*.zip)" if zipped else "New folder (*)")
        if chosen:
            self.dest_edit.setText(chosen)
            self._on_format_changed(self.format_combo.currentIndex())

    @Slot()
    def _on_export_clicked(self) -> None:
        self.start_export()

    @Slot(object)
    def _on_job_finished(self, result: object) -> None:
        if not isinstance(result, bundle.ExportResult):  # pragma: no cover - a wiring error
            self._show_error("The export returned no result.")
            return
        self.result = result
        self.result_label.setText(summary_sentence(result))
        self.export_finished.emit(result)

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        self._show_error(message)

    @Slot()
    def _on_job_cancelled(self) -> None:
        self.result_label.setText("Export cancelled; nothing was kept.")
        self.export_cancelled.emit()

    def reject(self) -> None:
        # Closing mid-export would leave the worker writing to the case with no one watching.
        if not self.running:
            super().reject()
