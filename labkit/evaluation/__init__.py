"""Evaluation helpers for the course notebooks (03 onwards): classification and forecast scores.

``classification`` (binary scores, calibration), ``multiclass`` (macro-F1 reports, the class-bias rule),
``forecast_metrics`` (WAPE, MASE, bias). Import the submodules directly.
"""
