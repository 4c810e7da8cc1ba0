"""Tests for evidence.formats.detect on every kind of path."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from evidence.formats import FormatError, detect, parse


def test_folder_and_loose_files(tmp_path: Path, write_image):
    write_image(tmp_path / "shots" / "Screenshot_20260302-101500.png")
    assert detect(tmp_path / "shots") == "folder"
    assert detect(tmp_path / "shots" / "Screenshot_20260302-101500.png") == "folder"


def test_zip_by_magic_and_name(tmp_path: Path):
    with zipfile.ZipFile(tmp_path / "bundle.dat", "w") as zf:
        zf.writestr("a.txt", "x")
    assert detect(tmp_path / "bundle.dat") == "zip"


def test_plain_csv(tmp_path: Path):
    (tmp_path / "s.csv").write_text("Message,Link\nhi,https://e.org\n", encoding="utf-8")
    assert detect(tmp_path / "s.csv") == "csv"


def test_refusals_are_one_sentence(tmp_path: Path):
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "page.html").write_text("<html><body></body></html>", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"\x00\x01binary")
    for name, words in [
        ("missing.json", "does not exist"),
        ("empty.json", "is empty"),
        ("page.html", "export the data as JSON"),
        ("notes.docx", "is not a folder, zip"),
    ]:
        with pytest.raises(FormatError, match=words) as err:
            detect(tmp_path / name)
        message = str(err.value)
        assert message.endswith(".") and message.count(". ") == 0


def test_parse_refuses_file_containers(tmp_path: Path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(FormatError, match="importer walks it"):
        parse(tmp_path / "dir")


def test_full_account_result_json_with_long_preamble(tmp_path: Path):
    # Contacts come before chats and can push "chats" far past the sniffed prefix.
    contacts = [{"first_name": f"Contact {i} (fictional)", "phone_number": ""} for i in range(3000)]
    data = {
        "about": "x",
        "personal_information": {"first_name": "A"},
        "contacts": {"list": contacts},
        "chats": {"list": []},
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert detect(path) == "telegram"
