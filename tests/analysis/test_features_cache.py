"""Features kept on disk: an area described once is read back by another cache given the same
folder (another worker, a later run) with the very same verification; a damaged or missing
file is described again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import features
from synthetic.photos import render_scene


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("feat")
    photo = render_scene("harbour", 5, (1000, 700))
    photo.save(folder / "a.jpg", quality=90)
    photo.crop((100, 50, 900, 650)).save(folder / "b.jpg", quality=75)
    return folder / "a.jpg", folder / "b.jpg"


def test_saved_features_load_back_identical(pair, tmp_path: Path) -> None:
    first = features.FeatureCache(folder=tmp_path / "f")
    shown = first.features(pair[0], None)
    mirrored = first.features(pair[0], None, mirrored=True)
    assert first.described == 1
    back = features.load_features(first.file_for(str(pair[0]), None))
    assert back is not None
    for original, loaded in zip((shown, mirrored), back, strict=True):
        assert np.array_equal(original.points, loaded.points)
        assert np.array_equal(original.descriptors, loaded.descriptors)
        assert original.size == loaded.size
        assert np.array_equal(original.thumb, loaded.thumb)


def test_a_second_cache_reads_instead_of_describing(pair, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    fresh = features.verify_features(features.FeatureCache(), pair[0], None, pair[1], None)
    writer = features.FeatureCache(folder=folder)
    features.verify_features(writer, pair[0], None, pair[1], None)
    assert writer.described == 2
    reader = features.FeatureCache(folder=folder)
    again = features.verify_features(reader, pair[0], None, pair[1], None)
    assert reader.described == 0
    assert again.confirmed and fresh.confirmed
    assert (again.inliers, again.correlation, again.coverage) == \
        (fresh.inliers, fresh.correlation, fresh.coverage)
    # Another box of the same image is another area.
    reader.features(pair[0], (0, 0, 500, 400))
    assert reader.described == 1


def test_a_damaged_file_is_described_again(pair, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    features.FeatureCache(folder=folder).features(pair[0], None)
    file = features.FeatureCache(folder=folder).file_for(str(pair[0]), None)
    file.write_bytes(b"not an npz")
    assert features.load_features(file) is None
    assert features.load_features(tmp_path / "missing.npz") is None
    cache = features.FeatureCache(folder=folder)
    assert len(cache.features(pair[0], None).points) > 100
    assert cache.described == 1 and features.load_features(file) is not None
