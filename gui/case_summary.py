"""The open case at a glance: its title, its folder and how much evidence it holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from gui.welcome import display_path

# (key in Case.counts(), caption shown to the analyst)
COUNT_CAPTIONS: tuple[tuple[str, str], ...] = (
    ("items", "Items"),
    ("media", "Media files"),
    ("sources", "Sources"),
    ("links", "Links"),
    ("import_errors", "Rejected files"),
)


class CountTile(QFrame):
    """One figure with its caption; read by screen readers as "Items: 12"."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("countTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._caption = caption
        self.value_label = QLabel("0")
        font = QFont(self.value_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.value_label.setFont(font)
        self.caption_label = QLabel(caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self.value_label)
        layout.addWidget(self.caption_label)
        self.set_value(0)

    def set_value(self, value: int) -> None:
        text = QLocale().toString(int(value))
        self.value_label.setText(text)
        self.setAccessibleName(f"{self._caption}: {text}")


class CaseSummaryWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Case summary")

        self.title_label = QLabel()
        font = QFont(self.title_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.title_label.setAccessibleName("Case title")

        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setAccessibleName("Case folder")
        self.folder_label.setWordWrap(True)

        self.created_label = QLabel()
        self.created_label.setAccessibleName("Case created")

        self.tiles: dict[str, CountTile] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        for column, (key, caption) in enumerate(COUNT_CAPTIONS):
            tile = CountTile(caption)
            self.tiles[key] = tile
            grid.addWidget(tile, 0, column)

        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setAccessibleName("Case status")

        # Until the GUI has its own import, the command line is how evidence gets in.
        self.command_label = QLabel()
        self.command_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.command_label.setAccessibleName("Import command")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.command_label.setFont(mono)
        self.command_label.setObjectName("commandLabel")

        column_layout = QVBoxLayout()
        column_layout.setSpacing(10)
        column_layout.addWidget(self.title_label)
        column_layout.addWidget(self.folder_label)
        column_layout.addWidget(self.created_label)
        column_layout.addSpacing(20)
        column_layout.addLayout(grid)
        column_layout.addSpacing(12)
        column_layout.addWidget(self.hint_label)
        column_layout.addWidget(self.command_label)
        column_layout.addStretch(1)

        holder = QWidget()
        holder.setLayout(column_layout)
        holder.setMaximumWidth(960)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(40, 48, 40, 40)
        outer.addStretch(1)
        outer.addWidget(holder, 6)
        outer.addStretch(1)

        self.setStyleSheet(
            "QFrame#countTile { border: 1px solid palette(mid); border-radius: 6px;"
            " background: palette(base); }"
            "QLabel#commandLabel { border: 1px solid palette(mid); border-radius: 4px;"
            " background: palette(base); padding: 8px 10px; }"
        )

    def show_case(
        self, title: str, folder: Path, counts: dict[str, int], created_at: str | None = None
    ) -> None:
        self.title_label.setText(title)
        self.created_label.setText(f"Created {readable_time(created_at)}" if created_at else "")
        self.created_label.setVisible(bool(created_at))
        self.folder_label.setText(display_path(folder))
        self.folder_label.setToolTip(str(folder))
        for key, tile in self.tiles.items():
            tile.set_value(int(counts.get(key, 0) or 0))
        self.hint_label.setText(summary_sentence(counts))
        empty = not int(counts.get("items", 0) or 0) and not int(counts.get("sources", 0) or 0)
        if empty:
            self.hint_label.setText(
                summary_sentence(counts) + " To add a collection now, run this in a terminal:"
            )
            self.command_label.setText(f'python main.py import "{folder}" PATH…')
        self.command_label.setVisible(empty)


def readable_time(stamp: str) -> str:
    """An ISO 8601 UTC time as "2026-03-01 14:05 UTC"; anything else is shown as stored."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def summary_sentence(counts: dict[str, int]) -> str:
    """One or two plain sentences on what the counts mean for the analyst."""
    items = int(counts.get("items", 0) or 0)
    rejected = int(counts.get("import_errors", 0) or 0)
    if items == 0 and rejected == 0:
        return "Nothing has been imported into this case yet."
    sentences = []
    if rejected:
        noun = "file" if rejected == 1 else "files"
        sentences.append(
            f"{QLocale().toString(rejected)} received {noun} could not be read; they are kept "
            "in the vault with the reason."
        )
    else:
        sentences.append("Every received file was read.")
    return " ".join(sentences)
