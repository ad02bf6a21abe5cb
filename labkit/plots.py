"""Small plotting helpers shared by the notebooks (matplotlib; introduced in 00_data_tour)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S


def image_grid(images: np.ndarray, titles: list[str] | None = None, ncols: int = 8, size: float = 1.6):
    """Show images (N, H, W, 3) uint8 in a grid with optional short titles."""
    import matplotlib.pyplot as plt

    n = len(images)
    if n == 0:
        raise ValueError("images is empty; expected at least one image")
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + 0.3)), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, ax in enumerate(axes.ravel()[:n]):
        ax.imshow(images[i])
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    fig.tight_layout()
    return fig


def daily_with_festivals(daily: pd.Series, calendar: pd.DataFrame, ylabel: str, ax=None):
    """Line plot of a daily series with the shopping festivals marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.2))
    ax.plot(daily.index, daily.to_numpy(), lw=0.8, color="tab:blue")
    fest = calendar[calendar[S.FESTIVAL] != ""]
    big = fest[fest[S.PROMO_INTENSITY] >= 0.6]
    for _, row in big.iterrows():
        ax.axvline(row[S.DATE], color="tab:red", alpha=0.25, lw=2)
    for name, grp in big.groupby(S.FESTIVAL):
        ax.text(grp[S.DATE].iloc[0], ax.get_ylim()[1] * 0.95, name.replace("_", " "), fontsize=7,
                rotation=90, va="top", ha="right", color="tab:red")
    ax.set_ylabel(ylabel)
    return ax


def reliability(prob: np.ndarray, outcome: np.ndarray, bins: int = 10, ax=None, label: str | None = None):
    """Reliability diagram: mean predicted probability vs observed frequency per quantile bin."""
    import matplotlib.pyplot as plt

    if len(prob) != len(outcome):
        raise ValueError(f"prob and outcome differ in length ({len(prob)} vs {len(outcome)})")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    q = pd.qcut(prob, bins, duplicates="drop")
    df = pd.DataFrame({"p": prob, "y": outcome}).groupby(q, observed=True).mean()
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.plot(df["p"], df["y"], "o-", label=label)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    return ax


def token_attributions(pairs: list[tuple[str, float]], ax=None, title: str | None = None, fontsize: int = 10):
    """Word pieces on one line, each on a background coloured by its score (blue +, red -).

    ``pairs`` is the output of :func:`labkit.models.text.attributions.token_attributions`; ``##`` pieces
    are drawn joined to the piece before them. Introduced in 04_bert.
    """
    import matplotlib.pyplot as plt

    if not pairs:
        raise ValueError("pairs: expected at least one (token, score) pair")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.8))
    scores = np.array([s for _, s in pairs], dtype=float)
    scale = np.abs(scores).max() or 1.0
    cmap = plt.get_cmap("RdBu")
    ax.set_axis_off()
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    x = 0.0
    for token, score in pairs:
        joined = token.startswith("##")
        label = token[2:] if joined else token
        x += 0.0 if joined or x == 0.0 else 0.006
        t = ax.text(x, 0.5, label, fontsize=fontsize, va="center", ha="left", transform=ax.transAxes,
                    bbox={"facecolor": cmap(0.5 + 0.5 * score / scale), "edgecolor": "none", "pad": 1.5})
        box = t.get_window_extent(renderer=renderer).transformed(ax.transAxes.inverted())
        x += box.width
    if title:
        ax.set_title(title, fontsize=fontsize, loc="left")
    return ax
