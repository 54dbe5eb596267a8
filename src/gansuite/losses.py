"""Adversarial losses as (discriminator, generator) pairs, the gradient penalty, and auxiliary terms.

Losses see logits and tensors only, never networks (the penalty takes the critic as a callable), so each is
checked alone against hand-computed values.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


class AdversarialLoss:
    """A discriminator loss and a generator loss on raw discriminator outputs (logits or critic scores)."""

    #: Whether the loss is only meaningful for a Lipschitz-constrained critic (gradient penalty or clipping).
    needs_lipschitz: bool = False

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class MinimaxLoss(AdversarialLoss):
    """Goodfellow et al. 2014: D maximises log D(x) + log(1 - D(G(z))); G minimises log(1 - D(G(z))).

    `real_label` < 1 is Salimans et al.'s one-sided label smoothing (only the real targets are softened).
    """

    def __init__(self, real_label: float = 1.0) -> None:
        if not 0.0 < real_label <= 1.0:
            raise ValueError(f"loss.real_label must be in (0, 1], got {real_label}; 0.9 is the usual smoothing")
        self.real_label = real_label

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        real_target = torch.full_like(real, self.real_label)
        return F.binary_cross_entropy_with_logits(real, real_target) + F.binary_cross_entropy_with_logits(
            fake, torch.zeros_like(fake)
        )

    def generator_loss(self, fake: Tensor) -> Tensor:
        # log(1 - sigmoid(x)) = -softplus(x): the saturating objective, flat where D confidently rejects G(z).
        return -F.softplus(fake).mean()


class NonSaturatingLoss(MinimaxLoss):
    """The minimax discriminator with the generator maximising log D(G(z)) instead (strong early gradients)."""

    def generator_loss(self, fake: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


class WassersteinLoss(AdversarialLoss):
    """Arjovsky et al. 2017: the critic maximises E[D(x)] - E[D(G(z))]; needs a Lipschitz constraint."""

    needs_lipschitz = True

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return fake.mean() - real.mean()

    def generator_loss(self, fake: Tensor) -> Tensor:
        return -fake.mean()


class HingeLoss(AdversarialLoss):
    """Lim & Ye 2017 / Miyato et al. 2018: hinge discriminator, Wasserstein-style generator."""

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def generator_loss(self, fake: Tensor) -> Tensor:
        return -fake.mean()


class LeastSquaresLoss(AdversarialLoss):
    """Mao et al. 2017 (LSGAN, a=0, b=c=1), with the 1/2 factors of the paper."""

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake**2).mean()

    def generator_loss(self, fake: Tensor) -> Tensor:
        return 0.5 * ((fake - 1.0) ** 2).mean()


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """Gulrajani et al. 2017: E[(||grad_x D(x_hat)||_2 - 1)^2] on random interpolates of real and fake.

    The gradient norm is taken in float32 whatever the autocast precision, because its square root and the
    squared deviation lose the signal in bfloat16.
    """
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    interpolates = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = grads.flatten(1).float().norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """Salimans et al. 2016: squared L2 distance between mean discriminator features of real and fake batches."""
    return (real_features.detach().mean(0) - fake_features.mean(0)).pow(2).sum()


def reconstruction_loss(prediction: Tensor, target: Tensor, kind: str = "l1") -> Tensor:
    """Pixel reconstruction: 'l1' (mean absolute error, CycleGAN's cycle and identity terms) or 'l2' (MSE)."""
    if kind == "l1":
        return F.l1_loss(prediction, target)
    if kind == "l2":
        return F.mse_loss(prediction, target)
    raise ValueError(f"reconstruction loss kind must be 'l1' or 'l2', got {kind!r}")
