"""The small dialog that asks where a new case goes, its folder name and its title."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.welcome import display_path

CASE_SUFFIX = ".tideline"
_FORBIDDEN_NAME_CHARS = set('/\\:*?"<>|')


def case_folder_problem(location: Path, name: str) -> str | None:
    """Why a new case cannot be made at ``location/name.tideline``, or None if it can."""
    if not name:
        return "Give the case a folder name."
    if name in {".", ".."} or any(c in _FORBIDDEN_NAME_CHARS for c in name):
        return 'The folder name cannot contain / \\ : * ? " < > |.'
    if not str(location).strip():
        return "Choose where the case folder goes."
    if not location.is_dir():
        return "The chosen location is not an existing folder."
    if (location / f"{name}{CASE_SUFFIX}").exists():
        return "A case folder with that name already exists there."
    return None


class NewCaseDialog(QDialog):
    def __init__(self, location: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Case")
        self.setAccessibleName("New case")
        self.setMinimumWidth(520)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("for example: coastal-pages-2026")
        self.name_edit.setAccessibleName("Case folder name")
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("optional; the folder name is used otherwise")
        self.title_edit.setAccessibleName("Case title")
        self.location_edit = QLineEdit(str(location))
        self.location_edit.setAccessibleName("Location")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName("Choose location")
        location_row = QHBoxLayout()
        location_row.addWidget(self.location_edit, 1)
        location_row.addWidget(self.browse_button)

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Title:", self.title_edit)
        # A row holding a layout gets no automatic buddy, so the label names its field itself.
        location_label = QLabel("&Location:")
        location_label.setBuddy(self.location_edit)
        form.addRow(location_label, location_row)

        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName("What will be created")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._on_fields_changed)
        self.location_edit.textChanged.connect(self._on_fields_changed)
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._on_fields_changed()

    def case_name(self) -> str:
        name = self.name_edit.text().strip()
        if name.lower().endswith(CASE_SUFFIX):
            name = name[: -len(CASE_SUFFIX)].strip()
        return name

    def case_path(self) -> Path:
        return (
            Path(self.location_edit.text().strip()).expanduser()
            / f"{self.case_name()}{CASE_SUFFIX}"
        )

    def case_title(self) -> str | None:
        return self.title_edit.text().strip() or None

    def problem(self) -> str | None:
        location = Path(self.location_edit.text().strip()).expanduser()
        return case_folder_problem(location, self.case_name())

    @Slot()
    def _on_fields_changed(self) -> None:
        problem = self.problem()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)
        if problem is None:
            self.result_label.setText(f"Creates {display_path(self.case_path())}")
        else:
            self.result_label.setText(problem)

    @Slot()
    def _on_browse_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Where should the case folder go?", self.location_edit.text()
        )
        if chosen:
            self.location_edit.setText(chosen)
