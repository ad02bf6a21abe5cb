"""Models of the course notebooks (03 onwards): purchase intent (``intent``) and demand forecasting.

Import the submodules directly, e.g. ``from labkit.models.intent import fit_lightgbm_intent``;
nothing heavy (torch, lightgbm) loads on ``import labkit.models``.
"""
