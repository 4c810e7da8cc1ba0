"""The main window shell: the File menu, the welcome panel or the open case, and the status bar.

The central widget is a ``QStackedWidget``: the welcome panel, the case summary, and for an
open case the workstation (search, grid or table, detail panel). The window owns the open
``Case`` and a read-only ``reader`` of the same case for the views, and closes both (releasing
the write lock) when the case or the window is closed. File > Import runs the importer on a
worker thread and lists what was rejected; files and folders dropped on the window go the same
way.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QSettings, Qt, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from evidence.case import Case, CaseError
from evidence.importer import ImportReport, import_path
from gui import workers
from gui.audit_view import AuditLogDialog
from gui.case_summary import CaseSummaryWidget
from gui.clusters import ClustersWidget
from gui.export_dialog import ExportBundleDialog
from gui.new_case_dialog import NewCaseDialog
from gui.recent import RecentCases
from gui.review import ReviewWidget
from gui.welcome import WelcomeWidget
from gui.workstation import WorkstationWidget

APP_TITLE = "Tideline"
_OCR_LANGS = "eng+ara+fas+fra+tur"


def _import_all(case: Case, paths: list[Path], *, progress: object = None,
                cancel: object = None) -> list[ImportReport]:
    """Runs on a worker: each path in turn through the importer, then the analysis of what
    is new (OCR, hashes, selectors, links), as `import` then `analyse` do on the command line."""
    from analysis.pipeline import analyse

    reports = [import_path(case, p, progress=progress, cancel=cancel) for p in paths]
    if any(r.items_added or r.files_added for r in reports):
        analyse(case, ocr_langs=_OCR_LANGS, progress=progress, cancel=cancel)
    return reports


def check_ocr(*, progress: object = None, cancel: object = None) -> str:
    """One sentence on whether OCR can run here; runs on a worker (it starts Tesseract)."""
    try:
        from analysis.ocr import ocr_status
    except ImportError:
        return "OCR is not available in this build."
    status = ocr_status(langs=_OCR_LANGS)
    return status.message or (
        "OCR is ready." if status.available else "OCR is not available on this computer."
    )


class MainWindow(QMainWindow):
    case_opened = Signal(object)  # the Case
    case_closed = Signal()

    def __init__(
        self,
        settings: QSettings | None = None,
        actor: str | None = None,
        parent: QWidget | None = None,
        check_ocr_on_start: bool = True,
    ) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.actor = actor
        self.case: Case | None = None
        self.reader: Case | None = None
        self.workstation: WorkstationWidget | None = None
        self.review: ReviewWidget | None = None
        self.clusters: ClustersWidget | None = None
        self._import_job: workers.BackgroundJob | None = None
        self.recent = RecentCases(self.settings)
        self.ocr_message = "Checking whether OCR is available…"
        self._ocr_job: workers.BackgroundJob | None = None

        self.setWindowTitle(APP_TITLE)
        self.setAccessibleName("Tideline main window")
        self.setMinimumSize(720, 480)
        self.setAcceptDrops(True)  # folders, pictures, archives and exports dropped to import

        self.stack = QStackedWidget()
        self.stack.setAccessibleName("Main view")
        self.welcome = WelcomeWidget()
        self.summary = CaseSummaryWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.summary)
        self.setCentralWidget(self.stack)

        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._connect_signals()

        self._restore_window()
        self._show_welcome()
        if check_ocr_on_start:
            self.start_ocr_check()

    # -- building -----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.new_action = QAction("&New Case…", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setStatusTip("Create an empty case folder")
        self.open_action = QAction("&Open Case…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setStatusTip("Open a case folder (its name ends in .tideline)")
        self.close_action = QAction("&Close Case", self)
        self.close_action.setShortcut(QKeySequence.StandardKey.Close)
        self.close_action.setStatusTip("Close the case and release its write lock")
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.clear_recent_action = QAction("Clear List", self)
        self.import_folder_action = QAction("Import &Folder…", self)
        self.import_folder_action.setStatusTip("Bring in a folder of screenshots and photos")
        self.import_file_action = QAction("Import &Export or Archive…", self)
        self.import_file_action.setStatusTip(
            "Bring in a zip, a Telegram or Facebook export, or a CSV/JSON file")
        self.export_bundle_action = QAction("Export &Bundle…", self)
        self.export_bundle_action.setStatusTip(
            "Write an evidence bundle (BagIt folder or zip) of all, tagged, selected or "
            "clustered items")
        self.undo_action = QAction("&Undo", self)
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = QAction("&Redo", self)
        self.redo_action.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.items_action = QAction("&Items", self)
        self.items_action.setCheckable(True)
        self.summary_action = QAction("Case &Summary", self)
        self.summary_action.setCheckable(True)
        self.review_action = QAction("Link &Review", self)
        self.review_action.setCheckable(True)
        self.review_action.setShortcut(QKeySequence("Ctrl+R"))
        self.review_action.setStatusTip("Decide links one by one: confirm, reject or unsure")
        self.clusters_action = QAction("C&lusters", self)
        self.clusters_action.setCheckable(True)
        self.clusters_action.setShortcut(QKeySequence("Ctrl+K"))
        self.clusters_action.setStatusTip("Linked evidence as clusters: timeline, network, export")
        self.audit_action = QAction("&Audit Log…", self)
        self.audit_action.setStatusTip("Every action on the case, and whether the log verifies")
        self.page_group = QActionGroup(self)
        self.page_group.addAction(self.items_action)
        self.page_group.addAction(self.summary_action)
        self.page_group.addAction(self.review_action)
        self.page_group.addAction(self.clusters_action)
        self.compare_action = QAction("&Compare Selected Items", self)
        self.compare_action.setShortcut(QKeySequence("C"))
        self.compare_action.setStatusTip("Show two to four selected items side by side")
        self.link_items_action = QAction("&Link Items…", self)
        self.link_items_action.setShortcut(QKeySequence("Ctrl+L"))
        self.link_items_action.setStatusTip("Link the two selected items by hand, with a note")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = QMenu("Open &Recent", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.import_folder_action)
        file_menu.addAction(self.import_file_action)
        file_menu.addAction(self.export_bundle_action)
        file_menu.addSeparator()
        file_menu.addAction(self.close_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.items_action)
        view_menu.addAction(self.summary_action)
        view_menu.addSeparator()
        view_menu.addAction(self.audit_action)
        view_menu.addAction(self.review_action)
        view_menu.addAction(self.clusters_action)
        items_menu = self.menuBar().addMenu("&Items")
        items_menu.addAction(self.compare_action)
        items_menu.addAction(self.link_items_action)
        self._update_case_actions()
        self._rebuild_recent_menu()

    def _build_status_bar(self) -> None:
        self.ocr_label = QLabel(self.ocr_message)
        self.ocr_label.setAccessibleName("OCR availability")
        self.lock_label = QLabel()
        self.lock_label.setAccessibleName("Case lock status")
        bar = self.statusBar()
        bar.addWidget(self.ocr_label, 1)
        bar.addPermanentWidget(self.lock_label)

    def _connect_signals(self) -> None:
        self.new_action.triggered.connect(self._on_new_action_triggered)
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.close_action.triggered.connect(self._on_close_action_triggered)
        self.quit_action.triggered.connect(self.close)
        self.clear_recent_action.triggered.connect(self._on_clear_recent_triggered)
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self.import_folder_action.triggered.connect(self._on_import_folder_triggered)
        self.import_file_action.triggered.connect(self._on_import_file_triggered)
        self.export_bundle_action.triggered.connect(self._on_export_bundle_triggered)
        self.undo_action.triggered.connect(self._on_undo_triggered)
        self.redo_action.triggered.connect(self._on_redo_triggered)
        self.items_action.triggered.connect(self.show_workstation)
        self.summary_action.triggered.connect(self.show_summary)
        self.audit_action.triggered.connect(self.show_audit_log)
        self.review_action.triggered.connect(self.show_review)
        self.clusters_action.triggered.connect(self.show_clusters)
        self.compare_action.triggered.connect(self._on_compare_triggered)
        self.link_items_action.triggered.connect(self._on_link_items_triggered)
        self.welcome.new_case_requested.connect(self._on_new_action_triggered)
        self.welcome.open_case_requested.connect(self._on_open_action_triggered)
        self.welcome.recent_case_activated.connect(self.open_case)

    # -- cases --------------------------------------------------------------------------------

    def open_case(self, path: Path, readonly: bool = False) -> bool:
        """Open the case at ``path``, replacing any open one. False (and a message) on error."""
        path = Path(path)
        if self.case is not None and self.case.path.resolve() == path.resolve():
            return True
        try:
            case = Case.open(path, actor=self.actor, readonly=readonly)
        except (CaseError, OSError) as exc:
            self.show_error("The case could not be opened.", workers.error_message(exc))
            if not path.exists():
                self.recent.remove(path)
                self._refresh_recent()
            return False
        self._set_case(case)
        return True

    def create_case(self, path: Path, title: str | None = None) -> bool:
        try:
            case = Case.create(path, title=title, actor=self.actor)
        except (CaseError, OSError) as exc:
            self.show_error("The case could not be created.", workers.error_message(exc))
            return False
        self._set_case(case)
        return True

    def close_case(self) -> None:
        if self.case is None:
            return
        self._drop_workstation()
        case, self.case = self.case, None
        case.close()
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        self._show_welcome()
        self.case_closed.emit()

    def refresh_case(self) -> None:
        """Re-read the title and counts of the open case (after an import, for example)."""
        if self.case is None:
            return
        try:
            counts = self.case.counts()
        except Exception as exc:  # a damaged database must not take the window down
            self.show_error("The case could not be read.", workers.error_message(exc))
            return
        self.summary.show_case(
            self.case.title, self.case.path, counts, created_at=self.case.meta("created_at")
        )
        self.setWindowTitle(f"{APP_TITLE} - {self.case.title}")

    def _set_case(self, case: Case) -> None:
        if self.case is not None:
            self.close_case()
        try:
            # The views read through their own connection; see gui/workstation.py.
            reader = Case.open(case.path, actor=self.actor, readonly=True)
        except (CaseError, OSError) as exc:
            case.close()
            self.show_error("The case could not be opened.", workers.error_message(exc))
            return
        self.case = case
        self.reader = reader
        self.recent.add(case.path)
        self._refresh_recent()
        self.settings.setValue("cases/last_dir", str(case.path.parent))
        self.refresh_case()
        self.workstation = WorkstationWidget(case, reader, self.settings)
        self.workstation.error.connect(self._on_workstation_error)
        self.workstation.changed.connect(self._on_workstation_changed)
        self.workstation.undo_stack.canUndoChanged.connect(self._update_undo_actions)
        self.workstation.undo_stack.canRedoChanged.connect(self._update_undo_actions)
        self.workstation.undo_stack.indexChanged.connect(self._update_undo_actions)
        self.stack.addWidget(self.workstation)
        self.workstation.review_link_requested.connect(self._on_review_link_requested)
        self.review = ReviewWidget(case, reader, self.workstation.undo_stack)
        self.review.error.connect(self._on_workstation_error)
        self.review.changed.connect(self.workstation.apply_changes)
        self.stack.addWidget(self.review)
        self.clusters = ClustersWidget(case, reader, self.workstation.undo_stack,
                                       self.workstation.loader)
        self.clusters.error.connect(self._on_workstation_error)
        self.clusters.message.connect(self._on_workstation_error)
        self.clusters.changed.connect(self.workstation.apply_changes)
        self.clusters.item_activated.connect(self._on_cluster_item_activated)
        self.clusters.busy_changed.connect(self._on_clusters_busy_changed)
        self.stack.addWidget(self.clusters)
        # An empty case opens on its summary (with the hint to import); otherwise on the items.
        if self.workstation.model.rowCount():
            self.show_workstation()
        else:
            self.show_summary()
        self.close_action.setEnabled(True)
        self._update_case_actions()
        self._update_lock_label()
        self.case_opened.emit(case)

    def _show_welcome(self) -> None:
        self.setWindowTitle(APP_TITLE)
        self._refresh_recent()
        self.stack.setCurrentWidget(self.welcome)
        self.close_action.setEnabled(False)
        self._update_lock_label()
        self._update_case_actions()

    def _drop_workstation(self) -> None:
        clusters, self.clusters = self.clusters, None
        if clusters is not None:
            clusters.shutdown()
            self.stack.removeWidget(clusters)
            clusters.deleteLater()
        review, self.review = self.review, None
        if review is not None:
            review.shutdown()
            self.stack.removeWidget(review)
            review.deleteLater()
        ws, self.workstation = self.workstation, None
        if ws is not None:
            ws.shutdown()
            self.stack.removeWidget(ws)
            ws.deleteLater()

    @Slot()
    def show_workstation(self) -> None:
        if self.workstation is not None:
            self.stack.setCurrentWidget(self.workstation)
            self.items_action.setChecked(True)

    @Slot()
    def show_review(self) -> None:
        if self.review is not None:
            self.review.reload()
            self.stack.setCurrentWidget(self.review)
            self.review_action.setChecked(True)
            self._update_case_actions()

    @Slot()
    def show_clusters(self) -> None:
        if self.clusters is not None:
            self.clusters.reload()
            self.stack.setCurrentWidget(self.clusters)
            self.clusters_action.setChecked(True)

    @Slot(int)
    def _on_cluster_item_activated(self, item_id: int) -> None:
        if self.workstation is not None:
            self.show_workstation()
            self.workstation.show_item(item_id)

    @Slot(bool)
    def _on_clusters_busy_changed(self, busy: bool) -> None:
        # An export writes its audit entry on a worker: one writer at a time.
        for view in (self.workstation, self.review):
            if view is not None:
                view.set_writes_enabled(not busy)

    @Slot(int)
    def _on_review_link_requested(self, link_id: int) -> None:
        self.show_review()
        if self.review is not None and not self.review.show_link(link_id):
            self.statusBar().showMessage(f"Link #{link_id} is not in the review queue.", 8000)

    @Slot()
    def _on_compare_triggered(self) -> None:
        # The key C means "compare" only where items are selected; elsewhere it is explained.
        if self.workstation is not None and self.stack.currentWidget() is self.workstation:
            self.workstation.compare_selected()
        else:
            self.statusBar().showMessage("Compare works on the items selected in View > Items.",
                                         8000)

    @Slot()
    def _on_link_items_triggered(self) -> None:
        if self.workstation is not None and self.stack.currentWidget() is self.workstation:
            self.workstation.link_selected()
        else:
            self.statusBar().showMessage("Link Items works on two items selected in View > Items.",
                                         8000)

    @Slot()
    def show_summary(self) -> None:
        if self.case is not None:
            self.stack.setCurrentWidget(self.summary)
            self.summary_action.setChecked(True)

    @Slot()
    def show_audit_log(self) -> AuditLogDialog | None:
        """The read-only audit log of the open case, with its verification."""
        if self.reader is None:
            return None
        dialog = AuditLogDialog(self.reader, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _update_case_actions(self) -> None:
        has_case = self.case is not None
        busy = self._import_job is not None and self._import_job.running
        can_write = has_case and self.case.writable and not busy
        self.import_folder_action.setEnabled(can_write)
        self.import_file_action.setEnabled(can_write)
        self.export_bundle_action.setEnabled(can_write)
        self.items_action.setEnabled(has_case)
        self.summary_action.setEnabled(has_case)
        self.audit_action.setEnabled(has_case)
        self.review_action.setEnabled(has_case)
        self.clusters_action.setEnabled(has_case)
        self.compare_action.setEnabled(has_case)
        self.link_items_action.setEnabled(can_write)
        self._update_undo_actions()

    @Slot()
    def _update_undo_actions(self) -> None:
        stack = self.workstation.undo_stack if self.workstation is not None else None
        busy = self._import_job is not None and self._import_job.running
        self.undo_action.setEnabled(bool(stack and stack.canUndo()) and not busy)
        self.redo_action.setEnabled(bool(stack and stack.canRedo()) and not busy)
        self.undo_action.setText(f"&Undo {stack.undoText()}" if stack and stack.canUndo()
                                 else "&Undo")
        self.redo_action.setText(f"&Redo {stack.redoText()}" if stack and stack.canRedo()
                                 else "&Redo")

    def _update_lock_label(self) -> None:
        if self.case is None:
            text = "No case open."
        elif self.case.writable:
            text = "Case open for writing; other windows and commands cannot change it."
        else:
            text = "Case open read-only."
        self.lock_label.setText(text)

    def _refresh_recent(self) -> None:
        self.welcome.set_recent(self.recent.paths())

    def show_error(self, title: str, sentence: str) -> None:
        QMessageBox.warning(self, title, sentence)

    # -- workstation and import -------------------------------------------------------------

    @Slot()
    def _on_undo_triggered(self) -> None:
        if self.workstation is not None:
            self.workstation.undo_stack.undo()

    @Slot()
    def _on_redo_triggered(self) -> None:
        if self.workstation is not None:
            self.workstation.undo_stack.redo()

    @Slot(str)
    def _on_workstation_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    @Slot(object)
    def _on_workstation_changed(self, _changes: object) -> None:
        self._update_undo_actions()

    def import_paths(self, paths: list[Path]) -> workers.BackgroundJob | None:
        """Import each path on a worker; the summary dialog lists rejected files and reasons."""
        if self.case is None or not self.case.writable or not paths:
            return None
        if self.workstation is not None:
            self.workstation.set_writes_enabled(False)
        if self.review is not None:
            self.review.set_writes_enabled(False)
        if self.clusters is not None:
            self.clusters.set_writes_enabled(False)
        job = workers.run_in_background(
            _import_all, self.case, list(paths), parent=self, label="Importing evidence…"
        )
        job.finished.connect(self._on_import_finished)
        job.failed.connect(self._on_import_failed)
        job.cancelled.connect(self._on_import_cancelled)
        job.done.connect(self._on_import_done)
        self._import_job = job
        self._update_case_actions()
        return job

    # -- drag and drop ----------------------------------------------------------------------

    @staticmethod
    def dropped_paths(mime: QMimeData) -> list[Path]:
        """The local files and folders a drag carries (web links and text are not evidence)."""
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls()
                if url.isLocalFile() and url.toLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self.dropped_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_dropped(paths)

    def import_dropped(self, paths: list[Path]) -> workers.BackgroundJob | None:
        """Import what was dropped on the window, as File > Import does; when that cannot
        happen now, say why in one sentence."""
        busy = self._import_job is not None and self._import_job.running
        missing = [p for p in paths if not p.exists()]
        if self.case is None:
            reason = "Open or create a case first, then drop the evidence on the window."
        elif not self.case.writable:
            reason = "This case is open read-only, so nothing can be imported into it."
        elif busy:
            reason = "An import is already running; drop the files again when it has finished."
        elif missing:
            reason = f"“{missing[0]}” cannot be found, so nothing was imported."
        else:
            return self.import_paths(paths)
        self.show_error("Nothing was imported.", reason)
        return None

    @Slot()
    def _on_import_folder_triggered(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Import a folder of evidence",
                                                  self._default_dir())
        if chosen:
            self.import_paths([Path(chosen)])

    @Slot()
    def _on_import_file_triggered(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileNames(
            self, "Import exports or archives", self._default_dir(),
            "Exports and archives (*.zip *.json *.csv *.html);;All files (*)")
        if chosen:
            self.import_paths([Path(c) for c in chosen])

    @Slot()
    def _on_export_bundle_triggered(self) -> ExportBundleDialog | None:
        if self.case is None or not self.case.writable:
            return None
        selected = self.workstation.selected_ids() if self.workstation is not None else []
        dialog = ExportBundleDialog(self.case, selected, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot(object)
    def _on_import_finished(self, reports: object) -> None:
        reports = list(reports)  # type: ignore[call-overload]
        self.last_import_reports = reports
        self._after_import()
        added = sum(r.items_added for r in reports)
        rejected = [(r.path, j.path, j.reason) for r in reports for j in r.rejected]
        box = QMessageBox(self)
        box.setWindowTitle("Import finished")
        box.setIcon(QMessageBox.Icon.Warning if rejected else QMessageBox.Icon.Information)
        text = f"{added:,} item(s) added."
        if rejected:
            text += (f" {len(rejected)} file(s) could not be read; they are kept in the vault "
                     "and listed below.")
            box.setDetailedText("\n".join(f"{name}: {reason}" for _src, name, reason in rejected))
        box.setText(text)
        self.import_summary = box
        box.open()

    @Slot(str)
    def _on_import_failed(self, message: str) -> None:
        self._after_import()
        self.show_error("The import failed.", message)

    @Slot()
    def _on_import_cancelled(self) -> None:
        self._after_import()
        self.statusBar().showMessage("Import cancelled; run it again to resume.", 8000)

    @Slot()
    def _on_import_done(self) -> None:
        self._import_job = None
        if self.workstation is not None:
            self.workstation.set_writes_enabled(True)
        if self.review is not None:
            self.review.set_writes_enabled(True)
        if self.clusters is not None:
            self.clusters.set_writes_enabled(True)
        self._update_case_actions()

    def _after_import(self) -> None:
        self.refresh_case()
        if self.workstation is not None:
            self.workstation.model.reload()
            self.workstation.refresh_tags()
            if self.workstation.model.rowCount():
                self.show_workstation()

    # -- OCR status ---------------------------------------------------------------------------

    def start_ocr_check(self) -> workers.BackgroundJob:
        job = workers.run_in_background(check_ocr, parent=self, show_dialog=False)
        job.finished.connect(self._on_ocr_check_finished)
        job.failed.connect(self._on_ocr_check_failed)
        self._ocr_job = job
        return job

    @Slot(object)
    def _on_ocr_check_finished(self, message: object) -> None:
        self.set_ocr_message(str(message))

    @Slot(str)
    def _on_ocr_check_failed(self, message: str) -> None:
        self.set_ocr_message(f"OCR could not be checked: {message}")

    def set_ocr_message(self, message: str) -> None:
        self.ocr_message = message
        self.ocr_label.setText(message)
        self.ocr_label.setToolTip(message)

    # -- menu and button slots ----------------------------------------------------------------

    def _default_dir(self) -> str:
        last = self.settings.value("cases/last_dir", "")
        if last and Path(str(last)).is_dir():
            return str(last)
        return str(Path.home())

    @Slot()
    def _on_new_action_triggered(self) -> None:
        dialog = NewCaseDialog(Path(self._default_dir()), self)
        if dialog.exec() != NewCaseDialog.DialogCode.Accepted:
            return
        self.create_case(dialog.case_path(), dialog.case_title())

    @Slot()
    def _on_open_action_triggered(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Open a case folder (its name ends in .tideline)", self._default_dir()
        )
        if chosen:
            self.open_case(Path(chosen))

    @Slot()
    def _on_close_action_triggered(self) -> None:
        self.close_case()

    @Slot()
    def _on_clear_recent_triggered(self) -> None:
        self.recent.clear()
        self._refresh_recent()

    @Slot()
    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent.paths()
        for number, path in enumerate(paths, start=1):
            action = menu.addAction(f"&{number} {path.stem}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_case(p))
        if paths:
            menu.addSeparator()
            menu.addAction(self.clear_recent_action)
        else:
            empty = menu.addAction("No recent cases")
            empty.setEnabled(False)

    # -- window state -------------------------------------------------------------------------

    def _restore_window(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def save_window(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_window()
        # Running jobs get a moment to stop at their next cancel check before the case closes.
        workers.cancel_all(wait_ms=3000)
        self.close_case()
        event.accept()
        super().closeEvent(event)
