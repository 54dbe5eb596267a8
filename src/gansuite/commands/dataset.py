"""Pack an image folder for fast loading, or check a train/test split for shared images.

    gansuite-dataset pack SRC DST [--size 64] [--channels 3] [--labels none|folders] [--workers 0]
    gansuite-dataset check SRC [--test TEST] [--threshold 8]

(`python scripts/dataset.py ...` in a checkout.)

pack: decodes every image under SRC once, as data=image_folder would (shorter side resized to --size, center-cropped,
--channels 1 or 3), into the new folder DST: images.npy (uint8, memory-mapped when read), labels.npy with
--labels folders (one subfolder of SRC per class, as data.labels=folders reads it) and manifest.json (count, size,
channels, each file's bytes and sha256, class names). Train on it with `python train.py data=packed data.path=DST`
(data.labels=folders for its labels). --workers N decodes in N processes.

check: every pair of a training and a test image with the same pixels (exact) or nearly the same (near: perceptual
hashes at most --threshold of 64 bits apart; gansuite/data/duplicates.py says what that catches). SRC holds train/
and test/ subfolders, or with --test TEST, SRC is the training folder and TEST the test folder. Prints one line per
pair, then a summary.

Exit status: 0 (check: no shared images), 1 (check: some found), 2 bad input, said in one line.
"""

import argparse
import sys
from pathlib import Path

from gansuite.commands.entry import Arguments, answer_script_help, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int


def parser() -> Arguments:
    parse = Arguments(prog="gansuite-dataset", add_help=False)
    commands = parse.add_subparsers(dest="command", required=True, metavar="{pack,check}")
    pack = commands.add_parser("pack", add_help=False, prog="gansuite-dataset pack")
    pack.add_argument("src", metavar="SRC")
    pack.add_argument("dst", metavar="DST")
    pack.add_argument("--size", type=int, default=64)
    pack.add_argument("--channels", type=int, choices=(1, 3), default=3)
    pack.add_argument("--labels", choices=("none", "folders"), default="none")
    pack.add_argument("--workers", type=int, default=0)
    check = commands.add_parser("check", add_help=False, prog="gansuite-dataset check")
    check.add_argument("src", metavar="SRC")
    check.add_argument("--test", metavar="TEST")
    check.add_argument("--threshold", type=int, default=8)
    return parse


def parse(argv: list[str]) -> argparse.Namespace:
    """The arguments, checked before anything heavy is imported; a ConfigError names the first bad one."""
    args = parser().parse_args(argv)
    source = Path(args.src)
    if args.command == "pack":
        if not source.is_dir():
            raise ConfigError(f"SRC {source} is not a folder: pass the folder of images to pack")
        if Path(args.dst).exists():
            raise ConfigError(f"DST {args.dst} already exists: remove it, or pack into a new folder")
        check_positive_int(args.size, "--size", "the side of the square images in pixels, e.g. --size 64")
        if args.workers < 0:
            raise ConfigError(f"--workers must be 0 (decode in this process) or more, got {args.workers}")
        return args
    if not 0 <= args.threshold <= 64:
        raise ConfigError(
            f"--threshold is a distance between 64-bit hashes: 0 to 64 (8 by default), got {args.threshold}"
        )
    train, test = (source, Path(args.test)) if args.test else (source / "train", source / "test")
    for folder, name in ((train, "the training"), (test, "the test")):
        if not folder.is_dir():
            layout = "" if args.test else " (SRC holds train/ and test/; or pass --test TEST, SRC the training folder)"
            raise ConfigError(f"{name} folder {folder} does not exist{layout}")
    args.train_folder, args.test_folder = train, test
    return args


def main(argv: list[str]) -> int:
    """Runs the command; its exit status."""
    answer_script_help(argv, __doc__)
    args = parse(argv)
    if args.command == "pack":
        from gansuite.data.packed import pack_folder  # after the checks: torch takes seconds to import

        manifest = pack_folder(Path(args.src), Path(args.dst), args.size, args.channels, args.labels, args.workers)
        classes = f", {len(manifest['class_names'])} classes" if manifest["class_names"] else ""
        print(
            f"packed {manifest['count']} images ({args.channels}x{args.size}x{args.size}{classes}) from {args.src} "
            f"into {args.dst} (sha256 {manifest['images']['sha256']})"
        )
        return 0
    from gansuite.data.duplicates import fingerprints, report, shared_images
    from gansuite.data.image_files import list_images

    train = fingerprints(list_images(args.train_folder, "SRC"))
    test = fingerprints(list_images(args.test_folder, "--test" if args.test else "SRC"))
    pairs = shared_images(train, test, args.threshold)
    print(report(pairs, args.train_folder, args.test_folder, (len(train.files), len(test.files)), args.threshold))
    return 1 if pairs else 0


def run() -> None:
    """gansuite-dataset, python scripts/dataset.py."""
    sys.exit(report_user_errors(main, sys.argv[1:]))
