"""The welcome panel shown when no case is open: new, open, and the recent cases."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

_PATH_ROLE = Qt.ItemDataRole.UserRole


def display_path(path: Path) -> str:
    """A folder as a person reads it: under the home folder it starts with ~."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class WelcomeWidget(QWidget):
    new_case_requested = Signal()
    open_case_requested = Signal()
    recent_case_activated = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Welcome")

        title = QLabel("Tideline")
        title_font = QFont(title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 2.4)
        title_font.setBold(True)
        title.setFont(title_font)
        title.setAccessibleName("Tideline")

        subtitle = QLabel(
            "Take in collections of adverts, read and link them, and export evidence "
            "bundles. Everything stays on this computer."
        )
        subtitle.setWordWrap(True)
        subtitle.setAccessibleName("About Tideline")

        self.new_button = QPushButton("New case…")
        self.new_button.setAccessibleName("New case")
        self.new_button.setToolTip("Create an empty case folder")
        self.open_button = QPushButton("Open case…")
        self.open_button.setAccessibleName("Open case")
        self.open_button.setToolTip("Open a folder ending in .tideline")
        for button in (self.new_button, self.open_button):
            button.setMinimumHeight(button.sizeHint().height() + 12)
            button.setMinimumWidth(150)
        self.new_button.setDefault(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)

        recent_heading = QLabel("Recent cases")
        heading_font = QFont(recent_heading.font())
        heading_font.setBold(True)
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.15)
        recent_heading.setFont(heading_font)

        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName("Recent cases")
        self.recent_list.setAccessibleDescription("Activate a case to open it")
        self.recent_list.setAlternatingRowColors(True)
        self.recent_list.setSpacing(2)
        self.recent_empty = QLabel("No recent cases yet. Create one or open a case folder.")
        self.recent_empty.setEnabled(False)
        recent_heading.setBuddy(self.recent_list)

        column = QVBoxLayout()
        column.setSpacing(14)
        column.addWidget(title)
        column.addWidget(subtitle)
        column.addSpacing(8)
        column.addLayout(buttons)
        column.addSpacing(18)
        column.addWidget(recent_heading)
        column.addWidget(self.recent_empty)
        column.addWidget(self.recent_list)
        column.addStretch(1)

        # A calm, centred column that does not stretch across a wide screen.
        holder = QWidget()
        holder.setLayout(column)
        holder.setMaximumWidth(680)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(40, 56, 40, 40)
        outer.addStretch(1)
        outer.addWidget(holder, 4)
        outer.addStretch(1)

        self.new_button.clicked.connect(self.new_case_requested)
        self.open_button.clicked.connect(self.open_case_requested)
        self.recent_list.itemActivated.connect(self._on_recent_item_activated)

        self.set_recent([])

    def set_recent(self, paths: list[Path]) -> None:
        self.recent_list.clear()
        for path in paths:
            item = QListWidgetItem()
            item.setData(_PATH_ROLE, str(path))
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                f"{path.stem}, in {display_path(path.parent)}",
            )
            item.setToolTip(str(path))
            label = QLabel(
                f"<b>{html.escape(path.stem)}</b><br>"
                f"<span>{html.escape(display_path(path.parent))}</span>"
            )
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setContentsMargins(8, 6, 8, 6)
            # Clicks go to the list so selecting and activating work as usual.
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            item.setSizeHint(label.sizeHint())
            self.recent_list.addItem(item)
            self.recent_list.setItemWidget(item, label)
        self.recent_list.setVisible(bool(paths))
        self.recent_empty.setVisible(not paths)
        # The list is as tall as its rows, so a short list does not leave an empty box.
        rows = sum(
            self.recent_list.sizeHintForRow(i) + 2 * self.recent_list.spacing()
            for i in range(self.recent_list.count())
        )
        self.recent_list.setFixedHeight(rows + 2 * self.recent_list.frameWidth() + 2)

    def recent_paths(self) -> list[Path]:
        return [
            Path(self.recent_list.item(i).data(_PATH_ROLE)) for i in range(self.recent_list.count())
        ]

    @Slot(QListWidgetItem)
    def _on_recent_item_activated(self, item: QListWidgetItem) -> None:
        self.recent_case_activated.emit(Path(item.data(_PATH_ROLE)))
