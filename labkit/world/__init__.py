"""The seeded synthetic e-commerce world: generator, loader and its parts (00_data_tour)."""

from .generate import build_world, generate_world
from .store import World, ensure_world, load_world

__all__ = ["World", "build_world", "ensure_world", "generate_world", "load_world"]
