"""Synthetic product photos: category silhouettes filled with a shade and a pattern.

Used by the world generator (product images) and by the image notebooks, where a
small CNN has to *learn* category, pattern and shade: every image gets its own
position, scale, rotation, mirroring, background and texture noise, so no fixed
pixel gives the answer away.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

IMAGE_CATEGORIES: tuple[str, ...] = ("tops", "bottoms", "shoes", "bags", "home", "electronics")
PATTERNS: tuple[str, ...] = ("solid", "striped", "dotted", "checked")

_MIN_SIZE = 16
_MAX_SIZE = 512
_CHUNK = 256  # images rendered per block (bounds memory; fixed, so output is deterministic)


# --- silhouettes -------------------------------------------------------------
# Object coordinates (u, v) lie roughly in [-0.85, 0.85]; v grows downwards like
# image rows.  Each function returns a boolean mask with the shape of u.


def _tops(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """T-shirt: body, two slanted sleeves, round neck cut-out."""
    a = np.abs(u)
    body = (a < 0.42) & (v > -0.6) & (v < 0.8)
    t = (a - 0.42) / 0.38
    sleeves = (a >= 0.42) & (a < 0.8) & (v > -0.6 + 0.3 * t) & (v < -0.18 + 0.3 * t)
    neck = u * u + (v + 0.64) ** 2 < 0.18**2
    return (body | sleeves) & ~neck


def _bottoms(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Trousers: waistband and two slightly flared legs split below the crotch."""
    a = np.abs(u)
    waist = (a < 0.44) & (v > -0.82) & (v <= -0.62)
    outer = 0.44 + 0.1 * (v + 0.62) / 1.47
    gap = np.where(v < -0.25, -1.0, 0.035 + 0.05 * (v + 0.25) / 1.1)
    legs = (v > -0.62) & (v < 0.85) & (a < outer) & (a > gap)
    return waist | legs


def _shoes(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Shoe in side view: flat sole, domed upper, ankle collar at the heel."""
    sole = (np.abs(u) < 0.85) & (v > 0.3) & (v < 0.5)
    upper = (((u - 0.05) / 0.8) ** 2 + ((v - 0.32) / 0.5) ** 2 < 1.0) & (v <= 0.32)
    collar = (u > -0.78) & (u < -0.22) & (v > -0.4) & (v <= 0.32)
    return sole | upper | collar


def _bags(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Handbag: trapezoid body with an arched handle on top."""
    body = (v > -0.12) & (v < 0.75) & (np.abs(u) < 0.52 + 0.14 * (v + 0.12) / 0.87)
    r2 = u * u + (v + 0.12) ** 2
    handle = (r2 > 0.27**2) & (r2 < 0.4**2) & (v <= -0.12)
    return body | handle


def _home(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mug: tall body with a ring handle on the right and a rounded base."""
    body = (u > -0.55) & (u < 0.3) & (v > -0.6) & (v < 0.72)
    r2 = (u - 0.3) ** 2 + (v - 0.02) ** 2
    handle = (r2 > 0.17**2) & (r2 < 0.33**2) & (u >= 0.3)
    return body | handle


def _electronics(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Over-ear headphones: arched headband and two oval ear cups."""
    r2 = u * u + (v - 0.15) ** 2
    band = (r2 > 0.56**2) & (r2 < 0.73**2) & (v < 0.15)
    cups = ((np.abs(u) - 0.6) / 0.23) ** 2 + ((v - 0.3) / 0.34) ** 2 < 1.0
    return band | cups


_SHAPES = (_tops, _bottoms, _shoes, _bags, _home, _electronics)


# --- validation ----------------------------------------------------------------


def _check_inputs(category, shade_rgb, pattern, size) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ValueError(f"size must be an int, got {size!r}")
    if not _MIN_SIZE <= size <= _MAX_SIZE:
        raise ValueError(f"size must be in [{_MIN_SIZE}, {_MAX_SIZE}], got {size}")
    cat = np.asarray(category)
    pat = np.asarray(pattern)
    shade = np.asarray(shade_rgb)
    if cat.ndim != 1 or (cat.size and not np.issubdtype(cat.dtype, np.integer)):
        raise ValueError("category must be a 1-d integer array")
    n = cat.shape[0]
    if pat.shape != (n,) or (pat.size and not np.issubdtype(pat.dtype, np.integer)):
        raise ValueError(f"pattern must be a 1-d integer array of length {n} (like category)")
    if shade.shape != (n, 3):
        raise ValueError(f"shade_rgb must have shape ({n}, 3), got {shade.shape}")
    if n and (cat.min() < 0 or cat.max() >= len(IMAGE_CATEGORIES)):
        raise ValueError(f"category values must be in 0..{len(IMAGE_CATEGORIES) - 1}")
    if n and (pat.min() < 0 or pat.max() >= len(PATTERNS)):
        raise ValueError(f"pattern values must be in 0..{len(PATTERNS) - 1}")
    if n and (shade.min() < 0 or shade.max() > 255):
        raise ValueError("shade_rgb values must be in 0..255")
    return cat.astype(np.int64), shade.astype(np.float32), pat.astype(np.int64)


# --- rendering -------------------------------------------------------------------


def _draw_params(rng: np.random.Generator, shade: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Draw every per-image random parameter up front (one vector each)."""
    f32 = np.float32
    p = {
        "dx": rng.uniform(-0.2, 0.2, n),  # ±10 % of the image side
        "dy": rng.uniform(-0.2, 0.2, n),
        "scale": rng.uniform(0.75, 1.0, n),
        "angle": rng.uniform(-0.18, 0.18, n),  # about ±10 degrees
        "flip": np.where(rng.random(n) < 0.5, -1.0, 1.0),
        "period": rng.uniform(0.17, 0.32, n),
        "phase_u": rng.random(n),
        "phase_v": rng.random(n),
        "stripe_angle": rng.choice(np.array([0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]), n)
        + rng.uniform(-0.15, 0.15, n),
        "duty": rng.uniform(0.35, 0.55, n),
        "dot_r": rng.uniform(0.2, 0.3, n),
        "tone": rng.uniform(0.4, 0.62, n),
        "noise_sd": rng.uniform(2.5, 7.0, n),
    }
    bg = rng.uniform(212.0, 248.0, (n, 1)) + rng.uniform(-8.0, 8.0, (n, 3))
    p["bg"] = np.clip(bg, 0, 255)
    # accent colour: darker variant of light shades, lighter variant of dark shades
    lum = shade @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    tone = p["tone"][:, None]
    darker = shade * (1.0 - tone)
    lighter = shade + (255.0 - shade) * tone
    p["accent"] = np.where((lum > 140)[:, None], darker, lighter)
    p["outline"] = shade * 0.55
    p["shade"] = shade
    return {k: np.asarray(val, dtype=f32) for k, val in p.items()}


def _pattern_mask(pat: np.ndarray, u: np.ndarray, v: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Boolean mask of accent-coloured pixels for each image's pattern (solid: none)."""
    out = np.zeros(u.shape, dtype=bool)
    for kind in (1, 2, 3):
        sel = np.flatnonzero(pat == kind)
        if not sel.size:
            continue
        col = lambda key: p[key][sel, None, None]  # noqa: E731 - broadcast helper
        us, vs, per = u[sel], v[sel], col("period")
        if kind == 1:  # stripes at a random angle
            th = col("stripe_angle")
            w = (us * np.cos(th) + vs * np.sin(th)) / per + col("phase_u")
            out[sel] = (w - np.floor(w)) < col("duty")
        elif kind == 2:  # dots on a slightly wider grid
            pu = us / (per * 1.25) + col("phase_u")
            pv = vs / (per * 1.25) + col("phase_v")
            du = pu - np.floor(pu) - 0.5
            dv = pv - np.floor(pv) - 0.5
            out[sel] = du * du + dv * dv < col("dot_r") ** 2
        else:  # checks
            pu = np.floor(us / per + col("phase_u"))
            pv = np.floor(vs / per + col("phase_v"))
            out[sel] = (pu + pv) % 2 == 0
    return out


def _render_block(
    rng: np.random.Generator, cat: np.ndarray, pat: np.ndarray, p: dict[str, np.ndarray], size: int
) -> np.ndarray:
    """Render one block of images (all arrays already sliced to the block)."""
    m = cat.shape[0]
    col = lambda key: p[key][:, None, None]  # noqa: E731
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size * 2.0 - 1.0
    x = grid[None, None, :] - col("dx")
    y = grid[None, :, None] - col("dy")
    c, s = np.cos(col("angle")), np.sin(col("angle"))
    u = (c * x + s * y) / col("scale") * col("flip")
    v = (-s * x + c * y) / col("scale")
    mask = np.zeros((m, size, size), dtype=bool)
    for k, shape in enumerate(_SHAPES):
        sel = np.flatnonzero(cat == k)
        if sel.size:
            mask[sel] = shape(u[sel], v[sel])
    inner = mask.copy()
    inner[:, 1:, :] &= mask[:, :-1, :]
    inner[:, :-1, :] &= mask[:, 1:, :]
    inner[:, :, 1:] &= mask[:, :, :-1]
    inner[:, :, :-1] &= mask[:, :, 1:]
    accent = _pattern_mask(pat, u, v, p) & inner
    # colour label per pixel: 0 background, 1 outline, 2 shade, 3 accent; then a palette lookup
    label = mask.astype(np.uint8) + inner.astype(np.uint8) + accent.astype(np.uint8)
    palette = np.stack([p["bg"], p["outline"], p["shade"], p["accent"]], axis=1).reshape(-1, 3)
    flat_label = label + (np.arange(m, dtype=np.intp) * 4)[:, None, None]
    img = np.take(palette.round().astype(np.int16), flat_label, axis=0)  # (m, size, size, 3)
    # soft light from the top on the object plus mild grey texture noise everywhere
    offset = rng.standard_normal((m, size, size), dtype=np.float32) * col("noise_sd")
    offset -= mask * np.clip(v * np.float32(14.0), -16.0, 16.0)
    img += offset.round().astype(np.int16)[..., None]
    np.clip(img, 0, 255, out=img)
    return img.astype(np.uint8)


def render_images(
    rng: np.random.Generator,
    category: np.ndarray,
    shade_rgb: np.ndarray,
    pattern: np.ndarray,
    size: int = 64,
) -> np.ndarray:
    """Render one RGB product photo per row; returns uint8 array (n, size, size, 3).

    category indexes IMAGE_CATEGORIES, pattern indexes PATTERNS, shade_rgb is the
    fill colour.  Used by the world generator and the image/CNN notebooks.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    cat, shade, pat = _check_inputs(category, shade_rgb, pattern, size)
    n = cat.shape[0]
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    if n == 0:
        return out
    params = _draw_params(rng, shade, n)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        block = {k: val[sl] for k, val in params.items()}
        out[sl] = _render_block(rng, cat[sl], pat[sl], block, size)
    return out


def save_png(image: np.ndarray, path: str | Path) -> None:
    """Write one (h, w, 3) uint8 image to a PNG file (used when exporting the world)."""
    from PIL import Image  # local import: Pillow is only needed when saving

    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"image must be a (h, w, 3) uint8 array, got {arr.shape} {arr.dtype}")
    Image.fromarray(arr).save(Path(path), format="PNG")
