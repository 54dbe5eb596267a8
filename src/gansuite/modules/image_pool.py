"""The history of generated images that CycleGAN's discriminators train on (Shrivastava et al. 2017).

Showing D a mix of current and past fakes damps the oscillation between G and D. Same rule as the reference's
ImagePool: until `size` images are stored each new image is stored and returned; after that, each new image is,
with probability 0.5, swapped for a uniformly chosen stored one (which is returned in its place), else returned
as is. The pool starts empty again after a resume (the reference does not save it either).
"""

import torch
from torch import Tensor


class ImagePool:
    def __init__(self, size: int = 50, generator: torch.Generator | None = None) -> None:
        if size < 0:
            raise ValueError(f"the image pool size must be >= 0 (0 disables the pool), got {size}")
        self.size = size
        self.generator = generator  # None: torch's global RNG, which seed_everything seeds
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:
        """A batch of the same shape as `images` (detached), drawn from the new images and the pool."""
        images = images.detach()
        if self.size == 0:
            return images
        returned = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.clone())
                returned.append(image)
            elif torch.rand((), generator=self.generator) < 0.5:
                index = int(torch.randint(self.size, (), generator=self.generator))
                returned.append(self.images[index])
                self.images[index] = image.clone()
            else:
                returned.append(image)
        return torch.stack(returned)
