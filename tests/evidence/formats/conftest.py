"""Fixtures shared by the export-format tests: fictional numbers and small export trees."""

from __future__ import annotations

import json
from pathlib import Path

import phonenumbers
import pytest
from PIL import Image


def fictional_mobile(region: str = "GB", last: int = 0) -> str:
    """The libphonenumber example mobile number for ``region`` with its last digits varied."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return e164[:-2] + f"{last:02d}"


@pytest.fixture
def phone() -> str:
    return fictional_mobile("GB", 17)


@pytest.fixture
def write_json():
    return _write_json


@pytest.fixture
def write_image():
    return _write_image


def _write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _write_image(path: Path, color: str = "navy") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 24), color).save(path)
    return path
