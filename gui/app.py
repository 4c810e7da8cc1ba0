"""Starting the GUI: the QApplication (name, style, fonts, high-DPI) and the main window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from gui.fonts import apply_ui_font
from gui.main_window import MainWindow

APP_NAME = "Tideline"
ORGANISATION = "Tideline"


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, made once; set up so QSettings, fonts and the palette are right."""
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setOrganizationDomain("tideline.invalid")
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (125 %, 150 %) are honoured instead of rounded.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationDisplayName(APP_NAME)
    # Fusion draws from the palette, which Qt takes from the system's light or dark scheme.
    app.setStyle("Fusion")
    apply_ui_font(app)
    return app


def run_gui(case_path: Path | None = None, actor: str | None = None) -> int:
    """Show the main window (with ``case_path`` open if given) and run until it closes."""
    app = create_application()
    window = MainWindow(actor=actor)
    window.show()
    if case_path is not None:
        # Opened once the event loop runs, so an error box has a visible window behind it.
        QTimer.singleShot(0, lambda: window.open_case(Path(case_path)))
    return app.exec()
