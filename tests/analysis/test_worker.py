"""Tests for analysis.worker: a batch task gives each image what a one-image task gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import ocr
from analysis.worker import analyse_media, analyse_media_batch

LANGS = "eng+ara+fas+fra+tur"


@pytest.fixture()
def files(tmp_path: Path, render) -> list[Path]:
    paths = [tmp_path / "a.png", tmp_path / "b.png", tmp_path / "broken.png"]
    render(["Sea Star Travel (fictional)", "WhatsApp +90 501 234 56 78"]).save(paths[0])
    render(["قارب إلى إيطاليا كل جمعة"], rtl=True, dark=True).save(paths[1])
    paths[2].write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    return paths


def _tasks(files: list[Path], cache: Path, langs: str | None) -> list[dict]:
    return [{"sha": f"sha-{p.stem}", "path": str(p), "hash": True, "ocr_langs": langs,
             "tmp_dir": str(cache), "timeout": 60} for p in files]


def test_batch_task_matches_one_image_tasks(require_ocr, files, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    tasks = _tasks(files, cache, LANGS)
    batch = analyse_media_batch(tasks)
    assert batch == [analyse_media(t) for t in tasks]
    assert [r["sha"] for r in batch] == ["sha-a", "sha-b", "sha-broken"]
    assert "WhatsApp" in batch[0]["ocr"]["text"] and "hashes" in batch[0]
    assert "ocr" in batch[1] and "hashes" in batch[1]
    assert "broken.png cannot be read" in batch[2]["ocr_error"]
    assert "hash_error" in batch[2] and batch[2]["unreadable"]
    assert list(cache.iterdir()) == []


def test_batch_task_without_ocr_only_hashes(files, tmp_path):
    out = analyse_media_batch(_tasks(files[:2], tmp_path, None))
    assert all("hashes" in r and "ocr" not in r and "ocr_error" not in r for r in out)


def test_batch_task_says_ocr_is_unavailable_for_every_image(files, tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "TESSERACT_CMD", "tesseract-that-is-not-installed")
    tasks = _tasks(files[:2], tmp_path, LANGS)
    for t in tasks:
        t["hash"] = False
    out = analyse_media_batch(tasks)
    assert [r["ocr_error"] for r in out] == [
        "OCR is unavailable: the Tesseract program is not installed."] * 2


def _starting_environment(name: str) -> str | None:
    """``name`` in the environment this process was started with (what libraries read at
    import), not as Python's ``os.environ`` has it since."""
    for entry in Path("/proc/self/environ").read_bytes().split(b"\0"):
        key, _, value = entry.partition(b"=")
        if key.decode() == name:
            return value.decode()
    return None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_workers_start_with_one_blas_thread(tmp_path, monkeypatch):
    import concurrent.futures as cf

    from analysis.worker import init_worker, spawn_context

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    # As the pipeline starts its pool; numpy in a worker loads before the initializer runs.
    with cf.ProcessPoolExecutor(1, mp_context=spawn_context(), initializer=init_worker,
                                initargs=(str(tmp_path),)) as pool:
        assert pool.submit(_starting_environment, "OPENBLAS_NUM_THREADS").result() == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # a setting of the user's is kept
    with cf.ProcessPoolExecutor(1, mp_context=spawn_context()) as pool:
        assert pool.submit(_starting_environment, "OPENBLAS_NUM_THREADS").result() == "3"
