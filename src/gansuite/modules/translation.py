"""What the image-to-image families (CycleGAN, pix2pix) share on top of the adversarial base: each batch makes one
generator step and one discriminator step, the reference's learning-rate rule, translation in eval mode, and the
picture the translation grids show.

Learning rate: the reference (pytorch-CycleGAN-and-pix2pix) keeps it constant for n_epochs and decays it linearly to
zero over n_epochs_decay more. Here the same rule runs over generator updates: our budget is `steps` generator
updates, not epochs, an epoch's length depends on the data set, and a per-update schedule is exact for runs shorter
than an epoch. Over the reference's 200 epochs of about 1000 updates the two differ by at most 1/101 of the base
rate per update.
"""

from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR

from gansuite.errors import ConfigError
from gansuite.modules.base import AdversarialModule, eval_mode
from gansuite.modules.capabilities import Capabilities
from gansuite.nets.shapes import run_at_own_size


def linear_decay(update: int, total_updates: int, decay_updates: int) -> float:
    """Learning-rate factor for generator update `update` (0-based): the reference's linear policy
    `1 - max(0, epoch + 1 - n_epochs) / (n_epochs_decay + 1)` with epochs read as generator updates.

    1 for the first `total_updates - decay_updates` updates, then falling by 1 / (decay_updates + 1) per update,
    so it is 1 / (decay_updates + 1) at the last update and 0 once the budget is spent.
    """
    constant_updates = total_updates - decay_updates
    return 1.0 - max(0, update + 1 - constant_updates) / (decay_updates + 1)


class TranslationModule(AdversarialModule):
    """A subclass builds its networks, says which `directions` it translates and with which network
    (`generator_for`), and writes one training_step that ends with `step_schedulers()`."""

    capabilities = Capabilities(consumes="domains", produces="translations")
    optimizer_steps_per_generator_update = 2  # one generator step, then one discriminator step
    directions: tuple[str, ...]

    def __init__(self, lr_decay_fraction: float = 0.5, **base: Any) -> None:
        """`lr_decay_fraction`: the share of the steps over which the learning rate falls linearly to zero (the
        reference: the second half). `base`: the loss, optimizers, data_shape and speed options of
        AdversarialModule."""
        super().__init__(**base)
        if not 0.0 <= lr_decay_fraction <= 1.0:
            raise ConfigError(
                f"model.lr_decay_fraction must be in [0, 1] (share of the steps with a decaying learning rate), got "
                f"{lr_decay_fraction}"
            )
        self.lr_decay_fraction = lr_decay_fraction

    def generator_for(self, direction: str) -> nn.Module:
        raise NotImplementedError

    def translate(self, images: Tensor, direction: str = "a2b") -> Tensor:
        """Translations of `images` in [-1, 1] in `direction` ('a2b': A -> B, or 'b2a'), in eval mode, at the images'
        own height and width (gansuite.nets.shapes.run_at_own_size: padded to what the generator takes, cropped
        back)."""
        if direction not in self.directions:
            raise ConfigError(
                f"direction={direction} is not a direction this {type(self).__name__} model translates: use "
                f"{' or '.join(self.directions)}"
            )
        generator = self.generator_for(direction)
        with eval_mode(generator):
            return run_at_own_size(generator, images.to(self.device))

    def translation_grid(self, real_a: Tensor, real_b: Tensor) -> tuple[Tensor, int]:
        """The images of the periodic translation picture of these test pairs and the number of columns."""
        raise NotImplementedError

    def decaying_schedulers(self, optimizers: list[torch.optim.Optimizer]) -> list[LambdaLR]:
        """Schedulers of the reference's rule over the `steps` budget, stepped once per batch."""
        total = self.budget_updates
        if total is None:
            raise ConfigError(
                f"{type(self).__name__}'s learning-rate schedule (constant, then linear to zero) needs a step budget: "
                "set steps=N (generator updates) or the Trainer's max_steps"
            )
        decay = round(total * self.lr_decay_fraction)
        return [LambdaLR(opt, lambda update: linear_decay(update, total, decay)) for opt in optimizers]

    def step_schedulers(self) -> float:
        """Steps the learning-rate schedulers after a batch; returns the generator's rate the batch used (to log)."""
        lr = self.optimizers()[0].param_groups[0]["lr"]
        for scheduler in self.lr_schedulers():
            scheduler.step()
        return lr
