"""Regularizers: terms added to the discriminator's loss (R1, R2, gradient penalties, LeCam, bCR: the
`regularizers=` group, each seeing a CriticBatch) or to the generator's (StyleGAN2's path length: the
`generator_regularizers=` group, each seeing a GeneratorBatch).

Like the losses they see tensors and callables, never networks, so each is checked alone against a closed form or
a float64 finite-difference reference. Every regularizer shares one wrapper (`Regularizer.forward`) for its weight,
the weight's schedule over training and StyleGAN2's lazy interval; subclasses only say what the unweighted penalty
is. A new one is a subclass here and a YAML file in conf/regularizers/ (or conf/generator_regularizers/).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError, is_integer
from gansuite.objective.accumulation import FollowsBatches
from gansuite.objective.schedules import anneal

SCHEDULES = ("constant", "cosine")


@dataclass
class CriticBatch:
    """What a discriminator regularizer may look at in one discriminator step."""

    #: D's forward (inputs already augmented where augmentation is on). It must be eager: gradient penalties
    #: differentiate it twice (create_graph), which torch.compile's backward does not support.
    critic: Callable[[Tensor], Tensor]
    #: The real batch as D saw it, detached.
    real: Tensor
    #: The fake batch as D saw it, detached.
    fake: Tensor
    #: critic(real), with its graph (LeCam and bCR penalise D's outputs themselves).
    real_scores: Tensor
    #: critic(fake), with its graph.
    fake_scores: Tensor
    #: Discriminator updates done before this one (0-based): lazy intervals count these.
    step: int
    #: Share of the training budget done, 0..1: weight schedules read it.
    progress: float


@dataclass
class GeneratorBatch:
    """What a generator regularizer may look at in one generator update."""

    #: Fresh latents for n samples (the generator's input, or StyleGAN2's per-layer ws), with their graph if any.
    latents: Callable[[int], Tensor]
    #: Latents -> images, differentiable (the path-length penalty differentiates the images by the latents).
    synthesize: Callable[[Tensor], Tensor]
    #: The size of the training batch (a regularizer may use a fraction of it).
    batch_size: int
    #: Generator updates done before this one (0-based): lazy intervals count these.
    step: int
    #: Share of the training budget done, 0..1: weight schedules read it.
    progress: float


class Regularizer(nn.Module, FollowsBatches):
    """A term added to one player's loss. Subclasses implement `penalty(batch)` (unweighted); forward applies the
    weight, its schedule and the lazy interval. One with state that follows the batches (LeCam's anchors, the
    path-length mean) moves it through `observe` and `update` (FollowsBatches), so that an update accumulated from
    micro-batches moves it once.

    `every` > 1 is StyleGAN2's lazy regularization (Karras et al. 2020): the penalty is computed only on every
    `every`-th update of its player and multiplied by `every`, so its expected contribution is unchanged while
    the costly double backward runs a fraction of the time (the player's optimizer is adjusted for the interval:
    gansuite.modules.optimizers.adjust_for_lazy_interval). `schedule="cosine"` anneals the weight from `weight`
    to `final_weight` over training along half a cosine, as R3GAN (Huang et al. 2024) anneals its gamma.
    """

    #: The player whose loss it joins: "discriminator" (a CriticBatch) or "generator" (a GeneratorBatch).
    player: str = "discriminator"
    #: True when it makes a Wasserstein critic meaningful (WGAN-GP's penalty enforces a 1-Lipschitz critic).
    lipschitz: bool = False

    def __init__(
        self, weight: float, every: int = 1, schedule: str = "constant", final_weight: float | None = None
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if not weight >= 0:
            raise ConfigError(
                f"{name} weight must be >= 0, got {weight}; use 0 (or drop the regularizer) to disable it"
            )
        if not is_integer(every) or every < 1:
            raise ConfigError(f"{name} every must be an integer >= 1 (1 regularizes every step), got {every!r}")
        if schedule not in SCHEDULES:
            raise ConfigError(f"{name} schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
        if schedule == "cosine" and final_weight is None:
            raise ConfigError(f"{name} schedule=cosine anneals weight to final_weight: set final_weight")
        if final_weight is not None and not final_weight >= 0:
            raise ConfigError(f"{name} final_weight must be >= 0, got {final_weight}")
        self.weight = float(weight)
        self.every = every
        self.schedule = schedule
        self.final_weight = None if final_weight is None else float(final_weight)
        #: The unweighted penalty of the last step that computed one, detached, for logging.
        self.last_penalty: Tensor | None = None

    def weight_at(self, progress: float) -> float:
        """The weight `progress` (0..1, clamped) of the way through training."""
        return anneal(self.schedule, self.weight, self.final_weight, progress)

    def forward(self, batch: CriticBatch | GeneratorBatch) -> Tensor | None:
        """None on the steps a lazy regularizer skips (batch.step % every != 0) and at weight 0; else
        weight_at(progress) * every * penalty(batch) (StyleGAN2's lazy regularization: every k steps, scaled by k).
        """
        weight = self.weight_at(batch.progress)
        if batch.step % self.every != 0 or weight == 0:  # weight 0 is off: nothing computed
            return None
        penalty = self.penalty(batch)
        self.last_penalty = penalty.detach()
        return weight * self.every * penalty

    def penalty(self, batch: CriticBatch | GeneratorBatch) -> Tensor:
        """The unweighted penalty, a scalar with a graph back to its player's parameters."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        schedule = "" if self.schedule == "constant" else f", schedule=cosine, final_weight={self.final_weight}"
        return f"weight={self.weight}, every={self.every}{schedule}"


def input_gradients(critic: Callable[[Tensor], Tensor], points: Tensor) -> Tensor:
    """grad_x critic(x) at `points` (one row per sample, flattened), kept differentiable (create_graph) so the
    penalty trains the critic's weights.

    The rows come back in at least float32: under bfloat16 autocast the squares, square roots and deviations of
    the norms lose the signal in 8 mantissa bits (float64 stays float64 for the finite-difference tests).
    """
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (grads,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    grads = grads.flatten(1)
    return grads.to(torch.promote_types(grads.dtype, torch.float32))


def random_interpolates(real: Tensor, fake: Tensor) -> Tensor:
    """x_hat = a * real + (1 - a) * fake with a ~ U(0, 1) drawn once per sample (WGAN-GP's sampling).

    The draw is `torch.rand(N, 1, ..., 1)` before anything else, the order the former
    `gansuite.objective.losses.gradient_penalty` used, so seeded runs reproduce it.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"interpolating real and fake needs batches of one shape, got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    return alpha * real.detach() + (1.0 - alpha) * fake.detach()


class _GammaRegularizer(Regularizer):
    """A zero-centred penalty at data points, weighted the way Mescheder et al. write it: gamma/2 * penalty."""

    def __init__(
        self, gamma: float, every: int = 1, schedule: str = "constant", final_gamma: float | None = None
    ) -> None:
        # Checked under the names the config uses: the base class checks its weight, gamma / 2.
        name = type(self).__name__
        if not gamma >= 0:
            raise ConfigError(f"{name} gamma must be >= 0, got {gamma}; use 0 (or drop the regularizer) to disable it")
        if final_gamma is not None and not final_gamma >= 0:
            raise ConfigError(f"{name} final_gamma must be >= 0, got {final_gamma}")
        if schedule == "cosine" and final_gamma is None:
            raise ConfigError(f"{name} schedule=cosine anneals gamma to final_gamma: set final_gamma")
        super().__init__(gamma / 2, every, schedule, None if final_gamma is None else final_gamma / 2)
        self.gamma = gamma

    def points(self, batch: CriticBatch) -> Tensor:
        raise NotImplementedError

    def penalty(self, batch: CriticBatch) -> Tensor:
        return input_gradients(batch.critic, self.points(batch)).pow(2).sum(1).mean()

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, {super().extra_repr()}"


class R1(_GammaRegularizer):
    """R1 (Mescheder et al. 2018, "Which training methods for GANs do actually converge?"):
    gamma/2 * E_{x ~ real} ||grad_x D(x)||^2.

    Penalising D's gradient on real data, centred at 0, makes GAN training locally convergent where
    unregularized and WGAN-GP training can oscillate (the paper's result); StyleGAN2 and R3GAN train with it.
    The constructor takes the paper's `gamma` (and `final_gamma`, where the cosine schedule anneals it): the
    weight applied to the unweighted penalty is gamma / 2.
    """

    def points(self, batch: CriticBatch) -> Tensor:
        return batch.real


class R2(_GammaRegularizer):
    """R2 (Mescheder et al. 2018): gamma/2 * E_{x ~ fake} ||grad_x D(x)||^2, R1's penalty at the fake batch.

    R3GAN (Huang et al. 2024) adds it to R1 under the RpGAN loss, for which both are needed for local
    convergence. `gamma` and `final_gamma` as for R1.
    """

    def points(self, batch: CriticBatch) -> Tensor:
        return batch.fake


class GradientPenalty(Regularizer):
    """WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad_x D(x_hat)||_2 - 1)^2] at random interpolates
    x_hat = a * real + (1 - a) * fake, a ~ U(0, 1) per sample; the paper's weight is 10.

    It softly constrains the critic to be 1-Lipschitz along lines between real and fake, which is what makes
    the Wasserstein loss's critic meaningful (`lipschitz = True`).
    """

    lipschitz = True

    def __init__(
        self, weight: float = 10.0, every: int = 1, schedule: str = "constant", final_weight: float | None = None
    ) -> None:
        super().__init__(weight, every, schedule, final_weight)

    def penalty(self, batch: CriticBatch) -> Tensor:
        # The norm in (at least) float32, as input_gradients returns it: a sqrt and a deviation from 1 in bf16
        # keep too few bits to tell a norm of 1.004 from 1.
        norms = input_gradients(batch.critic, random_interpolates(batch.real, batch.fake)).norm(2, dim=1)
        return ((norms - 1.0) ** 2).mean()


class ZeroCenteredGradientPenalty(Regularizer):
    """0-GP (Thanh-Tung et al. 2019, "Improving generalization and stability of GANs"):
    weight * E ||grad_x D(x_hat)||^2 at WGAN-GP's random interpolates.

    Centring at 0 instead of 1 keeps D's gradients small between real and fake, which the paper argues improves
    generalization and avoids the mode collapse a 1-centred penalty can allow; it does not make D 1-Lipschitz,
    so it does not stand in for WGAN-GP under the Wasserstein loss.
    """

    def penalty(self, batch: CriticBatch) -> Tensor:
        return input_gradients(batch.critic, random_interpolates(batch.real, batch.fake)).pow(2).sum(1).mean()


class LeCam(Regularizer):
    """LeCam regularization (Tseng et al. 2021, "Regularizing generative adversarial networks under limited
    data"): weight * (E[relu(D(x) - alpha_F)^2] + E[relu(alpha_R - D(G(z)))^2]), the authors' released form,
    with alpha_R, alpha_F exponential moving averages (`decay`) of D's mean output on real and on fake.

    Keeping D's outputs near the other class's anchor makes the regularized objective minimise the LeCam
    divergence (the paper's analysis), which is robust when the data is too small for D not to overfit it.
    The anchors are buffers (checkpoints carry them); each call first updates them with this batch's detached
    means (the first call sets them to those means, and a flag buffer records that it happened, so a resumed run
    does not re-initialise them), then computes the penalty. The anchors follow every step, so the regularizer
    cannot be lazy: `every` must be 1. In an update accumulated from micro-batches (`accumulate` > 1) every
    micro-batch's penalty uses the anchors as the previous update left them, and they then move once, toward the
    whole batch's means; in a run's first update, with no anchors yet, each micro-batch is held to its own means.
    """

    alpha_real: Tensor
    alpha_fake: Tensor
    initialized: Tensor

    def __init__(
        self,
        weight: float = 0.3,
        decay: float = 0.99,
        every: int = 1,
        schedule: str = "constant",
        final_weight: float | None = None,
    ) -> None:
        if every != 1:
            raise ConfigError(
                f"LeCam's anchors follow every discriminator step, so it cannot be lazy: set every=1, not {every}"
            )
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"LeCam decay must be in [0, 1), got {decay}; the paper uses 0.99")
        super().__init__(weight, every, schedule, final_weight)
        self.decay = float(decay)
        self.register_buffer("alpha_real", torch.zeros(()))
        self.register_buffer("alpha_fake", torch.zeros(()))
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def update(self, real_scores: Tensor, fake_scores: Tensor) -> None:
        """Move the anchors toward this batch's mean outputs (or set them there on the first call)."""
        real_mean = real_scores.detach().mean().to(self.alpha_real)
        fake_mean = fake_scores.detach().mean().to(self.alpha_fake)
        # torch.where rather than `if self.initialized`: no device-to-host sync in the training step.
        for anchor, mean in ((self.alpha_real, real_mean), (self.alpha_fake, fake_mean)):
            anchor.copy_(torch.where(self.initialized, anchor.lerp(mean, 1.0 - self.decay), mean))
        self.initialized.fill_(True)

    def penalty(self, batch: CriticBatch) -> Tensor:
        self.observe(batch.real_scores, batch.fake_scores)
        alpha_real, alpha_fake = (
            # The anchors, or this batch's means while there are none (a held first update): torch.where, no sync.
            torch.where(self.initialized, anchor, scores.detach().mean().to(anchor)).to(scores.dtype)
            for anchor, scores in ((self.alpha_real, batch.real_scores), (self.alpha_fake, batch.fake_scores))
        )
        real_above_fake_anchor = (batch.real_scores - alpha_fake).relu()
        fake_below_real_anchor = (alpha_real - batch.fake_scores).relu()
        return real_above_fake_anchor.pow(2).mean() + fake_below_real_anchor.pow(2).mean()

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, decay={self.decay}"


class BalancedConsistency(Regularizer):
    """Balanced consistency regularization (bCR; Zhao et al. 2020, "Improved consistency regularization for
    GANs"): weight * (real_weight * E[(D(T(x)) - D(x))^2] + fake_weight * E[(D(T(G(z))) - D(G(z)))^2]) for a
    semantics-preserving augmentation T; the paper's lambda_real = lambda_fake = 10, and `weight` defaults to 1.

    Making D's output insensitive to T on both real and fake data keeps it from latching onto augmentation
    artefacts (regularizing real data only, as the original CR does, lets them leak into the generator). As in
    the paper, both outputs in each difference carry gradients: `real_scores` and `fake_scores` are not
    detached, so the penalty also pulls D(x) toward D(T(x)).
    """

    def __init__(
        self,
        augment: Callable[[Tensor], Tensor],
        real_weight: float = 10.0,
        fake_weight: float = 10.0,
        weight: float = 1.0,
        every: int = 1,
        schedule: str = "constant",
        final_weight: float | None = None,
    ) -> None:
        for name, value in (("real_weight", real_weight), ("fake_weight", fake_weight)):
            if not value >= 0:
                raise ConfigError(f"BalancedConsistency {name} must be >= 0, got {value}; the paper uses 10")
        super().__init__(weight, every, schedule, final_weight)
        self.augment = augment
        self.real_weight = float(real_weight)
        self.fake_weight = float(fake_weight)

    def penalty(self, batch: CriticBatch) -> Tensor:
        real_term = (batch.critic(self.augment(batch.real)) - batch.real_scores).pow(2).mean()
        fake_term = (batch.critic(self.augment(batch.fake)) - batch.fake_scores).pow(2).mean()
        return self.real_weight * real_term + self.fake_weight * fake_term

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, real_weight={self.real_weight}, fake_weight={self.fake_weight}"


def path_lengths(images: Tensor, ws: Tensor, noise: Tensor | None = None) -> Tensor:
    """StyleGAN2's path lengths (Karras et al. 2020, eq. 4): per sample, |J_w^T y| with J the Jacobian of the images
    with respect to the ws and y ~ N(0, I) / sqrt(H W) (`noise`, drawn when None), the norm taken over w's dimensions
    and, for per-layer ws (N, layers, w_dim), averaged over the layers (as the official code); flat latents (N, D)
    have one. `images` must come from `ws` with a graph; the result keeps one for the penalty's backward."""
    if noise is None:
        noise = torch.randn_like(images) / math.sqrt(images[0, 0].numel())
    (gradient,) = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)
    # In (at least) float32, as input_gradients: squares and a square root lose the signal in bfloat16.
    gradient = gradient.to(torch.promote_types(gradient.dtype, torch.float32))
    squares = gradient.square().sum(dim=-1)
    return (squares.mean(dim=1) if squares.dim() == 2 else squares).sqrt()


class PathLength(Regularizer):
    """StyleGAN2's path-length regularization of the generator (Karras et al. 2020, sec. 3.2), as
    stylegan2-ada-pytorch's loss: a fraction of a batch (1 / `batch_shrink`) of fresh latents gives path lengths a
    (`path_lengths`); the penalty is mean((a - mean_a)^2), mean_a the lengths' running mean (moved by `decay` each
    time it is computed), a buffer so a resumed run continues it. Config-f: weight 2, every 4, decay 0.01, half a
    batch. It makes a fixed-size step in latent space change the image by a fixed amount, which the paper links to
    smoother, better-conditioned generators. In an update accumulated from micro-batches every micro-batch's
    penalty uses the mean as the previous update left it, and the mean then moves once, by the whole batch's
    lengths."""

    player = "generator"
    mean: Tensor

    def __init__(
        self,
        weight: float = 2.0,
        every: int = 4,
        decay: float = 0.01,
        batch_shrink: int = 2,
        schedule: str = "constant",
        final_weight: float | None = None,
    ) -> None:
        if not 0 < decay <= 1 or batch_shrink < 1:
            raise ConfigError(
                f"PathLength decay must be in (0, 1] (config-f: 0.01) and batch_shrink >= 1 (config-f: 2), got "
                f"{decay} and {batch_shrink}"
            )
        super().__init__(weight, every, schedule, final_weight)
        self.decay, self.batch_shrink = float(decay), batch_shrink
        self.register_buffer("mean", torch.zeros(()))

    def penalty(self, batch: GeneratorBatch) -> Tensor:
        latents = batch.latents(max(1, batch.batch_size // self.batch_shrink))
        if not latents.requires_grad:  # plain noise: the lengths are taken with respect to it
            latents.requires_grad_(True)
        lengths = path_lengths(batch.synthesize(latents), latents)
        self.observe(lengths)
        return (lengths - self.mean).square().mean()

    @torch.no_grad()
    def update(self, lengths: Tensor) -> None:
        """Moves the running mean by `decay` toward the mean of one batch's `lengths`."""
        self.mean.lerp_(lengths.mean().float(), self.decay)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, decay={self.decay}, batch_shrink={self.batch_shrink}"
