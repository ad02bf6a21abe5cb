"""labkit: the helpers behind the e-commerce demand-prediction course notebooks.

Importing labkit has no side effects; heavy modules (torch, transformers) load only
when a function that needs them is called.
"""

from . import schema
from .artifacts import ArtifactStore
from .recording import load_metrics, record_metrics, summary_table
from .paths import artifacts_dir, repo_root, runs_dir, world_dir
from .profiles import PROFILES, Profile, get_profile
from .runtime import pick_device, seed_everything, set_threads, start
from .world import World, ensure_world, generate_world, load_world

__version__ = "0.1.0"
__all__ = [
    "ArtifactStore", "PROFILES", "Profile", "World", "artifacts_dir", "ensure_world", "generate_world", "get_profile",
    "load_metrics", "load_world", "pick_device", "record_metrics", "repo_root", "runs_dir", "schema",
    "seed_everything", "set_threads", "start", "summary_table", "world_dir",
]
