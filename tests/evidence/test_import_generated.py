"""Each export format round-trips from the synthetic generator's exports: every message, post
and row becomes one item with its text, its numbers and its photo."""

import json
from pathlib import Path

import pytest

from analysis.pipeline import analyse
from evidence import store
from evidence.importer import import_path
from synthetic import generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, 40, seed=5)
    return out


def _truth(generated: Path) -> dict:
    return json.loads((generated / "truth.json").read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_telegram_export_round_trips(case, generated):
    truth = _truth(generated)["exports"]["telegram"]
    root = generated / Path(truth["path"]).parent
    rep = import_path(case, root)
    assert rep.kind == "telegram" and not rep.rejected
    items = store.items_json(case)
    assert len(items) == len(truth["messages"])
    texts = {_norm(i["text"] or "") for i in items}
    for msg in truth["messages"]:
        if msg["type"] == "message":
            assert _norm(msg["text"]) in texts
    exported = list((root / "photos").iterdir())
    assert sum(1 for i in items for m in i["media"] if m["role"] == "photo") == len(exported)
    # A photo the export left out ("File not included") is said on its item.
    assert any(i["extra"].get("media_missing") for i in items)
    assert sum(1 for i in items if i["context"]) == sum(
        1 for m in truth["messages"] if m["type"] == "service")


def test_facebook_export_round_trips_with_mojibake_repaired(case, generated):
    truth = _truth(generated)["exports"]["facebook"]
    rep = import_path(case, generated / "exports" / "facebook")
    assert rep.kind == "facebook" and not rep.rejected
    items = store.items_json(case)
    assert len(items) == len(truth["posts"])
    texts = {_norm(i["text"] or "") for i in items}
    for post in truth["posts"]:
        assert _norm(post["text"]) in texts  # Turkish, Arabic, accents: repaired exactly
    assert all(len(i["media"]) == 1 for i in items)


def test_crowdtangle_export_round_trips_and_numbers_are_found(case, generated):
    truth = _truth(generated)["exports"]["crowdtangle"]
    rep = import_path(case, generated / "exports" / "crowdtangle.csv")
    assert rep.kind == "crowdtangle" and not rep.rejected
    analyse(case, ocr_langs=None)
    items = store.items_json(case)
    assert len(items) == len(truth["rows"])
    by_text = {_norm(i["text"] or ""): i for i in items}
    for row in truth["rows"]:
        item = by_text[_norm(row["text"])]
        assert item["author"] == row["page"]
        found = {s["value"] for s in item["selectors"] if s["kind"] in ("phone", "whatsapp")}
        assert {p["e164"] for p in row["phones"]} <= found
