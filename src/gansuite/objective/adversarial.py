"""The adversarial objective of both players, in plain torch: no Lightning here, so a new loss, regularizer or
augmentation is read in this file, and a bare PyTorch loop trains with it as the families do
(tests/test_objective.py trains the toy GAN so).

    D:  loss.discriminator_loss(D(aug(real)), D(aug(fake)))  + class term  + each `regularizers` term (CriticBatch)
    G:  loss.generator_loss(D(aug(fake)) [, D(aug(real))])   + class term  + each `generator_regularizers` term
                                                                              (GeneratorBatch)

The caller owns the clock and passes it in: `step`, the player's updates done before this one (lazy regularizers
count them), and `progress`, the share of the budget done (schedules read it). The stateful parts (regularizers with
buffers, ADA's p) are modules their owner registers (gansuite.modules.base does), so checkpoints carry them.
A player's update may be made of micro-batches (`accumulating`, gansuite.objective.accumulation).
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.objective.accumulation import Accumulation, FollowsBatches, holding
from gansuite.objective.augment import DiscriminatorAugment
from gansuite.objective.losses import CLASS_LOSSES, AdversarialLoss, ClassLoss
from gansuite.objective.regularizers import CriticBatch, GeneratorBatch, Regularizer


def with_labels(network: Callable[..., Tensor], labels: Tensor | None) -> Callable[[Tensor], Tensor]:
    """`network` as a callable of its inputs alone: a conditional network with `labels` bound, else itself."""
    return network if labels is None else partial(network, labels=labels)


def scores_and_class_logits(critic: nn.Module, x: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """`critic`'s scores of `x` and, for an auxiliary-classifier critic, its class logits (else None)."""
    if labels is None:
        return critic(x), None
    return critic.scores_and_class_logits(x, labels)


def lazy_interval(regularizers: Mapping[str, Regularizer]) -> int:
    """The lazy interval of one player's regularizers (1 when none is lazy): its optimizer is adjusted for it."""
    intervals = {regularizer.every for regularizer in regularizers.values() if regularizer.every > 1}
    if len(intervals) > 1:
        raise ConfigError(
            f"one player's lazy regularizers must share one interval (its optimizer is adjusted for it), got every="
            f"{sorted(intervals)}: give them the same `every`"
        )
    return intervals.pop() if intervals else 1


class AdversarialObjective:
    """Both players' losses from a critic and batches. `class_loss_weight`: the weight of an auxiliary
    classifier's class term (ACGAN, TAC-GAN, ReACGAN: gansuite.objective.losses.CLASS_LOSSES) in both players'
    losses; the discriminator's is on the real batch, and on the fakes too with `class_loss_on_fakes` (Odena et al.'s
    objective; StudioGAN's ACGAN leaves it out: classifying its own fakes lets D and G agree on a permuted class,
    docs/benchmarks.md)."""

    def __init__(
        self,
        loss: AdversarialLoss,
        regularizers: Mapping[str, Regularizer] | None = None,
        generator_regularizers: Mapping[str, Regularizer] | None = None,
        augment: DiscriminatorAugment | None = None,
        class_loss_weight: float = 1.0,
        class_loss_on_fakes: bool = False,
    ) -> None:
        if not class_loss_weight >= 0:
            raise ConfigError(f"model.class_loss_weight must be >= 0 (ACGAN uses 1), got {class_loss_weight}")
        for group, player, chosen in (
            ("regularizers", "discriminator", regularizers or {}),
            ("generator_regularizers", "generator", generator_regularizers or {}),
        ):
            for name, regularizer in chosen.items():
                if regularizer.player != player:
                    raise ConfigError(
                        f"{type(regularizer).__name__} regularizes the {regularizer.player}, not the {player}: "
                        f"move {name} out of {group}= into "
                        f"{'generator_regularizers' if group == 'regularizers' else 'regularizers'}="
                    )
        self.loss = loss
        self.regularizers = regularizers or {}
        self.generator_regularizers = generator_regularizers or {}
        self.augment = augment
        self.class_loss_weight, self.class_loss_on_fakes = class_loss_weight, class_loss_on_fakes
        self.class_loss: ClassLoss | None = None

    def condition_on(self, conditioning: str) -> None:
        """Scores a class head by `conditioning`'s loss (gansuite.objective.losses.CLASS_LOSSES: acgan, tac,
        reacgan); the other conditionings have no class head."""
        if conditioning == "tac" and self.class_loss_on_fakes:
            raise ConfigError(
                "model.class_loss_on_fakes=true is ACGAN's objective; model.conditioning=tac trains its twin "
                "classifier on the fakes instead: set model.class_loss_on_fakes=false"
            )
        self.class_loss = CLASS_LOSSES.get(conditioning)

    def check_micro_batches(self, count: int) -> None:
        """Raises ConfigError when `count` > 1 micro-batches' losses would not average to the batch's: a loss or
        class loss that compares the samples of a batch with each other (`per_sample` false)."""
        if count == 1:
            return
        if not self.loss.per_sample:
            raise ConfigError(
                f"accumulate={count} splits the batch, but {type(self.loss).__name__} compares each score with the "
                "other batch's mean, which micro-batches change: set accumulate=1, or use loss=rpgan (real-fake "
                "pairs, which accumulate exactly)"
            )
        if self.class_loss is not None and not self.class_loss.per_sample:
            raise ConfigError(
                f"accumulate={count} splits the batch, but this model.conditioning's class loss (ReACGAN's) contrasts "
                "each sample with the rest of its batch, which micro-batches change: set accumulate=1 or use "
                "model.conditioning=acgan"
            )

    @contextmanager
    def accumulating(self, player: str, count: int) -> Iterator[Accumulation]:
        """One update of `player` ("discriminator" or "generator") from `count` micro-batches: `add` each
        micro-batch's loss and terms to what this yields, and backpropagate the share `add` returns. The player's
        parts whose state follows batches (its regularizers; the critic's augmentation) move once, from all the
        micro-batches, on leaving; the terms then carry the augmentation's log values after that move."""
        augment = [self.augment] if self.augment is not None else []
        parts: list[FollowsBatches] = {
            "discriminator": [*self.regularizers.values(), *augment],
            "generator": [*self.generator_regularizers.values()],
        }[player]
        with holding(parts, count) as accumulation:
            yield accumulation
        if player == "discriminator" and self.augment is not None:
            accumulation.terms |= self.augment.log_values()

    def discriminator_loss(
        self, critic: nn.Module, real: Tensor, fake: Tensor, labels: Tensor | None, step: int, progress: float
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The critic's loss on a real and a fake batch (both through the augmentation when on) and the named terms
        to log. A conditional critic scores both batches with `labels` (the fakes were made for the real batch's
        labels, so a penalty between real and fake points compares one class); the regularizers see it with the
        labels bound. ADA's p and instance noise's sigma follow the real scores and `progress` here."""
        if self.augment is not None:
            real, fake = self.augment(real), self.augment(fake)
        real_scores, real_logits = scores_and_class_logits(critic, real, labels)
        fake_scores, fake_logits = scores_and_class_logits(critic, fake, labels)
        loss = self.loss.discriminator_loss(real_scores, fake_scores)
        terms: dict[str, Tensor] = {}
        if real_logits is not None:
            class_loss = self.class_loss.discriminator(real_logits, fake_logits, labels, self.class_loss_on_fakes)
            terms["train/d_class_loss"] = self.class_loss_weight * class_loss
            loss = loss + terms["train/d_class_loss"]
        if self.regularizers:
            # The eager forward: torch.compile's backward cannot be differentiated again (create_graph).
            batch = CriticBatch(
                with_labels(critic.forward, labels), real.detach(), fake.detach(), real_scores, fake_scores, step,
                progress,
            )  # fmt: skip
            loss = self.add_terms(loss, terms, self.regularizers, batch, prefix="train/")
        if self.augment is not None:
            self.augment.observe(real_scores.detach(), progress=progress)
            terms |= self.augment.log_values()
        return loss, terms

    def generator_loss(self, critic: nn.Module, real: Tensor, fake: Tensor, labels: Tensor | None = None) -> Tensor:
        """The generator's adversarial loss on the critic's view of `fake` (through the augmentation when on, so the
        generator learns through it); relativistic losses also read the scores of `real`, a constant for G. With an
        auxiliary classifier, plus `class_loss_weight` times its class term on the fakes' intended labels."""
        if self.augment is not None:
            real, fake = self.augment(real), self.augment(fake)
        real_scores = None
        if self.loss.relativistic:
            with torch.no_grad():
                real_scores = with_labels(critic, labels)(real)
        fake_scores, fake_logits = scores_and_class_logits(critic, fake, labels)
        loss = self.loss.generator_loss(fake_scores, real_scores)
        if fake_logits is not None:
            loss = loss + self.class_loss_weight * self.class_loss.generator(fake_logits, labels)
        return loss

    def generator_regularization(self, loss: Tensor, batch: GeneratorBatch) -> tuple[Tensor, dict[str, Tensor]]:
        """`loss` plus each generator regularizer's term (none on the updates a lazy one skips), and the terms."""
        terms: dict[str, Tensor] = {}
        return self.add_terms(loss, terms, self.generator_regularizers, batch, prefix="train/g_"), terms

    @staticmethod
    def add_terms(
        loss: Tensor,
        terms: dict[str, Tensor],
        regularizers: Mapping[str, Regularizer],
        batch: CriticBatch | GeneratorBatch,
        prefix: str,
    ) -> Tensor:
        for name, regularizer in regularizers.items():
            term = regularizer(batch)
            if term is not None:
                terms[f"{prefix}{name}"] = term
                loss = loss + term
        return loss
