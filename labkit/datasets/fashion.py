"""Fashion Product Images (Small): metadata and ``<id>.jpg`` images, every problem counted (05_multimodal_fusion).

The Kaggle release (a Myntra catalogue) holds one metadata row per product (``id``, ``gender``,
``masterCategory``, ``subCategory``, ``articleType``, ``baseColour``, ``season``, ``year``,
``usage``, ``productDisplayName``) and an ``images/`` folder with ``<id>.jpg``. Real folders
are imperfect: a row whose image is missing, a file that does not decode, an image of another
size or mode (greyscale, RGBA, palette). :func:`load_fashion_images` decodes every image once
into one uint8 array and reports each row's fate in ``status``: ``ok``, ``resized``,
``converted`` (mode to RGB; ``converted+resized`` for both), or ``missing`` / ``corrupt``
(left out of the array, never silently: counted in the printed line and listed in the report).
Image files without a metadata row of the file are counted as ``orphans`` (a sample of the rows,
``meta.iloc[...]``, keeps the file's ids in ``attrs`` and is not charged with the rest).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .registry import resolve_dataset_path

METADATA_COLUMNS = ("id", "gender", "masterCategory", "subCategory", "articleType", "baseColour", "season",
                    "year", "usage", "productDisplayName")
KEPT = ("ok", "resized", "converted", "converted+resized")


def load_fashion_metadata(path_or_dir: str | os.PathLike, verbose: bool = True) -> pd.DataFrame:
    """The metadata table (``images_metadata.csv`` or Kaggle's ``styles.csv``), one row per product id.

    Raises ``ValueError`` naming the file and what is wrong: missing columns, ids that are not
    whole numbers or appear twice. Kaggle's ``styles.csv`` has a few rows with commas inside the
    display name; they are read whole (the extra fields rejoined), never dropped.
    """
    path = resolve_dataset_path(path_or_dir, "fashion_images", "a fashion metadata .csv (images_metadata.csv)")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if len(lines) < 2:
        raise ValueError(f"{path.name}: no data rows; expected a header line and one row per product")
    header = lines[0].split(",")
    missing = [c for c in METADATA_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {missing}; expected {list(METADATA_COLUMNS)}, found {header}")
    k = len(header)
    rows = []
    for i, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(",")
        if len(parts) < k:
            raise ValueError(f"{path.name}: line {i} has {len(parts)} fields, expected {k}: {line[:80]!r}")
        rows.append(parts[: k - 1] + [",".join(parts[k - 1:])])  # commas inside the last field (the name)
    meta = pd.DataFrame(rows, columns=header)
    ids = pd.to_numeric(meta["id"], errors="coerce")
    bad = meta.loc[ids.isna() | (ids % 1 != 0), "id"]
    if len(bad):
        raise ValueError(f"{path.name}: column id must hold whole numbers, found {bad.iloc[0]!r} "
                         f"(line {int(bad.index[0]) + 2})")
    meta["id"] = ids.astype("int64")
    dup = meta["id"][meta["id"].duplicated()]
    if len(dup):
        raise ValueError(f"{path.name}: id {int(dup.iloc[0])} appears more than once; expected one row per product")
    meta["year"] = pd.to_numeric(meta["year"], errors="coerce").astype("Int64")
    meta.attrs.update({"source": path.name, "images_dir": str(path.parent / "images"),
                       "all_ids": tuple(meta["id"].tolist())})  # orphans are counted against the whole file
    if verbose:
        print(f"fashion_images: {len(meta):,} products from {path.name}")
    return meta


@dataclass
class FashionImages:
    """Decoded images of the metadata rows that have one, and every row's fate."""

    meta: pd.DataFrame  # the rows whose image is in ``images`` (same order)
    images: np.ndarray  # (n, size, size, 3) uint8
    report: pd.DataFrame = field(repr=False)  # id, status (one row per metadata row)
    orphans: int = 0  # image files without a metadata row

    def counts(self) -> pd.Series:
        """Rows per status, plus the orphan files."""
        return pd.concat([self.report["status"].value_counts(), pd.Series({"orphan files": self.orphans})])


def _decode(path: Path, size: int) -> tuple[np.ndarray | None, str]:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return None, "missing"
    try:
        with Image.open(path) as im:
            im.load()
            status = []
            if im.mode != "RGB":
                im = im.convert("RGB")
                status.append("converted")
            if im.size != (size, size):
                im = im.resize((size, size), Image.Resampling.BILINEAR)
                status.append("resized")
            return np.asarray(im, dtype=np.uint8), "+".join(status) or "ok"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None, "corrupt"


def load_fashion_images(meta: pd.DataFrame, images_dir: str | os.PathLike | None = None, size: int = 64,
                        expected_size: int = 224, verbose: bool = True) -> FashionImages:
    """Decode ``<id>.jpg`` of every metadata row to ``size`` px RGB; report what each row got.

    ``images_dir`` defaults to the ``images/`` folder beside the metadata file. An image of
    another size than ``expected_size`` is resized like the others but flagged ``resized``
    when ``size == expected_size``; a non-RGB image is converted. Missing and corrupt images
    leave their row out of ``meta``/``images`` and are counted in the printed line.
    """
    if size < 8:
        raise ValueError(f"size: expected an image side of at least 8 pixels, got {size}")
    if "id" not in meta.columns:
        raise ValueError("meta: expected the metadata table of load_fashion_metadata (column id)")
    folder = Path(images_dir if images_dir is not None else meta.attrs.get("images_dir", "images"))
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; the images are expected in images/ beside the metadata")
    out = np.zeros((len(meta), size, size, 3), dtype=np.uint8)
    status = []
    for i, pid in enumerate(meta["id"].to_numpy()):
        img, st = _decode(folder / f"{int(pid)}.jpg", expected_size)
        if img is not None:
            if img.shape[0] != size:
                from PIL import Image

                img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
            out[i] = img
        status.append(st)
    report = pd.DataFrame({"id": meta["id"].to_numpy(), "status": status})
    keep = report["status"].isin(KEPT).to_numpy()
    files = {p.stem for p in folder.glob("*.jpg")}
    orphans = len(files - {str(i) for i in meta.attrs.get("all_ids", meta["id"].tolist())})
    result = FashionImages(meta[keep].reset_index(drop=True), out[keep], report, orphans)
    if verbose:
        c = report["status"].value_counts()
        problems = ", ".join(f"{n:,} {s}" for s, n in c.items() if s != "ok")
        print(f"fashion_images: {int(keep.sum()):,} of {len(meta):,} images decoded to {size} px"
              + (f" ({problems})" if problems else "") + (f"; {orphans:,} image files without a metadata row"
                                                          if orphans else ""))
    return result
