"""The bundled fonts (resources/fonts): registered with Qt so text looks the same everywhere.

Offscreen rendering and bare systems may have no usable fonts at all; registering the bundled
Noto faces (Latin and Arabic script) means labels, Arabic and Persian text always render.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
UI_FAMILY = "Noto Sans"
# Arabic-script text falls back to this family when the UI family lacks the glyphs.
ARABIC_FAMILY = "Noto Naskh Arabic"

_loaded: list[str] | None = None


def load_bundled_fonts(font_dir: Path = FONT_DIR) -> list[str]:
    """Register every .ttf in ``font_dir`` once; return the families now available from them."""
    global _loaded
    if _loaded is not None:
        return _loaded
    families: list[str] = []
    for path in sorted(font_dir.glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            for family in QFontDatabase.applicationFontFamilies(font_id):
                if family not in families:
                    families.append(family)
    _loaded = families
    return families


def apply_ui_font(app: QApplication) -> None:
    """Use the bundled UI family at the platform's point size, with Arabic as a fallback."""
    families = load_bundled_fonts()
    if UI_FAMILY not in families:
        return  # the platform font stays; nothing to gain from forcing a missing family
    font = QFont(app.font())
    font.setFamilies([UI_FAMILY] + ([ARABIC_FAMILY] if ARABIC_FAMILY in families else []))
    if font.pointSizeF() <= 0:
        font.setPointSizeF(10)
    app.setFont(font)
