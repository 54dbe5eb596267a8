"""The classification accuracy score of scripts/cas.py (which says what it means and takes), once its arguments are
checked: a classifier trained on generated images, and the same one trained on real images, scored on real ones."""

import torch
from hydra.utils import instantiate
from torch import Tensor

from gansuite.errors import ConfigError
from gansuite.metrics.classifier_training import accuracy, fit_classifier
from gansuite.metrics.image_metrics import to_uint8
from gansuite.modules.base import AdversarialModule
from gansuite.modules.loading import load_module
from gansuite.run.benchmark import print_table


@torch.inference_mode()
def generate_labelled(module: AdversarialModule, labels: Tensor, batch_size: int = 500) -> Tensor:
    """uint8 images generated for `labels`, in batches."""
    batches = [
        to_uint8(module.generate(torch.randn(len(chunk), module.latent_dim, device=module.device), chunk)).cpu()
        for chunk in labels.split(batch_size)
    ]
    return torch.cat(batches)


def classification_accuracy_score(args) -> dict[str, float]:
    module, config = load_module(args.ckpt_path, map_location=args.device)
    if not getattr(module, "conditional", False):
        raise ConfigError(
            f"{args.ckpt_path} holds an unconditional model: CAS needs model.conditioning set in training"
        )
    datamodule = instantiate(config.data)
    real_images, real_labels = datamodule.split_images(train=True), datamodule.split_labels(train=True)
    if args.num > len(real_labels):
        raise ConfigError(f"num={args.num} but the training split holds {len(real_labels)} images: lower num")
    test_images, test_labels = datamodule.split_images(train=False), datamodule.split_labels(train=False)
    torch.manual_seed(args.seed)
    chosen = torch.randperm(len(real_labels))[: args.num]
    labels = real_labels[chosen]
    scores = {}
    for name, images in (("generated", generate_labelled(module, labels.to(module.device))), ("real", None)):
        images = real_images[chosen] if images is None else images
        torch.manual_seed(args.seed)  # both classifiers start from the same weights and batch order
        model = fit_classifier(images, labels, args.epochs, args.batch_size, args.lr, module.num_classes, print)
        scores[name] = accuracy(model, test_images, test_labels)
    rows = [
        {"trained on": f"{args.num} {name} images", "real test accuracy": f"{value:.4f}"}
        for name, value in scores.items()
    ]
    print_table(f"CAS of {args.ckpt_path} ({args.epochs} epochs, seed {args.seed})", rows)
    return scores
