"""Evaluation helpers for the course notebooks (03 onwards): classification and forecast scores.

``classification`` (binary scores, calibration), ``multiclass`` (macro-F1 reports, the class-bias rule),
``forecast_metrics`` (WAPE, MASE, bias), and 07's: ``uncertainty`` (cluster-bootstrap intervals, paired
differences, leaderboards), ``handoff`` (reading what 03-06 saved), ``faithfulness`` (deletion checks of
explanations, SHAP and LIME helpers), ``backtest`` (rolling origins, frozen vs retrained), ``drift`` (PSI
and KS monitors), ``privacy`` (keyed-hash pseudonyms, k-anonymity, the Laplace mechanism).
Import the submodules directly.
"""
