"""Adversarial losses as (discriminator, generator) pairs, and auxiliary terms.

Losses see logits and tensors only, never networks, so each is checked alone against hand-computed values.
Relativistic losses (RpGAN, RaGAN) also need D's outputs on real data in the generator loss.
Discriminator regularizers (R1, gradient penalties, LeCam, bCR) live in `gansuite.objective.regularizers`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


class AdversarialLoss:
    """A discriminator loss and a generator loss on raw discriminator outputs (logits or critic scores)."""

    #: Whether the loss is only meaningful for a Lipschitz-constrained critic (gradient penalty or clipping).
    needs_lipschitz: bool = False
    #: Whether the generator loss needs D's outputs on real data (`generator_loss(fake, real)`): relativistic
    #: losses compare fake to real scores in both players' losses, so the generator step must score a real batch.
    relativistic: bool = False
    #: Whether both losses are means of terms that each see one sample's scores (RpGAN: one real-fake pair), so the
    #: losses of equal micro-batches average to the batch's (gansuite.objective.accumulation); RaGAN's are not.
    per_sample: bool = True

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        """`real`: D's outputs on a real batch; only relativistic losses read it, the others ignore it."""
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

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        # log(1 - sigmoid(x)) = -softplus(x): the saturating objective, flat where D confidently rejects G(z).
        return -F.softplus(fake).mean()


class NonSaturatingLoss(MinimaxLoss):
    """The minimax discriminator with the generator maximising log D(G(z)) instead (strong early gradients)."""

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


class WassersteinLoss(AdversarialLoss):
    """Arjovsky et al. 2017: the critic maximises E[D(x)] - E[D(G(z))]; needs a Lipschitz constraint."""

    needs_lipschitz = True

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return fake.mean() - real.mean()

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return -fake.mean()


class HingeLoss(AdversarialLoss):
    """Lim & Ye 2017 / Miyato et al. 2018: hinge discriminator, Wasserstein-style generator."""

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return -fake.mean()


class LeastSquaresLoss(AdversarialLoss):
    """Mao et al. 2017 (LSGAN, a=0, b=c=1), with the 1/2 factors of the paper."""

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake**2).mean()

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return 0.5 * ((fake - 1.0) ** 2).mean()


def _require_real(loss: AdversarialLoss, real: Tensor | None) -> Tensor:
    if real is None:
        raise ValueError(f"{type(loss).__name__}.generator_loss(fake, real) needs D's outputs on a real batch as real=")
    return real


def _paired_difference(loss: AdversarialLoss, first: Tensor, second: Tensor) -> Tensor:
    """`first - second` element-wise, for RpGAN's pairs of one real and one fake score."""
    if first.shape != second.shape:
        raise ValueError(
            f"{type(loss).__name__} pairs real and fake scores one to one, but their shapes {tuple(first.shape)} "
            f"and {tuple(second.shape)} differ: use the same batch size for real and fake"
        )
    return first - second


class RelativisticPairingLoss(AdversarialLoss):
    """RpGAN (Jolicoeur-Martineau 2019), the loss of R3GAN (Huang et al. 2024): each real score is compared to
    its paired fake score, D minimising E[softplus(-(D(x) - D(G(z))))] and G the same with the roles swapped.

    Pairing each fake with a real sample (rather than with a batch mean, as RaGAN does) removes the
    mode-dropping minima of the separable losses (Sun et al. 2020); R3GAN adds R1 + R2 for local convergence.
    Scores are paired element-wise, so real and fake batches must have the same shape.
    """

    relativistic = True

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.softplus(-_paired_difference(self, real, fake)).mean()

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return F.softplus(-_paired_difference(self, fake, _require_real(self, real))).mean()


class RelativisticAverageLoss(AdversarialLoss):
    """RaSGAN (Jolicoeur-Martineau 2019): D judges whether real data is more realistic than the average fake,
    D: BCE(D(x) - E[D(G(z))], 1) + BCE(D(G(z)) - E[D(x)], 0); G: the same with the targets swapped,
    BCE(D(G(z)) - E[D(x)], 1) + BCE(D(x) - E[D(G(z))], 0), so G also gets a gradient through the real term.
    """

    relativistic = True
    per_sample = False  # each score is compared with the other batch's mean

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return self._relative_bce(more_real=real, less_real=fake)

    def generator_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return self._relative_bce(more_real=fake, less_real=_require_real(self, real))

    @staticmethod
    def _relative_bce(more_real: Tensor, less_real: Tensor) -> Tensor:
        """BCE(more_real - mean(less_real), 1) + BCE(less_real - mean(more_real), 0), with logits."""
        above = more_real - less_real.mean()
        below = less_real - more_real.mean()
        return F.binary_cross_entropy_with_logits(above, torch.ones_like(above)) + F.binary_cross_entropy_with_logits(
            below, torch.zeros_like(below)
        )


def data_to_data_cross_entropy(
    embeddings: Tensor, proxies: Tensor, labels: Tensor, temperature: float = 0.5, margin: float = 0.98
) -> Tensor:
    """ReACGAN's data-to-data cross-entropy (D2D-CE; Kang et al. 2021, eq. 6) of a batch of embeddings, each with
    its class proxy: for sample i, with cosine similarities s_iy to its proxy and s_ij to the other samples,

        -log( exp([s_iy - m_p]_- / t) / (exp([s_iy - m_p]_- / t) + sum_{j: y_j != y_i} exp([s_ij - m_n]_+ / t)) )

    m_p = `margin`, m_n = 1 - margin (StudioGAN's ReACGAN: 0.98 and temperature 0.5). Samples of the same class
    are not negatives (false-negative removal), and the margins stop pulling an embedding already close enough to
    its proxy and stop pushing ones already far enough from other classes: the easy samples stop dominating the
    gradient, which the paper finds is what narrows ACGAN's classes."""
    embeddings, proxies = F.normalize(embeddings, dim=1), F.normalize(proxies, dim=1)
    positive = ((embeddings * proxies).sum(dim=1) - margin).clamp(max=0) / temperature
    negative = (embeddings @ embeddings.T - (1 - margin)).clamp(min=0) / temperature
    other_class = labels[:, None] != labels[None, :]
    logits = torch.cat([positive[:, None], negative.masked_fill(~other_class, float("-inf"))], dim=1)
    return (torch.logsumexp(logits, dim=1) - positive).mean()


@dataclass(frozen=True)
class ClassLoss:
    """An auxiliary class loss of the discriminator's class output (gansuite.nets.conditional's heads):
    `discriminator(real_out, fake_out, labels, on_fakes)` is D's, `generator(fake_out, labels)` is G's, both
    against the labels the batch has or was made for. `per_sample`: as AdversarialLoss's (ReACGAN's is not: each
    embedding is contrasted with the batch's others)."""

    discriminator: Callable[[Tensor, Tensor, Tensor, bool], Tensor]
    generator: Callable[[Tensor, Tensor], Tensor]
    per_sample: bool = True


def _cross_entropy_on(real: Tensor, fake: Tensor, labels: Tensor, on_fakes: bool) -> Tensor:
    loss = F.cross_entropy(real, labels)
    return loss + F.cross_entropy(fake, labels) if on_fakes else loss


def _twin_discriminator(real: Tensor, fake: Tensor, labels: Tensor, on_fakes: bool) -> Tensor:
    return F.cross_entropy(real[:, 0], labels) + F.cross_entropy(fake[:, 1], labels)


def _twin_generator(fake: Tensor, labels: Tensor) -> Tensor:
    return F.cross_entropy(fake[:, 0], labels) - F.cross_entropy(fake[:, 1], labels)


def _data_to_data_generator(fake: Tensor, labels: Tensor) -> Tensor:
    return data_to_data_cross_entropy(fake[:, 0], fake[:, 1], labels)


def _data_to_data_on(real: Tensor, fake: Tensor, labels: Tensor, on_fakes: bool) -> Tensor:
    loss = data_to_data_cross_entropy(real[:, 0], real[:, 1], labels)
    return loss + data_to_data_cross_entropy(fake[:, 0], fake[:, 1], labels) if on_fakes else loss


#: `model.conditioning` -> its class loss. ACGAN (logits (N, K)): the classifier's cross-entropy on the real batch
#: (and on the fakes with `on_fakes`, Odena et al.'s objective) for D, on the fakes for G. TAC-GAN (logits (N, 2,
#: K): the classifier, then its twin): D's classifier on the real batch and its twin on the fakes; G's classifier
#: term minus the twin's (Gong et al. 2019, eq. 9), whose gradient cancels the pull towards easy-to-classify images.
#: ReACGAN (N, 2, d: embeddings, then the proxies of the labels): D2D-CE on the real batch for D, on the fakes for G.
CLASS_LOSSES = {
    "acgan": ClassLoss(_cross_entropy_on, F.cross_entropy),
    "tac": ClassLoss(_twin_discriminator, _twin_generator),
    "reacgan": ClassLoss(_data_to_data_on, _data_to_data_generator, per_sample=False),
}


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


def feature_content_loss(
    prediction: Tensor, target: Tensor, features: Callable[[Tensor], Tensor], rescale: float = 1 / 12.75
) -> Tensor:
    """MSE between `features` of the prediction and of the target, both multiplied by `rescale`: SRGAN's VGG
    content loss, whose 1/12.75 brings it to the scale of the pixel MSE (Ledig et al. 2017, eq. 5)."""
    with torch.no_grad():
        reference = features(target)
    return F.mse_loss(features(prediction) * rescale, reference * rescale)
