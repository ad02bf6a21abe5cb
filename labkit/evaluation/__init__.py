"""Evaluation helpers for the course notebooks (03 onwards): classification and forecast scores.

``classification`` (binary scores, calibration), ``multiclass`` (macro-F1 reports, the class-bias rule),
``forecast_metrics`` (WAPE, MASE, bias), ``privacy`` (07: keyed-hash pseudonyms, k-anonymity, the Laplace
mechanism). Import the submodules directly.
"""
