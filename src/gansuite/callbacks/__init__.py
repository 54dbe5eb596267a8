"""Callbacks that act on generator updates, the unit papers count, rather than Lightning's optimizer steps: each
reads the model's `completed_generator_update` (gansuite.modules.base)."""
