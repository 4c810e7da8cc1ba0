"""Tests for the media stage of analysis.pipeline reading images in batches."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.ocr import ocr_image
from analysis.pipeline import analyse
from evidence.case import Case
from evidence.importer import import_path
from evidence.progress import Progress

PHONE = "+90 501 234 56"  # phonenumbers' example mobile number for TR, last digits varied


def test_batches_store_what_each_image_reads_alone(case: Case, tmp_path: Path, render,
                                                   require_ocr):
    shots = tmp_path / "shots"
    shots.mkdir()
    for i in range(5):
        render([f"Advert number {i}", f"Call {PHONE} {70 + i}"], dark=i % 2 == 1).save(
            shots / f"Screenshot_20260302-1015{i:02d}.png")
    import_path(case, shots)
    # What a batch of a killed run left behind in the cache.
    left = case.tmp_dir / "ocr-batch-killed"
    left.mkdir(parents=True)
    (left / "main-0000.png").write_bytes(b"prepared image")
    seen: list[Progress] = []
    rep = analyse(case, ocr_langs="eng+ara", workers=2, progress=seen.append)
    assert rep.ocr_done == 5 and rep.hashed == 5 and rep.ocr_failed == 0
    media = [p for p in seen if p.label == "Reading and hashing images"]
    assert media[-1].done == media[-1].total == 5  # counted in images, not batches
    assert [p.done for p in media] == sorted(p.done for p in media)
    # Temporary folders of the batches, this run's and the killed run's, are gone.
    assert not [p for p in case.tmp_dir.iterdir() if p.name.startswith("ocr-batch-")]
    rows = case.db.execute(
        "SELECT m.sha256, o.text, o.words, o.settings FROM ocr o"
        " JOIN media m ON m.sha256 = o.media_sha256 WHERE o.current = 1").fetchall()
    assert len(rows) == 5
    for sha, text, words, settings in rows:
        alone = ocr_image(case.vault.path_for(sha), "eng+ara")
        assert text == alone.text
        assert json.loads(settings) == alone.settings
        assert len(json.loads(words)) == len(alone.words)
