"""Products (attributes, hidden appeal, lifecycle) and their daily prices and promotions.

Some demand-relevant attributes are hidden from the product table: pattern and shade
appear only in the rendered image, material and feature words only in the text, so
that 05's fusion has something real to gain. Introduced in 00_data_tour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as S
from .conventions import CATEGORIES
from .images import PATTERNS, render_images
from .text import FEATURES_BY_CATEGORY, MATERIALS_BY_CATEGORY, SUBCATEGORIES, product_texts

CATEGORY_WEIGHTS = np.array([0.22, 0.16, 0.16, 0.12, 0.18, 0.16])
CATEGORY_PRICE = np.array([25.0, 40.0, 60.0, 45.0, 30.0, 90.0])
# price elasticity of choice within a category (how strongly a discount shifts share)
CATEGORY_ELASTICITY = np.array([1.6, 1.4, 1.2, 1.1, 1.8, 2.4])
# yearly season per category: (amplitude, day of year of the peak)
CATEGORY_SEASON = np.array([[0.25, 120], [0.2, 280], [0.15, 100], [0.05, 330], [0.3, 345], [0.35, 335]])
APPAREL = ("tops", "bottoms", "shoes")

BRANDS = ("Northwind", "Lumen", "Oakridge", "Vela", "Kestrel", "Marlow", "Tidewell", "Solace",
          "Brightfold", "Aurora Lane", "Copperfield", "Nimbus")
COLOURS = ("black", "white", "grey", "navy", "red", "green", "blue", "beige", "pink", "yellow")
# shades per colour: (name, rgb, trendy?) — the shade is visible only in the image
SHADES = {
    "black": [("jet", (25, 25, 28), False), ("charcoal", (55, 55, 60), False)],
    "white": [("snow", (245, 245, 245), False), ("ivory", (238, 232, 210), True)],
    "grey": [("slate", (112, 128, 144), False), ("silver", (185, 185, 190), False)],
    "navy": [("navy", (20, 30, 90), False), ("midnight", (25, 25, 60), False)],
    "red": [("crimson", (190, 20, 40), False), ("terracotta", (205, 95, 60), True)],
    "green": [("forest", (30, 100, 40), False), ("sage", (150, 175, 130), True)],
    "blue": [("royal", (40, 80, 200), False), ("sky", (120, 180, 230), False)],
    "beige": [("sand", (210, 190, 150), False), ("camel", (190, 150, 100), False)],
    "pink": [("rose", (230, 120, 150), False), ("lilac", (200, 160, 220), True)],
    "yellow": [("mustard", (210, 170, 40), True), ("lemon", (245, 230, 90), False)],
}
APPEAL_TREND_SD, APPEAL_SHOCK_SD = 0.012, 0.15  # daily random walk and day-level noise of appeal
PATTERN_EFFECT = np.array([0.0, 0.35, -0.1, -0.35])  # solid, striped, dotted, checked
TRENDY_EFFECT = 0.5
FEATURE_EFFECT = 0.45
MATERIAL_EFFECT = {"organic cotton": 0.35, "recycled polyester": 0.25, "leather": 0.2, "wool": 0.1,
                   "linen": 0.15, "bamboo": 0.3, "polyester": -0.35, "acrylic": -0.3, "plastic": -0.3}


@dataclass(frozen=True)
class Catalog:
    """Observable product table, hidden product truth, images and daily arrays."""

    products: pd.DataFrame
    truth: pd.DataFrame
    images: np.ndarray
    appeal: np.ndarray  # (n_days, n_products) log attractiveness incl. season/lifecycle/trend
    price: np.ndarray  # (n_days, n_products)
    discount: np.ndarray  # (n_days, n_products)
    category: np.ndarray  # (n_products,) category index
    # the random parts of appeal (kept for 03's forecast oracle, which redraws their future)
    appeal_trend: np.ndarray | None = None  # (n_days, n_products) daily random walk
    appeal_shock: np.ndarray | None = None  # (n_days, n_products) day-level noise


def _choice(rng: np.random.Generator, options: tuple[str, ...] | list[str], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def build_catalog(rng: np.random.Generator, n_products: int, n_days: int, calendar: pd.DataFrame,
                  image_size: int) -> Catalog:
    """Sample product attributes, hidden appeal, images, texts, prices and promotions."""

    n = n_products
    cat = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_WEIGHTS)
    cat[: len(CATEGORIES)] = np.arange(len(CATEGORIES))  # every category present
    cat_name = np.asarray(CATEGORIES, dtype=object)[cat]
    sub = np.array([SUBCATEGORIES[c][rng.integers(len(SUBCATEGORIES[c]))] for c in cat_name], dtype=object)
    brand_idx = rng.integers(0, len(BRANDS), n)
    brand_effect = np.linspace(-0.3, 0.3, len(BRANDS))[rng.permutation(len(BRANDS))]
    colour = _choice(rng, COLOURS, n)
    shade_pick = rng.integers(0, 2, n)
    shade = np.array([SHADES[c][k][0] for c, k in zip(colour, shade_pick)], dtype=object)
    shade_rgb = np.array([SHADES[c][k][1] for c, k in zip(colour, shade_pick)], dtype=np.uint8)
    trendy = np.array([SHADES[c][k][2] for c, k in zip(colour, shade_pick)])
    pattern = rng.choice(4, size=n, p=[0.45, 0.2, 0.15, 0.2])
    material = np.array([MATERIALS_BY_CATEGORY[c][rng.integers(len(MATERIALS_BY_CATEGORY[c]))]
                         for c in cat_name], dtype=object)
    has_feature = rng.random(n) < 0.4
    feature = np.array([FEATURES_BY_CATEGORY[c][rng.integers(len(FEATURES_BY_CATEGORY[c]))] if f else ""
                        for c, f in zip(cat_name, has_feature)], dtype=object)
    quality = rng.normal(0.0, 1.0, n)
    base_price = np.round(CATEGORY_PRICE[cat] * np.exp(rng.normal(0, 0.35, n) + 0.1 * quality
                                                       + 0.5 * brand_effect[brand_idx]), 2)
    # launch: 70 % on sale before the world starts, the rest launch during it (cold start)
    launch_day = np.where(rng.random(n) < 0.7, -rng.integers(30, 720, n), rng.integers(0, n_days, n))
    launch_day[: len(CATEGORIES)] = -365
    life_days = rng.integers(400, 1400, n)

    # hidden appeal: tabular + image-only + text-only + idiosyncratic parts (truth keeps each)
    part_tabular = brand_effect[brand_idx] + 0.15 * quality
    part_image = PATTERN_EFFECT[pattern] + TRENDY_EFFECT * trendy
    part_text = np.array([MATERIAL_EFFECT.get(m, 0.0) for m in material]) + FEATURE_EFFECT * has_feature
    part_noise = rng.normal(0.0, 0.3, n)
    base_appeal = part_tabular + part_image + part_text + part_noise

    days = np.arange(n_days)[:, None]
    age = days - launch_day[None, :]
    ramp = 1.0 / (1.0 + np.exp(-(age - 14) / 5.0))
    decline = np.exp(-np.clip(age - life_days[None, :], 0, None) / 365.0)
    alive = age >= 0
    amp, peak = CATEGORY_SEASON[cat, 0], CATEGORY_SEASON[cat, 1]
    doy = calendar[S.DATE].dt.day_of_year.to_numpy()[:, None]
    season = amp[None, :] * np.cos(2 * np.pi * (doy - peak[None, :]) / 365.25)
    trend = np.cumsum(rng.normal(0.0, APPEAL_TREND_SD, (n_days, n)), axis=0)
    shock = rng.normal(0.0, APPEAL_SHOCK_SD, (n_days, n))  # day-level over-dispersion
    appeal = base_appeal[None, :] + season + trend + shock + np.log(ramp * decline + 1e-12)
    appeal = np.where(alive, appeal, -np.inf)

    price, discount = _prices(rng, base_price, calendar)
    titles, descriptions = product_texts(rng, list(cat_name), list(sub), list(np.asarray(BRANDS)[brand_idx]),
                                         list(colour), list(material), list(feature), quality)
    images = render_images(rng, cat, shade_rgb, pattern, size=image_size)
    start = pd.Timestamp(calendar[S.DATE].iloc[0])
    pid = np.arange(n, dtype=np.int32)
    products = pd.DataFrame({
        S.PRODUCT_ID: pid, S.CATEGORY: cat_name.astype(str), S.SUBCATEGORY: sub.astype(str),
        S.BRAND: np.asarray(BRANDS)[brand_idx], S.COLOUR: colour.astype(str), S.BASE_PRICE: base_price,
        S.LAUNCH_DATE: start + pd.to_timedelta(launch_day, unit="D"),
        S.TITLE: titles, S.DESCRIPTION: descriptions,
    })
    truth = pd.DataFrame({
        S.PRODUCT_ID: pid, S.PATTERN: np.asarray(PATTERNS)[pattern], S.SHADE: shade.astype(str),
        "trendy_shade": trendy, S.MATERIAL: material.astype(str), S.FEATURE: feature.astype(str),
        "quality": quality, "appeal_tabular": part_tabular, "appeal_image": part_image,
        "appeal_text": part_text, "appeal_idiosyncratic": part_noise, "appeal_base": base_appeal,
        "life_days": life_days, "price_elasticity": CATEGORY_ELASTICITY[cat],
    })
    return Catalog(products, truth, images, appeal, price, discount, cat, trend, shock)


def _prices(rng: np.random.Generator, base_price: np.ndarray, calendar: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Daily discount per product: own promotions (3-10 days) and sitewide festival sales."""
    n_days, n = len(calendar), len(base_price)
    discount = np.zeros((n_days, n))
    n_promos = rng.poisson(n_days / 45.0, n)
    for p in np.nonzero(n_promos)[0]:
        starts = rng.integers(0, n_days, n_promos[p])
        lengths = rng.integers(3, 11, n_promos[p])
        depth = rng.choice([0.1, 0.15, 0.2, 0.25, 0.3, 0.4], n_promos[p])
        for s, ln, dp in zip(starts, lengths, depth):
            discount[s: s + ln, p] = np.maximum(discount[s: s + ln, p], dp)
    intensity = calendar[S.PROMO_INTENSITY].to_numpy()
    joins = rng.random((n_days, n)) < 0.35 + 0.5 * intensity[:, None]
    sitewide = np.where(joins & (intensity[:, None] > 0), np.round(0.5 * intensity[:, None] * 0.6, 2), 0.0)
    discount = np.maximum(discount, sitewide)
    price = np.round(base_price[None, :] * (1 - discount), 2)
    return price, discount


def price_table(catalog: Catalog, calendar: pd.DataFrame) -> pd.DataFrame:
    """Long table of daily prices: one row per product and day."""
    n_days, n = catalog.price.shape
    return pd.DataFrame({
        S.DATE: np.repeat(calendar[S.DATE].to_numpy(), n),
        S.PRODUCT_ID: np.tile(np.arange(n, dtype=np.int32), n_days),
        S.PRICE: catalog.price.ravel(),
        S.DISCOUNT: catalog.discount.ravel(),
        S.ON_PROMO: catalog.discount.ravel() > 0,
    })
