"""Evaluation helpers for the course notebooks (03 onwards): classification and forecast scores.

Import the submodules directly, e.g. ``from labkit.evaluation.classification import classification_report``.
"""
