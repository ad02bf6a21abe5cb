"""Multimodal fusion (05_multimodal_fusion): the launch catalogue's data and frozen features, cached."""
