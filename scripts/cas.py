"""Classification accuracy score (CAS; Ravuri & Vinyals 2019) of a conditional generator:
`python scripts/cas.py ckpt_path=<ckpt> [num=10000 epochs=3 batch_size=128 lr=1e-3 seed=0 device=cpu]`.

Trains the small classifier of metrics.extractor=classifier on `num` generated images only (their labels the real
training labels, shuffled: the real class frequencies) and reports its accuracy on the real test split, beside the
same classifier trained the same way on `num` real training images. A generator that covers every class as the data
does scores near the real-data row; one that makes the wrong class, or one kind of each, scores lower, which FID
alone does not tell apart. Prints a Markdown table and returns the two accuracies.
"""

import sys

from gansuite.commands.entry import answer_script_help, report_user_errors, script_arguments
from gansuite.run.validation import check_positive_int, check_seed

DEFAULTS = {"ckpt_path": "???", "num": 10000, "epochs": 3, "batch_size": 128, "lr": 1e-3, "seed": 0, "device": "cpu"}


def parse(argv: list[str]):
    args = script_arguments(argv, DEFAULTS, "cas.py")
    for key in ("num", "epochs", "batch_size"):
        check_positive_int(args[key], key, f"e.g. {key}={DEFAULTS[key]}")
    check_seed(args.seed)
    return args


def main(argv: list[str]) -> dict[str, float]:
    answer_script_help(argv, __doc__)
    args = parse(argv)
    from gansuite.metrics.cas import classification_accuracy_score  # after the checks: torch and Lightning are slow

    return classification_accuracy_score(args)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
