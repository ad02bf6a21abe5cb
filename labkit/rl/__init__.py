"""Reinforcement learning for the shop (06_reinforcement_learning): inventory control and its baselines."""
