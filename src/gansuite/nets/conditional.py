"""Class-conditional networks: any generator or discriminator of the suite, told which class to make or judge.

A conditional network wraps an unconditional backbone and takes the labels (int64 class indices) as a second
argument, `net(x, labels)`; the training step is the same, so every loss and regularizer works with every
conditioning (the regularizers see the discriminator with the labels bound, a callable of the inputs alone).

Generators:
- `LabelConcatGenerator`: a learned class embedding concatenated to z (Mirza & Osindero 2014; ACGAN's generator).
- `ConditionalNormGenerator`: every batch norm of the backbone made class-conditional, its gain and bias looked up
  from the label (Miyato & Koyama 2018, the generator of the projection discriminator; BigGAN).

Discriminators (all `head(features(x))` backbones, see gansuite.nets):
- `ProjectionDiscriminator`: the logit plus the inner product of a class embedding with the features (Miyato &
  Koyama 2018).
- `AuxiliaryClassifierDiscriminator`: the logit and, from the same features, class logits whose cross-entropy the
  model adds to both players' losses (ACGAN, Odena et al. 2017).
- `TwinAuxiliaryClassifierDiscriminator`: ACGAN's heads and a twin classifier that learns the fakes' classes
  (TAC-GAN, Gong et al. 2019).
- `LabelConcatDiscriminator`: one-hot label maps concatenated to the input as extra channels (or features).
"""

import torch
from torch import Tensor, nn
from torch.nn import functional as F

#: `model.conditioning`: what the labels do in the networks; none builds the unconditional nets.
CONDITIONINGS = ("none", "concat", "projection", "acgan", "tac", "reacgan")
#: `generator.conditioning`: auto is batch_norm under projection when the generator has batch norm, else concat.
GENERATOR_CONDITIONINGS = ("auto", "concat", "batch_norm")


class ConditionalBatchNorm(nn.Module):
    """Batch norm without its own affine; the gain (1 + a per-class offset, so it starts at 1) and the bias are
    looked up from each sample's label. Wraps the unconditional layer's running statistics and momentum."""

    def __init__(self, norm: nn.BatchNorm1d | nn.BatchNorm2d, num_classes: int) -> None:
        super().__init__()
        self.norm = type(norm)(norm.num_features, norm.eps, norm.momentum, affine=False)
        self.gain = nn.Embedding(num_classes, norm.num_features)
        self.bias = nn.Embedding(num_classes, norm.num_features)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)
        #: The labels of the batch being generated, set by ConditionalNormGenerator for one forward.
        self.labels: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        if self.labels is None:
            raise RuntimeError("ConditionalBatchNorm runs inside ConditionalNormGenerator, which sets the labels")
        # (N, C) -> (N, C, 1, ...) by new axes, not a view to a shape read off x: a traced or exported generator then
        # keeps its batch size dynamic.
        spatial = (..., *(None,) * (x.dim() - 2))
        gain, bias = 1.0 + self.gain(self.labels)[spatial], self.bias(self.labels)[spatial]
        return self.norm(x) * gain + bias


def has_batch_norm(network: nn.Module) -> bool:
    return any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in network.modules())


class LabelConcatGenerator(nn.Module):
    """(z, labels) -> backbone([z, embedding(labels)]); the backbone was built for latent_dim + embedding_dim."""

    def __init__(self, backbone: nn.Module, num_classes: int, embedding_dim: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.embedding = nn.Embedding(num_classes, embedding_dim)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.backbone(torch.cat([z, self.embedding(labels).to(z.dtype)], dim=1))


class ConditionalNormGenerator(nn.Module):
    """(z, labels) -> backbone(z) with every batch norm replaced by a ConditionalBatchNorm.

    The backbones' forwards are plain nn.Sequential chains that take z alone, so the labels reach the norm layers
    through their `labels` attribute, set for the duration of this forward (and cleared after, so a stale batch's
    labels can never be read).
    """

    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__()
        for parent in list(backbone.modules()):
            for name, child in parent.named_children():
                if isinstance(child, nn.BatchNorm1d | nn.BatchNorm2d):
                    setattr(parent, name, ConditionalBatchNorm(child, num_classes))
        self.backbone = backbone

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        norms = [m for m in self.backbone.modules() if isinstance(m, ConditionalBatchNorm)]
        for norm in norms:
            norm.labels = labels
        try:
            return self.backbone(z)
        finally:
            for norm in norms:
                norm.labels = None


class ConditionalDiscriminator(nn.Module):
    """(x, labels) -> one score per sample. `scores_and_class_logits` also returns class logits (ACGAN's head;
    None for the others), from the same pass through the features."""

    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.num_classes = num_classes

    def features(self, x: Tensor, labels: Tensor) -> Tensor:
        return self.backbone.features(x)

    def scores_and_class_logits(self, x: Tensor, labels: Tensor) -> tuple[Tensor, Tensor | None]:
        return self.backbone.head(self.features(x, labels)).squeeze(1), None

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        return self.scores_and_class_logits(x, labels)[0]


def feature_dim(backbone: nn.Module) -> int:
    """The width of the features the backbone's linear head reads."""
    return backbone.head.in_features


class ProjectionDiscriminator(ConditionalDiscriminator):
    """head(phi(x)) + <embedding(y), phi(x)>: the class enters as a projection onto the features (Miyato & Koyama
    2018, eq. 3), which the paper shows is the form implied by a log-linear class model."""

    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__(backbone, num_classes)
        self.embedding = nn.Embedding(num_classes, feature_dim(backbone))
        nn.init.xavier_uniform_(self.embedding.weight)

    def scores_and_class_logits(self, x: Tensor, labels: Tensor) -> tuple[Tensor, None]:
        features = self.features(x, labels)
        projection = (self.embedding(labels).to(features.dtype) * features).sum(dim=1)
        return self.backbone.head(features).squeeze(1) + projection, None


class AuxiliaryClassifierDiscriminator(ConditionalDiscriminator):
    """The unconditional logit, and class logits from a second linear head on the same features (ACGAN). The
    labels do not enter the logit: the model trains the class head with cross-entropy on real and fake images."""

    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__(backbone, num_classes)
        self.classifier = nn.Linear(feature_dim(backbone), num_classes)

    def scores_and_class_logits(self, x: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        features = self.features(x, labels)
        return self.backbone.head(features).squeeze(1), self.classifier(features)


class TwinAuxiliaryClassifierDiscriminator(AuxiliaryClassifierDiscriminator):
    """ACGAN's logit and classifier, and a twin classifier on the same features (TAC-GAN, Gong et al. 2019). The
    class logits are stacked (N, 2, K): [:, 0] the classifier the model trains on real images, [:, 1] the twin it
    trains on the fakes. ACGAN's generator term alone pulls each class towards the images easiest to classify (it
    minimises the fakes' conditional entropy); the generator's term minus the twin's cross-entropy cancels that pull
    (gansuite.objective.losses.generator_class_loss)."""

    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__(backbone, num_classes)
        self.twin_classifier = nn.Linear(feature_dim(backbone), num_classes)

    def scores_and_class_logits(self, x: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        features = self.features(x, labels)
        logits = torch.stack([self.classifier(features), self.twin_classifier(features)], dim=1)
        return self.backbone.head(features).squeeze(1), logits


class DataToDataDiscriminator(ConditionalDiscriminator):
    """ReACGAN's discriminator (Kang et al. 2021): the unconditional logit, and from the same features an embedding
    and the embedding of the label (its proxy), stacked (N, 2, embed_dim), which the model scores with the
    data-to-data cross-entropy (gansuite.objective.losses.data_to_data_cross_entropy). StudioGAN's ReACGAN: 512 wide."""

    def __init__(self, backbone: nn.Module, num_classes: int, embed_dim: int = 512) -> None:
        super().__init__(backbone, num_classes)
        self.embedding = nn.Linear(feature_dim(backbone), embed_dim)
        self.proxies = nn.Embedding(num_classes, embed_dim)

    def scores_and_class_logits(self, x: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        features = self.features(x, labels)
        embeddings = torch.stack([self.embedding(features), self.proxies(labels).to(features.dtype)], dim=1)
        return self.backbone.head(features).squeeze(1), embeddings


def label_maps(labels: Tensor, num_classes: int, like: Tensor) -> Tensor:
    """One-hot labels shaped as extra channels of `like` (N, K, H, W), or extra features (N, K) for flat data."""
    one_hot = F.one_hot(labels, num_classes).to(like.dtype)
    if like.dim() == 2:
        return one_hot
    return one_hot.view(*one_hot.shape, *([1] * (like.dim() - 2))).expand(-1, -1, *like.shape[2:])


class LabelConcatDiscriminator(ConditionalDiscriminator):
    """backbone([x, one-hot label maps]); the backbone was built for K more input channels (or features)."""

    def features(self, x: Tensor, labels: Tensor) -> Tensor:
        return self.backbone.features(torch.cat([x, label_maps(labels, self.num_classes, x)], dim=1))


DISCRIMINATOR_WRAPPERS = {
    "projection": ProjectionDiscriminator,
    "acgan": AuxiliaryClassifierDiscriminator,
    "tac": TwinAuxiliaryClassifierDiscriminator,
    "reacgan": DataToDataDiscriminator,
    "concat": LabelConcatDiscriminator,
}
