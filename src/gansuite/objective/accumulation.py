"""Gradient accumulation in plain torch: one update of a player made from k equal micro-batches of its batch
(`accumulate=k`), with the result of one large batch, so a batch that does not fit in memory trains as if it did.

Each micro-batch's loss is divided by k before its backward, so the gradients add up to those of the mean of the
micro-batches' losses. That is the whole batch's loss exactly when every term is a mean of terms that each see one
sample (one pair for RpGAN): the losses but RaGAN's, R1, R2, both gradient penalties, LeCam, bCR and the class losses
but ReACGAN's (`AdversarialObjective.check_micro_batches` refuses the others), through networks that keep no batch
statistics (batch norm and minibatch stddev see the micro-batch). Random draws (noise, interpolates, augmentations)
are per micro-batch: the same distribution, not the same numbers.

The state that follows batches (`FollowsBatches`: ADA's statistics and step count, instance noise's level, LeCam's
anchors, the path-length mean) is held fixed while an update's micro-batches run, and moves once, from all of their
statistics together, when they are done: one step of ADA's interval per update, and the anchors and the mean move
as one large batch would move them.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor

from gansuite.errors import ConfigError


def split_batch(count: int, *tensors: Tensor | None) -> list[tuple[Tensor | None, ...]]:
    """`count` equal micro-batches of the batch `tensors` (its samples, noise, labels: None stays None in each), in
    order, so micro-batch i holds the same rows of every tensor; [tensors] itself when `count` is 1."""
    if count == 1:
        return [tensors]
    size = next(tensor.shape[0] for tensor in tensors if tensor is not None)
    if size % count:
        raise ConfigError(
            f"accumulate={count} splits each batch into {count} equal micro-batches, but a batch has {size} samples: "
            f"set data.batch_size to a multiple of {count}"
        )
    parts = [(None,) * count if tensor is None else tensor.chunk(count) for tensor in tensors]
    return list(zip(*parts, strict=True))


class FollowsBatches:
    """A part of the objective whose state follows each batch's statistics (ADA's p, LeCam's anchors, the
    path-length mean). The part calls `observe` with a batch's per-sample statistics (one row per sample, so that
    micro-batches' rows concatenate into the batch's), and implements `update`, the state's move from one batch's.

    Outside an accumulated update `observe` updates at once, as it always has; inside one (between `hold` and
    `release`, which `AdversarialObjective.accumulating` calls) it keeps each micro-batch's statistics and `release`
    updates once from their concatenation, so the state moves as one large batch would move it and stays fixed
    while the micro-batches run."""

    #: The held micro-batches' statistics and settings between `hold` and `release`; None outside an update.
    held: list[tuple[tuple[Tensor, ...], dict[str, Any]]] | None = None

    def update(self, *statistics: Tensor, **settings: Any) -> None:
        """Moves the state from one batch's detached per-sample `statistics`; `settings` (e.g. the training
        progress) are the same for every micro-batch of an update."""
        raise NotImplementedError

    def observe(self, *statistics: Tensor, **settings: Any) -> None:
        """`update` now, or, inside an accumulated update, once when it is released."""
        if self.held is None:
            self.update(*statistics, **settings)
        else:
            self.held.append((tuple(statistic.detach() for statistic in statistics), settings))

    def hold(self) -> None:
        self.held = []

    def release(self, update: bool = True) -> None:
        """Ends the accumulated update: the state moves once from every held micro-batch's statistics together
        (none when `update` is false: an update that failed midway leaves the state as it was)."""
        held, self.held = self.held, None
        if update and held:
            statistics = (torch.cat(rows) for rows in zip(*(micro_batch for micro_batch, _ in held), strict=True))
            self.update(*statistics, **held[-1][1])


class Accumulation:
    """One player's update from `count` micro-batches: `add` each micro-batch's loss and terms, and backpropagate
    what it returns (the loss divided by `count`); `loss` and `terms` are then the means over the micro-batches,
    the whole batch's loss and terms, detached, for logging."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.loss: Tensor | None = None
        self.terms: dict[str, Tensor] = {}

    def add(self, loss: Tensor, terms: dict[str, Tensor]) -> Tensor:
        share = loss / self.count
        self.loss = share.detach() if self.loss is None else self.loss + share.detach()
        for name, term in terms.items():
            term_share = term.detach() / self.count
            self.terms[name] = self.terms[name] + term_share if name in self.terms else term_share
        return share


@contextmanager
def holding(parts: Sequence[FollowsBatches], count: int) -> Iterator[Accumulation]:
    """An `Accumulation` of `count` micro-batches during which `parts` hold their statistics; on leaving, they move
    once from all of them (and stay as they were when the block raised). One micro-batch, the whole batch, holds
    nothing: each part updates where it always has (LeCam's anchors before its penalty)."""
    parts = parts if count > 1 else ()
    for part in parts:
        part.hold()
    completed = False
    try:
        yield Accumulation(count)
        completed = True
    finally:
        for part in parts:
            part.release(update=completed)
