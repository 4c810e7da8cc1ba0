"""GUI test set-up: offscreen Qt, bundled fonts, and settings kept out of the user's home."""

from __future__ import annotations

import os

# Must happen before anything imports Qt: tests never open a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["tideline-tests"]


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Any QSettings() made during the tests writes to a temporary INI file, never the user's."""
    root = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(root))


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """A fresh settings file per test so recent-case lists do not leak between tests."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
