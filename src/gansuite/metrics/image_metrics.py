"""FID, Inception Score, KID, precision/recall and density/coverage of a generator, on torch-fidelity's protocol.

One feature network (Inception or the dataset's classifier) runs once per batch of uint8 images; its pool features
feed the FID (gansuite.metrics.frechet, float64), torchmetrics' KID and the k-NN metrics (precision/recall,
density/coverage), its logits the IS, through a pass-through `feature` module. Generated images are quantized to
uint8 by rounding, as saved images would be.
torchmetrics' IS and KID draw their splits and subsets with torch.randperm and IS reports the unbiased std; here
they draw them as torch-fidelity does (numpy RandomState(seed), population std), so the values agree with it.
Real features come from the on-disk cache (real_stats_cache), so a run extracts them once.

A conditional model is sampled with labels: the real evaluation images' own labels, shuffled (seeded) and repeated
to `num_fake`, so the generated classes follow the real class frequencies (exactly, when num_fake = num_real), and
two class-aware metrics join the list: intra-class FID (StudioGAN's definition: the mean over classes of the FID
between that class's real images and the images generated for it, with the same extractor) and label accuracy (the
share of generated images the dataset's classifier assigns to the class they were generated for).
"""

import hashlib
import warnings
from pathlib import Path

import numpy as np
import torch
from lightning import LightningModule
from torch import Tensor, nn
from torch.utils.data import DataLoader, Subset
from torchmetrics.image import InceptionScore, KernelInceptionDistance
from torchmetrics.image.kid import poly_mmd
from torchmetrics.utilities import dim_zero_cat

from gansuite.errors import ConfigError, is_integer
from gansuite.metrics import classifier, inception
from gansuite.metrics.frechet import frechet_distance
from gansuite.metrics.real_stats_cache import cached_features

EXTRACTORS = ("inception", "classifier")
SPLITS = ("train", "test")


def to_uint8(images: Tensor) -> Tensor:
    """Generator output in [-1, 1] -> uint8 [0, 255], rounded to nearest."""
    return images.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


def seeded_permutation(n: int, seed: int, device: torch.device) -> Tensor:
    return torch.from_numpy(np.random.RandomState(seed).permutation(n)).to(device)


class Precomputed(nn.Module):
    """torchmetrics' `feature` module when the shared extractor already ran: passes the features through."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


class SeededInceptionScore(InceptionScore):
    """IS on torch-fidelity's splits: a RandomState(seed) shuffle, N*i//splits boundaries, float64, population std."""

    def __init__(self, splits: int = 10, seed: int = 2020, **kwargs) -> None:
        super().__init__(feature=Precomputed(0), splits=splits, **kwargs)
        self.seed = seed

    def compute(self) -> tuple[Tensor, Tensor]:
        logits = dim_zero_cat(self.features).double()
        n = len(logits)
        logits = logits[seeded_permutation(n, self.seed, logits.device)]
        scores = []
        for i in range(self.splits):
            chunk = logits[i * n // self.splits : (i + 1) * n // self.splits]
            p, log_p = chunk.softmax(dim=1), chunk.log_softmax(dim=1)
            kl = (p * (log_p - p.mean(dim=0, keepdim=True).log())).sum(dim=1).mean()
            scores.append(kl.exp())
        scores = torch.stack(scores)
        return scores.mean(), scores.std(unbiased=False)


class SeededKernelInceptionDistance(KernelInceptionDistance):
    """KID on torch-fidelity's subsets: each draws fake then real indices from one RandomState(seed), float64."""

    def __init__(self, num_features: int, subsets: int = 100, subset_size: int = 1000, seed: int = 2020, **kw) -> None:
        super().__init__(feature=Precomputed(num_features), subsets=subsets, subset_size=subset_size, **kw)
        self.seed = seed

    def compute(self) -> tuple[Tensor, Tensor]:
        real, fake = dim_zero_cat(self.real_features).double(), dim_zero_cat(self.fake_features).double()
        rng = np.random.RandomState(self.seed)
        scores = []
        for _ in range(self.subsets):
            fake_subset = fake[torch.from_numpy(rng.choice(len(fake), self.subset_size, replace=False))]
            real_subset = real[torch.from_numpy(rng.choice(len(real), self.subset_size, replace=False))]
            scores.append(poly_mmd(fake_subset, real_subset, self.degree, self.gamma, self.coef))
        scores = torch.stack(scores)
        return scores.mean(), scores.std(unbiased=False)


def kth_neighbour_distance(features: Tensor, k: int, batch_size: int) -> Tensor:
    """Distance of each row to its k-th nearest other row (the row itself is its 0-th neighbour)."""
    return torch.cat([torch.cdist(rows, features).kthvalue(k + 1).values for rows in features.split(batch_size)])


def ball_membership(
    queries: Tensor, centers: Tensor, radii: Tensor, batch_size: int, closed: bool = True
) -> tuple[Tensor, Tensor]:
    """(for each query, the number of balls (center, radius) holding it; for each ball, whether it holds a query).

    `closed`: a query at exactly the radius is inside, as torch-fidelity's precision/recall counts it; density and
    coverage count open balls, as the authors' code (prdc) does, so a set scored against itself has density 1 (up to
    rounding at each ball's edge, where its k-th neighbour lies).
    """
    counts, holds = [], torch.zeros(len(centers), dtype=torch.bool, device=centers.device)
    for rows in queries.split(batch_size):
        distances = torch.cdist(rows, centers)
        inside = distances <= radii if closed else distances < radii
        counts.append(inside.sum(dim=1))
        holds |= inside.any(dim=0)
    return torch.cat(counts), holds


def covered_fraction(queries: Tensor, centers: Tensor, radii: Tensor, batch_size: int) -> float:
    """Share of `queries` inside at least one ball (center, radius)."""
    return float(ball_membership(queries, centers, radii, batch_size)[0].gt(0).float().mean())


def precision_recall(fake: Tensor, real: Tensor, k: int = 3, batch_size: int = 10000) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN balls, as torch-fidelity's `prc`.

    Precision: share of fake samples inside the real manifold; recall: share of real samples inside the fake one.
    Computed on the FID features, like torch-fidelity's prc with feature_extractor="inception-v3-compat"; the paper
    and torch-fidelity's default use VGG16 features, whose values differ (and whose weights are another download).
    """
    precision = covered_fraction(fake, real, kth_neighbour_distance(real, k, batch_size), batch_size)
    recall = covered_fraction(real, fake, kth_neighbour_distance(fake, k, batch_size), batch_size)
    return precision, recall


def density_coverage(fake: Tensor, real: Tensor, k: int = 5, batch_size: int = 10000) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"),
    with the paper's k = 5 by default.

    Both use only the real k-NN balls, which makes them robust to fake outliers (which inflate recall's fake balls)
    and to real outliers (whose large balls inflate precision): density is the mean number of real balls holding a
    fake sample, divided by k (about 1 when the fakes follow the real distribution, above 1 where they crowd the
    dense real regions); coverage is the share of real balls holding at least one fake sample.
    """
    counts, holds = ball_membership(fake, real, kth_neighbour_distance(real, k, batch_size), batch_size, closed=False)
    return float(counts.double().sum() / (k * len(fake))), float(holds.double().mean())


def image_size_key(datamodule) -> str:
    """The real images' size in the cache key: `32px` for a square size (the keys of earlier runs), `32x48px`
    otherwise, and an image folder's aspect mode when it is not the default crop (pad and stretch give other pixels)."""
    height, width = datamodule.shape[1:]
    aspect = getattr(datamodule, "aspect", "crop")
    return (f"{height}px" if height == width else f"{height}x{width}px") + ("" if aspect == "crop" else f"_{aspect}")


def dataset_key(datamodule) -> str:
    """A name for the real images: the torchvision dataset (and folder, for subsets) or the image folder's path."""
    if hasattr(datamodule, "images") and hasattr(datamodule, "name"):
        folder = getattr(datamodule, "base_folder", None)
        return f"{datamodule.name}_{folder}" if folder else datamodule.name
    if hasattr(datamodule, "path"):
        path = str(Path(datamodule.path).resolve())
        return f"folder_{Path(path).name}_{hashlib.sha256(path.encode()).hexdigest()[:8]}"
    raise ConfigError(
        f"metrics=default scores images, but data is {type(datamodule).__name__}: use metrics=mode_coverage for "
        "toy data, or metrics=none"
    )


def real_subset(num_images: int, num: int, seed: int) -> Tensor:
    """The sorted indices of the seeded random subset of `num` images that the metrics score."""
    return torch.randperm(num_images, generator=torch.Generator().manual_seed(seed))[:num].sort().values


def real_image_batches(datamodule, split: str, num: int, batch_size: int, seed: int):
    """`num` real uint8 images of `split` in batches: a seeded random subset when the split holds more."""
    if hasattr(datamodule, "split_images"):
        images = datamodule.split_images(train=split == "train")
    else:  # an image folder: one split, read from disk batch by batch
        if split != "train":
            raise ConfigError(f"metrics.split={split}: an image folder has a single split; use metrics.split=train")
        datamodule.setup()
        images = datamodule.dataset
    if num > len(images):
        raise ConfigError(
            f"metrics.num_real={num} but the {split} split of the data holds {len(images)} images: set "
            f"metrics.num_real={len(images)} or less (or use the other split)"
        )
    chosen = real_subset(len(images), num, seed)
    if isinstance(images, Tensor):
        yield from (images[indices] for indices in chosen.split(batch_size))
        return
    for batch in DataLoader(Subset(images, chosen.tolist()), batch_size=batch_size, num_workers=0):
        yield batch if isinstance(batch, Tensor) else batch[0]  # a labelled folder's items are (image, label)


def real_subset_labels(datamodule, split: str, num: int, seed: int) -> Tensor:
    """The labels of the images real_image_batches yields, in the same order."""
    labels = datamodule.split_labels(train=split == "train")
    return labels[real_subset(len(labels), num, seed)]


def fake_labels(real_labels: Tensor, num_fake: int, seed: int) -> Tensor:
    """The labels to generate: the real subset's labels shuffled (seeded) and repeated to `num_fake`, so the
    generated classes follow the real frequencies."""
    shuffled = real_labels[seeded_permutation(len(real_labels), seed, real_labels.device)]
    return shuffled.repeat(-(-num_fake // len(shuffled)))[:num_fake]


def intra_class_fid(real: Tensor, real_labels: Tensor, fake: Tensor, labels: Tensor, num_classes: int) -> float:
    """The mean over classes of the FID between the real and the generated features of that class."""
    for name, chosen in (("real", real_labels), ("generated", labels)):
        counts = torch.bincount(chosen, minlength=num_classes)
        if int(counts.min()) < 2:
            raise ConfigError(
                f"intra-class FID needs at least 2 {name} images of every class, but class {int(counts.argmin())} "
                f"has {int(counts.min())}: raise metrics.num_real and metrics.num_fake"
            )
    distances = [frechet_distance(real[real_labels == c], fake[labels == c]) for c in range(num_classes)]
    return sum(distances) / num_classes


class ImageMetrics:
    """Evaluator `(pl_module, datamodule) -> {name: value}` for image GANs (see the module docstring)."""

    def __init__(
        self,
        num_fake: int = 10000,
        num_real: int = 10000,
        split: str = "train",
        extractor: str = "inception",
        inception_weights: str | None = None,
        classifier_weights: str | None = None,
        precision_recall: bool = False,
        cache_dir: str = "logs/real_stats",
        batch_size: int = 100,
        is_splits: int = 10,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        prc_neighborhood: int = 3,
        density_coverage: bool = False,
        density_coverage_neighborhood: int = 5,
        seed: int = 2020,
        dataset: str = "images",
        name_suffix: str = "",
        conditioning: str = "none",
        intra_class_fid: bool = True,
        label_accuracy: bool = True,
    ) -> None:
        """`conditioning`: the model's (`model.conditioning`); other than none, the generator is sampled with labels
        and `intra_class_fid` and `label_accuracy` (with the dataset's classifier: shipped for MNIST and
        Fashion-MNIST, else `classifier_weights`) are computed too."""
        if extractor not in EXTRACTORS:
            raise ConfigError(f"metrics.extractor={extractor} is unknown: choose one of {', '.join(EXTRACTORS)}")
        if split not in SPLITS:
            raise ConfigError(f"metrics.split={split} is unknown: choose one of {', '.join(SPLITS)}")
        for key, value, minimum, meaning in (
            ("num_fake", num_fake, 2, "generated images; FID's covariance needs two"),
            ("num_real", num_real, 2, "real images; FID's covariance needs two"),
            ("batch_size", batch_size, 1, "images per extractor pass"),
            ("is_splits", is_splits, 1, "the IS's splits of the generated images"),
            ("kid_subsets", kid_subsets, 1, "KID's random subsets"),
            ("kid_subset_size", kid_subset_size, 2, "images per KID subset; its unbiased MMD needs two"),
        ):
            if not is_integer(value) or value < minimum:
                raise ConfigError(f"metrics.{key} must be an integer >= {minimum} ({meaning}), got {value!r}")
        if is_splits > num_fake:
            raise ConfigError(
                f"metrics.is_splits={is_splits} splits metrics.num_fake={num_fake} images, leaving some splits empty: "
                "lower metrics.is_splits or raise metrics.num_fake"
            )
        for on, key, k in (
            (precision_recall, "prc_neighborhood", prc_neighborhood),
            (density_coverage, "density_coverage_neighborhood", density_coverage_neighborhood),
        ):
            if on and (not is_integer(k) or not 1 <= k < min(num_fake, num_real)):
                raise ConfigError(
                    f"metrics.{key}={k!r} must be an integer from 1 to below the images of each side "
                    f"(metrics.num_fake={num_fake}, metrics.num_real={num_real}): each image's k-th nearest other one"
                )
        if min(num_fake, num_real) < kid_subset_size:
            raise ConfigError(
                f"KID draws subsets of metrics.kid_subset_size={kid_subset_size} images, more than metrics.num_fake="
                f"{num_fake} / metrics.num_real={num_real}: raise those or lower metrics.kid_subset_size"
            )
        self.num_fake, self.num_real, self.split = num_fake, num_real, split
        self.extractor_name, self.dataset, self.name_suffix = extractor, dataset, name_suffix
        self.precision_recall, self.prc_neighborhood = precision_recall, prc_neighborhood
        self.density_coverage, self.dc_neighborhood = density_coverage, density_coverage_neighborhood
        self.cache_dir, self.batch_size, self.seed = cache_dir, batch_size, seed
        self.is_splits, self.kid_subsets, self.kid_subset_size = is_splits, kid_subsets, kid_subset_size
        self.conditional = conditioning not in (None, "none")
        self.intra_class_fid = self.conditional and intra_class_fid
        self.label_accuracy = self.conditional and label_accuracy
        # Resolved now, so missing weights stop a run before training rather than at its first evaluation.
        if extractor == "inception":
            offline_fix = (
                "metrics.extractor=classifier measures with the dataset's own classifier instead"
                if dataset in classifier.TRAINABLE
                else "metrics=none trains without image metrics (evaluate.py cannot score them without the file)"
            )
            self.weights = inception.resolve_weights(inception_weights, offline_fix)
        else:
            self.weights = classifier.resolve_weights(dataset, classifier_weights)
        if self.label_accuracy:
            self.classifier_weights = classifier.resolve_weights(dataset, classifier_weights, "metrics.label_accuracy")
        self.label_classifier: nn.Module | None = None
        self.real_labels: Tensor | None = None
        self.extractor: nn.Module | None = None
        self.real_features: Tensor | None = None
        self.real_from_cache: bool | None = None

    @property
    def names(self) -> list[str]:
        score = "is" if self.extractor_name == "inception" else "cs"
        names = ["fid", score, f"{score}_std", "kid", "kid_std"]
        names += ["precision", "recall"] if self.precision_recall else []
        names += ["density", "coverage"] if self.density_coverage else []
        names += ["intra_fid"] if self.intra_class_fid else []
        names = [name + self.name_suffix for name in names]
        # Always the dataset's classifier, whichever extractor the FID uses: no suffix to tell apart.
        return names + (["label_accuracy"] if self.label_accuracy else [])

    def protocol(self) -> dict[str, str]:
        """How the numbers were made, for tables and reports."""
        extractor = self.extractor
        conditional = {}
        if self.conditional:
            conditional["generated labels"] = "the real images' labels, shuffled (real class frequencies)"
        if self.label_accuracy:
            conditional["label accuracy"] = f"argmax of the classifier {self.classifier_weights}"
        neighbours = {}
        if self.precision_recall:
            neighbours["precision / recall"] = f"k = {self.prc_neighborhood} NN balls of the pool features"
        if self.density_coverage:
            neighbours["density / coverage"] = f"k = {self.dc_neighborhood} NN balls of the real pool features"
        return {
            "extractor": extractor.description if extractor is not None else f"{self.extractor_name} ({self.weights})",
            "resize": extractor.resize if extractor is not None else "",
            "real images": f"{self.num_real} ({self.split} split)",
            "fake images": f"{self.num_fake} (uint8, rounded)",
            "IS splits / KID subsets": f"{self.is_splits} / {self.kid_subsets} x {self.kid_subset_size}",
            **neighbours,
            **conditional,
        }

    def build_extractor(self, datamodule, device: torch.device) -> nn.Module:
        if self.extractor_name == "inception":
            extractor = inception.InceptionFeatures(str(self.weights))
        else:
            extractor = classifier.ClassifierFeatures(self.dataset, self.weights, tuple(datamodule.shape))
        return extractor.to(device).eval().requires_grad_(False)

    def features(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Pool features (FID, KID, precision/recall, density/coverage) and logits (IS) of uint8 images, in one pass."""
        return self.extractor(images)

    def compute_real_features(self, datamodule, device: torch.device) -> Tensor:
        batches = real_image_batches(datamodule, self.split, self.num_real, self.batch_size, self.seed)
        return torch.cat([self.features(images.to(device))[0] for images in batches])

    @torch.inference_mode()
    def prepare(self, datamodule, device: torch.device) -> None:
        """The extractor and real features on `device`, built on the first call (and again if the device changes)."""
        if self.extractor is not None and self.real_features.device == device:
            return
        self.extractor = self.build_extractor(datamodule, device)
        key = {
            "dataset": dataset_key(datamodule),
            "split": self.split,
            "size": image_size_key(datamodule),
            "extractor": self.extractor.identity,
            "num_real": f"n{self.num_real}",
            "seed": f"seed{self.seed}",
        }
        self.real_features, self.real_from_cache = cached_features(
            self.cache_dir, key, lambda: self.compute_real_features(datamodule, device), device
        )
        # KID's real side is added once: reset() keeps it (reset_real_features=False), so each call adds only fakes.
        # Every rank scores the same seeded images, so the values agree without a gather (sync_on_compute=False).
        num_features = self.real_features.shape[1]
        # IS and KID warn that they keep features in memory: by design (features, not images; KID needs them).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*will save all extracted features in buffer")
            self.kid = SeededKernelInceptionDistance(
                num_features,
                self.kid_subsets,
                self.kid_subset_size,
                self.seed,
                reset_real_features=False,
                sync_on_compute=False,
            ).to(device)
            self.inception_score = SeededInceptionScore(self.is_splits, self.seed, sync_on_compute=False).to(device)
        self.kid.update(self.real_features, real=True)
        if self.conditional:
            self.real_labels = real_subset_labels(datamodule, self.split, self.num_real, self.seed).to(device)
            self.fake_labels = fake_labels(self.real_labels, self.num_fake, self.seed)
        if self.label_accuracy:
            self.label_classifier = (
                self.extractor
                if self.extractor_name == "classifier"
                else classifier.ClassifierFeatures(self.dataset, self.classifier_weights, tuple(datamodule.shape))
            )
            self.label_classifier = self.label_classifier.to(device).eval().requires_grad_(False)

    def generated_batches(self, pl_module: LightningModule):
        """`num_fake` uint8 samples from seeded noise (the same images every evaluation), with EMA weights if any,
        and their labels (None for an unconditional model)."""
        noise = torch.Generator(device=pl_module.device).manual_seed(self.seed)
        for start in range(0, self.num_fake, self.batch_size):
            n = min(self.batch_size, self.num_fake - start)
            z = torch.randn(n, pl_module.latent_dim, device=pl_module.device, generator=noise)
            labels = self.fake_labels[start : start + n] if self.conditional else None
            yield to_uint8(pl_module.generate(z, labels)), labels

    @torch.inference_mode()
    def __call__(self, pl_module: LightningModule, datamodule) -> dict[str, float]:
        self.prepare(datamodule, pl_module.device)
        for metric in (self.kid, self.inception_score):
            metric.reset()
        correct = 0
        for images, labels in self.generated_batches(pl_module):
            features, logits = self.features(images)
            self.kid.update(features, real=False)
            self.inception_score.update(logits)
            if self.label_accuracy:
                predicted = self.label_classifier(images)[1].argmax(dim=1)
                correct += int((predicted == labels).sum())
        fake = dim_zero_cat(self.kid.fake_features)
        values = [frechet_distance(self.real_features, fake), *self.inception_score.compute(), *self.kid.compute()]
        if self.precision_recall:
            values += precision_recall(fake, self.real_features, self.prc_neighborhood)
        if self.density_coverage:
            values += density_coverage(fake, self.real_features, self.dc_neighborhood)
        if self.intra_class_fid:
            num_classes = pl_module.num_classes
            values.append(intra_class_fid(self.real_features, self.real_labels, fake, self.fake_labels, num_classes))
        if self.label_accuracy:
            values.append(correct / self.num_fake)
        return {name: float(value) for name, value in zip(self.names, values, strict=True)}
