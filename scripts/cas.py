"""Classification accuracy score (CAS; Ravuri & Vinyals 2019) of a conditional generator:
`python scripts/cas.py ckpt_path=<ckpt> [num=10000 epochs=3 batch_size=128 lr=1e-3 seed=0 device=cpu]`.

Trains the small classifier of metrics.extractor=classifier on `num` generated images only (their labels the real
training labels, shuffled: the real class frequencies) and reports its accuracy on the real test split, beside the
same classifier trained the same way on `num` real training images. A generator that covers every class as the data
does scores near the real-data row; one that makes the wrong class, or one kind of each, scores lower, which FID
alone does not tell apart. Prints a Markdown table and returns the two accuracies.
"""

import sys

import torch
from hydra.utils import instantiate
from torch import Tensor

from gansuite.benchmark import print_table
from gansuite.entry import report_user_errors, script_arguments
from gansuite.errors import ConfigError
from gansuite.metrics.classifier_training import accuracy, fit_classifier
from gansuite.metrics.image_metrics import to_uint8
from gansuite.modules.base import AdversarialModule
from gansuite.modules.loading import load_module
from gansuite.validation import check_positive_int, check_seed

DEFAULTS = {"ckpt_path": "???", "num": 10000, "epochs": 3, "batch_size": 128, "lr": 1e-3, "seed": 0, "device": "cpu"}


def parse(argv: list[str]):
    args = script_arguments(argv, DEFAULTS, "cas.py")
    for key in ("num", "epochs", "batch_size"):
        check_positive_int(args[key], key, f"e.g. {key}={DEFAULTS[key]}")
    check_seed(args.seed)
    return args


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


def main(argv: list[str]) -> dict[str, float]:
    return classification_accuracy_score(parse(argv))


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
