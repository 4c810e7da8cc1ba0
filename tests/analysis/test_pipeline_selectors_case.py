"""The selector stage settles ambiguous national numbers across the case, incrementally: a later
import that shows a number with its country code re-settles older items, as new versions."""

from __future__ import annotations

import json
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from analysis.pipeline import analyse
from evidence.case import Case
from evidence.importer import import_path

_FR = phonenumbers.example_number_for_type("FR", PhoneNumberType.MOBILE)
FR = phonenumbers.parse(str(_FR.national_number)[:-2] + "19", "FR")  # also a Moroccan mobile
FR_E164 = phonenumbers.format_number(FR, PhoneNumberFormat.E164)
FR_NATIONAL = phonenumbers.format_number(FR, PhoneNumberFormat.NATIONAL)
FR_INTL = phonenumbers.format_number(FR, PhoneNumberFormat.INTERNATIONAL)


def _posts(tmp_path: Path, name: str, messages: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps({"message": m, "page": "Sea Star Travel (fictional)"})
                              for m in messages), encoding="utf-8")
    return path


def _phones(case: Case, current: int = 1) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in case.db.execute(
        "SELECT i.text, s.value FROM selectors s JOIN items i ON i.id = s.item_id"
        " WHERE s.kind = 'phone' AND s.current = ? ORDER BY s.id", [current])]


def test_later_import_in_international_form_resettles_older_item(case: Case, tmp_path: Path):
    older = f"Traversée chaque vendredi, infos {FR_NATIONAL}"
    import_path(case, _posts(tmp_path, "a.jsonl", [older]), "jsonl", "text=message,author=page")
    analyse(case, ocr_langs=None)
    [(text, alone)] = _phones(case)
    assert text == older and alone != FR_E164 and alone.startswith("+212")

    import_path(case, _posts(tmp_path, "b.jsonl", [f"Départ lundi. WhatsApp {FR_INTL}"]),
                "jsonl", "text=message,author=page")
    rep = analyse(case, ocr_langs=None)
    assert sorted(v for _, v in _phones(case)) == [FR_E164, FR_E164]
    # The old reading stays, no longer current; the item was read again as a new version.
    assert (older, alone) in _phones(case, current=0)
    assert rep.items_read == 2
    assert any(lk for lk in case.db.execute("SELECT why FROM links WHERE kind = 'phone'"))

    # Nothing more to settle: a third run writes nothing.
    rows = case.db.execute("SELECT COUNT(*) FROM selectors").fetchone()[0]
    assert analyse(case, ocr_langs=None).items_read == 0
    assert case.db.execute("SELECT COUNT(*) FROM selectors").fetchone()[0] == rows


def test_without_international_form_the_items_choice_stands(case: Case, tmp_path: Path):
    messages = [f"Traversée chaque vendredi, infos {FR_NATIONAL}",
                "Départ lundi. WhatsApp +90 501 234 56 42"]
    import_path(case, _posts(tmp_path, "a.jsonl", messages), "jsonl", "text=message,author=page")
    analyse(case, ocr_langs=None)
    values = [v for _, v in _phones(case)]
    assert FR_E164 not in values and any(v.startswith("+212") for v in values)
    assert analyse(case, ocr_langs=None).items_read == 0


def test_same_batch_settles_without_a_second_version(case: Case, tmp_path: Path):
    messages = [f"Traversée chaque vendredi, infos {FR_NATIONAL}", f"WhatsApp {FR_INTL}"]
    import_path(case, _posts(tmp_path, "a.jsonl", messages), "jsonl", "text=message,author=page")
    analyse(case, ocr_langs=None)
    assert [v for _, v in _phones(case)] == [FR_E164, FR_E164]
    assert _phones(case, current=0) == []


_IT = phonenumbers.example_number_for_type("IT", PhoneNumberType.MOBILE)
IT = phonenumbers.parse(str(_IT.national_number)[:-2] + "52", "IT")  # "312 345 6752": no trunk 0
IT_E164 = phonenumbers.format_number(IT, PhoneNumberFormat.E164)


def _screenshot_with_ocr(case: Case, tmp_path: Path, lines: list[list[str]]) -> None:
    """A screenshot item whose stored OCR reads ``lines`` (written as ``analyse`` stores it),
    so that the selector stage runs on it without Tesseract."""
    from PIL import Image

    folder = tmp_path / "shots"
    folder.mkdir()
    Image.new("RGB", (320, 120), "white").save(folder / "Screenshot_20260302-101500.png")
    import_path(case, folder)
    sha = case.db.execute("SELECT sha256 FROM media").fetchone()[0]
    words = [{"text": w, "conf": 90.0, "box": [10 + 60 * k, 20 * ln, 60 + 60 * k, 20 * ln + 15],
              "block": 1, "par": 1, "line": ln, "word": k + 1}
             for ln, line in enumerate(lines, 1) for k, w in enumerate(line)]
    case.db.execute(
        "INSERT INTO ocr (media_sha256, engine, engine_version, settings, text, words, current,"
        " created_at) VALUES (?, 'tesseract', '5', '{}', ?, ?, 1, '2026-03-02T10:15:00Z')",
        [sha, "\n".join(" ".join(line) for line in lines), json.dumps(words)])


def test_wrapped_number_without_trunk_zero_waits_for_the_case(case: Case, tmp_path: Path):
    first, *rest = phonenumbers.format_number(IT, PhoneNumberFormat.NATIONAL).split()
    _screenshot_with_ocr(case, tmp_path, [["Départ", "lundi.", "Infos", first],
                                          [*rest, "Sea", "Star"]])
    analyse(case, ocr_langs=None)
    assert IT_E164 not in [v for _, v in _phones(case)]

    intl = phonenumbers.format_number(IT, PhoneNumberFormat.INTERNATIONAL)
    import_path(case, _posts(tmp_path, "b.jsonl", [f"Départ lundi. WhatsApp {intl}"]),
                "jsonl", "text=message,author=page")
    analyse(case, ocr_langs=None)
    shot = case.db.execute(
        "SELECT s.value FROM selectors s JOIN media m ON m.sha256 = s.media_sha256"
        " WHERE s.current = 1 AND s.kind = 'phone'").fetchall()
    assert shot == [(IT_E164,)]
    assert analyse(case, ocr_langs=None).items_read == 0
