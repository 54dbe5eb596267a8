"""Training on part of a dataset (`data.max_images=N` or `data.fraction=F`): the data-efficient setting of DiffAugment
(Zhao et al. 2020) and ADA (Karras et al. 2020), and a quick check that a recipe learns from little data.

The subset is drawn once from `data.subset_seed` (the run's seed by default): the same seed gives the same images,
another seed others; its indices are kept in the original order. Only the training batches come from it: metrics
compare against the whole split, so runs on different subsets are scored against the same real images.
"""

import torch
from torch import Tensor

from gansuite.errors import ConfigError, is_integer


def subset_size(count: int, max_images: int | None, fraction: float | None) -> int | None:
    """How many of `count` images the options keep (None: all of them, no subset); ConfigError for bad options."""
    if max_images is not None and fraction is not None:
        raise ConfigError(
            f"data.max_images={max_images} and data.fraction={fraction} both choose the subset: set one of them"
        )
    if fraction is not None:
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
            raise ConfigError(f"data.fraction must be in (0, 1], e.g. 0.1 for 10% of the images, got {fraction!r}")
        return max(1, round(fraction * count))
    if max_images is not None:
        if not is_integer(max_images) or not 0 < max_images <= count:
            raise ConfigError(
                f"data.max_images must be an integer in 1..{count} (the images of this split), got {max_images!r}"
            )
        return max_images
    return None


def subset_indices(count: int, max_images: int | None, fraction: float | None, seed: int) -> Tensor | None:
    """The indices (sorted) of the seeded subset the options choose out of `count` images; None for all."""
    size = subset_size(count, max_images, fraction)
    if size is None:
        return None
    return torch.randperm(count, generator=torch.Generator().manual_seed(seed))[:size].sort().values
