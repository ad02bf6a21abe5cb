"""Demand-forecasting models (labkit.models, see its docstring for the modules)."""
