"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.case import Case


@pytest.fixture
def case(tmp_path: Path):
    c = Case.create(tmp_path / "test", title="Test case", actor="tester")
    yield c
    c.close()
