"""Hand-made colour and texture statistics of product images (no neural network).

Per image: the product's pixels (those far from the background colour, estimated on the
border), their mean and spread per RGB channel, a saturation-weighted hue histogram,
saturation and brightness, the product's share of the image, edge density inside the
product, and two pattern measures: ``periodicity`` (share of the texture's spectral
energy in its strongest frequency: high for stripes, checks and dots, low for solid
fills) and ``orientation_coherence`` (one dominant direction: stripes). Introduced in
02_feature_extraction as the baseline that 05's CNN features are compared with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S

HUE_BINS = 12
FOREGROUND_DISTANCE = 40.0  # RGB distance from the background colour that marks the product
EDGE_THRESHOLD = 40.0  # gradient magnitude (grey levels per pixel) that counts as an edge


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in [0, 1), saturation and value in [0, 1] of float RGB in [0, 1] (last axis)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    delta = mx - mn
    safe = np.where(delta > 0, delta, 1.0)
    h = np.select([mx == r, mx == g], [((g - b) / safe) % 6, (b - r) / safe + 2], (r - g) / safe + 4) / 6.0
    h = np.where(delta > 0, h, 0.0)
    s = np.where(mx > 0, delta / np.where(mx > 0, mx, 1.0), 0.0)
    return h % 1.0, s, mx


def foreground_mask(images: np.ndarray) -> np.ndarray:
    """(n, H, W) bool: pixels far from the median border colour of their image."""
    x = images.astype(np.float32)
    border = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)
    bg = np.median(border, axis=1)[:, None, None, :]
    return np.sqrt(((x - bg) ** 2).sum(axis=-1)) > FOREGROUND_DISTANCE


def _gradients(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradients along x and y (edges replicated)."""
    p = np.pad(grey, ((0, 0), (1, 1), (1, 1)), mode="edge")
    return (p[:, 1:-1, 2:] - p[:, 1:-1, :-2]) / 2, (p[:, 2:, 1:-1] - p[:, :-2, 1:-1]) / 2


def _erode(mask: np.ndarray, steps: int = 2) -> np.ndarray:
    """Shrink masks by ``steps`` pixels (drops the outline from texture measures)."""
    m = mask
    for _ in range(steps):
        p = np.pad(m, ((0, 0), (1, 1), (1, 1)))
        m = m & p[:, :-2, 1:-1] & p[:, 2:, 1:-1] & p[:, 1:-1, :-2] & p[:, 1:-1, 2:]
    return m


def image_features(images: np.ndarray, product_ids: np.ndarray | None = None) -> pd.DataFrame:
    """One row per image (product_id = row index by default) of colour and texture statistics."""
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images: expected an (n, H, W, 3) array, got shape {images.shape}")
    n = len(images)
    ids = np.arange(n) if product_ids is None else np.asarray(product_ids)
    if len(ids) != n:
        raise ValueError(f"product_ids: expected {n} ids (one per image), got {len(ids)}")
    rgb = images.astype(np.float32) / 255.0
    fg = foreground_mask(images)
    empty = fg.reshape(n, -1).sum(axis=1) < 10
    fg[empty] = True  # nothing found: describe the whole image
    w = fg.astype(np.float32)
    cnt = w.sum(axis=(1, 2))
    out: dict[str, np.ndarray] = {S.PRODUCT_ID: ids}
    for k, ch in enumerate("rgb"):
        mean = (rgb[..., k] * w).sum(axis=(1, 2)) / cnt
        var = (((rgb[..., k] - mean[:, None, None]) ** 2) * w).sum(axis=(1, 2)) / cnt
        out[f"{ch}_mean"], out[f"{ch}_std"] = mean, np.sqrt(var)
    h, s, v = _hsv(rgb)
    hue_bin = np.minimum((h * HUE_BINS).astype(int), HUE_BINS - 1)
    hist = np.zeros((n, HUE_BINS))
    np.add.at(hist, (np.repeat(np.arange(n), fg.shape[1] * fg.shape[2]), hue_bin.reshape(-1)), (s * w).reshape(-1))
    hist /= np.maximum(hist.sum(axis=1, keepdims=True), 1e-9)
    for b in range(HUE_BINS):
        out[f"hue_{b:02d}"] = hist[:, b]
    out["saturation_mean"] = (s * w).sum(axis=(1, 2)) / cnt
    out["value_mean"] = (v * w).sum(axis=(1, 2)) / cnt
    out["foreground_share"] = cnt / (fg.shape[1] * fg.shape[2])
    grey = images.astype(np.float32).mean(axis=-1)
    gx, gy = _gradients(grey)
    inner = _erode(fg)
    inner[inner.reshape(n, -1).sum(axis=1) < 10] = True
    wi = inner.astype(np.float32)
    ci = wi.sum(axis=(1, 2))
    out["edge_density"] = ((np.hypot(gx, gy) > EDGE_THRESHOLD) * wi).sum(axis=(1, 2)) / ci
    jxx, jyy, jxy = ((g * wi).sum(axis=(1, 2)) for g in (gx * gx, gy * gy, gx * gy))  # structure tensor
    out["orientation_coherence"] = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / np.maximum(jxx + jyy, 1e-9)
    out["periodicity"], out["pattern_frequency"] = _periodicity(grey, wi)
    frame = pd.DataFrame(out)
    cols = [c for c in frame.columns if c != S.PRODUCT_ID]
    frame[cols] = frame[cols].astype(np.float32)
    return frame


def _periodicity(grey: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of the masked texture's spectral energy in its strongest non-low frequency, and
    that frequency (cycles per image side): a stripe/check/dot measure."""
    n, hgt, wid = grey.shape
    mean = (grey * weight).sum(axis=(1, 2)) / np.maximum(weight.sum(axis=(1, 2)), 1)
    tex = (grey - mean[:, None, None]) * weight
    power = np.abs(np.fft.fft2(tex)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(hgt) * hgt, np.fft.fftfreq(wid) * wid, indexing="ij")
    radius = np.hypot(fy, fx)
    band = (radius >= 3).astype(np.float32)  # skip the silhouette's low frequencies
    p = power * band
    flat = p.reshape(n, -1)
    peak = flat.argmax(axis=1)
    share = 2 * flat.max(axis=1) / np.maximum(flat.sum(axis=1), 1e-9)  # a real peak comes in a +/- pair
    return share, radius.reshape(-1)[peak]
