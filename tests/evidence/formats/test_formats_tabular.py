"""Tests for CrowdTangle CSV, generic CSV/JSON/JSON Lines and the CSV reading rules."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evidence.formats import (
    FormatError,
    ParseError,
    PostRecord,
    detect,
    parse,
    parse_mapping,
)
from evidence.formats.crowdtangle import parse_created

CT_HEADER = [
    "Page Name",
    "User Name",
    "Facebook Id",
    "Page Category",
    "Post Created",
    "Type",
    "Total Interactions",
    "URL",
    "Message",
    "Link",
    "Final Link",
    "Image Text",
]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _ct_row(phone: str, created: str, image_text: str = "") -> list[str]:
    return [
        "Sea Star Travel (fictional)",
        "seastar.fictional",
        "100000000000001",
        "Travel",
        created,
        "Photo",
        "12",
        "https://www.facebook.com/100000000000001/posts/1",
        "Trips every week",
        "https://example.org/offer",
        "https://example.org/offer",
        image_text or f"CALL {phone}",
    ]


def test_crowdtangle_csv(tmp_path: Path, phone: str):
    path = _write_csv(
        tmp_path / "2026-03-02-10-15-00-EST-search.csv",
        CT_HEADER,
        [
            _ct_row(phone, "2026-03-02 10:15:00 EST"),
            _ct_row(phone, "2026-03-02 10:15:00 +0300"),
            _ct_row(phone, "2026-03-02 10:15:00 XYZ"),
        ],
    )
    assert detect(path) == "crowdtangle"
    est, offset, unknown = list(parse(path))
    assert est.source_ref == f"{path.name}#line/2"
    assert est.author == "Sea Star Travel (fictional)" and est.author_id == "100000000000001"
    assert est.posted_at_utc == "2026-03-02T15:15:00Z"
    assert est.posted_at_original == "2026-03-02 10:15:00 EST"
    assert est.text_found_in_image == f"CALL {phone}"
    assert est.url.endswith("/posts/1") and est.media == []
    assert est.extra["Link"] == "https://example.org/offer"
    assert est.extra["User Name"] == "seastar.fictional"
    assert offset.posted_at_utc == "2026-03-02T07:15:00Z"
    assert unknown.posted_at_utc is None and "posted_at_note" in unknown.extra


def test_parse_created_forms():
    assert parse_created("2026-03-02 10:15:00 PDT") == "2026-03-02T17:15:00Z"
    assert parse_created("2026-03-02 10:15 UTC") == "2026-03-02T10:15:00Z"
    assert parse_created("2026-03-02 10:15:00") is None
    assert parse_created("yesterday") is None


def test_csv_with_five_megabyte_field(tmp_path: Path, phone: str):
    big = "x" * (5 * 1024 * 1024)
    path = _write_csv(
        tmp_path / "scrape.csv",
        ["Message", "Link"],
        [[big, "https://e.org/1"], [phone, "https://e.org/2"]],
    )
    first, second = list(parse(path, mapping=parse_mapping("text=Message,url=Link")))
    assert len(first.text) == len(big)
    assert second.text == phone and second.url == "https://e.org/2"


def test_csv_broken_rows_are_reported_with_line_numbers(tmp_path: Path):
    path = tmp_path / "broken.csv"
    path.write_text(
        "Message,Link\n"
        '"ok one",https://e.org/1\n'
        '"bad "quote" here",https://e.org/2\n'
        "too,many,fields\n"
        '"ok two",https://e.org/3\n',
        encoding="utf-8",
    )
    items = list(parse(path, "csv", parse_mapping("text=Message,url=Link")))
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["PostRecord", "ParseError", "ParseError", "PostRecord"]
    assert items[1].position == "line 3" and "Malformed CSV row" in items[1].reason
    assert items[1].line == 3
    assert items[2].position == "line 4" and "3 fields" in items[2].reason
    assert items[3].source_ref == "broken.csv#line/5"


def test_csv_encodings(tmp_path: Path):
    text = "Départ à 10h"
    cp = _write_csv(tmp_path / "cp.csv", ["Message"], [[text]], encoding="cp1252")
    u16 = _write_csv(tmp_path / "u16.csv", ["Message"], [[text]], encoding="utf-16")
    sig = _write_csv(tmp_path / "sig.csv", ["Message"], [[text]], encoding="utf-8-sig")
    (a,) = parse(cp, "csv")
    (b,) = parse(u16, "csv")
    (c,) = parse(sig, "csv")
    assert a.text == b.text == c.text == text
    assert a.extra["source_encoding"] == "cp1252" and "Windows-1252" in a.extra["encoding_note"]
    assert b.extra["source_encoding"] == "utf-16"
    assert c.extra["source_encoding"] == "utf-8-sig"


def test_mapping_errors():
    assert parse_mapping("text=Message, url=Link") == {"text": "Message", "url": "Link"}
    with pytest.raises(ValueError, match="not of the form"):
        parse_mapping("text")
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        parse_mapping("colour=Red")


def test_mapping_to_missing_column(tmp_path: Path):
    path = _write_csv(tmp_path / "s.csv", ["Message"], [["hi"]])
    with pytest.raises(FormatError, match="no column named 'Body'"):
        list(parse(path, "csv", {"text": "Body"}))


def test_generic_json_with_nested_mapping_and_media(tmp_path: Path, phone: str, write_image):
    write_image(tmp_path / "media" / "boat 1.jpg")
    data = {
        "posts": [
            {
                "body": f"Call {phone}",
                "user": {"name": "Blue Wave Tours (fictional)"},
                "created": "2026-03-02T10:15:00+01:00",
                "media": ["media/boat 1.jpg", "https://cdn.example.org/p.jpg"],
            },
            {
                "body": "naive time",
                "user": {"name": "x"},
                "created": "2026-03-02T10:15:00",
                "media": "media/missing.png",
            },
            7,
        ]
    }
    path = tmp_path / "scrape.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert detect(path) == "json"
    mapping = parse_mapping("text=body,author=user.name,posted_at=created,media=media")
    first, second, bad = list(parse(path, mapping=mapping))
    assert first.author == "Blue Wave Tours (fictional)"
    assert first.posted_at_utc == "2026-03-02T09:15:00Z"
    local, remote = first.media
    assert local.path_in_source == "media/boat 1.jpg" and local.missing_reason is None
    assert (
        remote.path_in_source.startswith("https://") and "not downloaded" in remote.missing_reason
    )
    assert second.posted_at_utc is None and second.posted_at_original == "2026-03-02T10:15:00"
    assert second.media[0].missing_reason
    assert isinstance(bad, ParseError) and bad.source_ref == "scrape.json#posts/2"


def test_jsonl_bad_line_is_one_error(tmp_path: Path):
    path = tmp_path / "scrape.jsonl"
    path.write_text(
        '{"message": "one", "url": "https://e.org/1", "timestamp": 1772446500}\n'
        '{"message": "two", \n'
        "\n"
        '["not", "an", "object"]\n'
        '{"message": "three", "url": "https://e.org/3", "timestamp": 1772446500000}\n',
        encoding="utf-8",
    )
    assert detect(path) == "jsonl"
    items = list(parse(path))
    assert [type(i).__name__ for i in items] == [
        "PostRecord",
        "ParseError",
        "ParseError",
        "PostRecord",
    ]
    assert items[1].position == "line 2" and "Malformed JSON" in items[1].reason
    assert items[2].position == "line 4" and items[2].line == 4
    assert items[0].text == "one" and items[0].posted_at_utc == "2026-03-02T10:15:00Z"
    assert items[3].posted_at_utc == "2026-03-02T10:15:00Z"  # milliseconds


def test_malformed_generic_json(tmp_path: Path):
    path = tmp_path / "scrape.json"
    path.write_text('[\n {"message": "a"},\n {"message": }\n]', encoding="utf-8")
    with pytest.raises(FormatError, match=r"scrape\.json is not valid JSON: .* line 3, column 14"):
        list(parse(path))


def test_records_are_json_safe(tmp_path: Path, phone: str):
    path = _write_csv(tmp_path / "ct.csv", CT_HEADER, [_ct_row(phone, "2026-03-02 10:15:00 EST")])
    (record,) = parse(path)
    assert isinstance(record, PostRecord)
    json.dumps({"raw": record.raw, "extra": record.extra})
