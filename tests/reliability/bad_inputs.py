"""The table of bad inputs per entry point: what a user types, the one line that answers it, and the fix that line
suggests. test_bad_inputs.py runs every row (and every fix) through the real CLI; the README's reliability section
shows the same table, rendered by `python tests/reliability/bad_inputs.py --write`, and a test fails when the two
differ.

Placeholders, made by the test: {toy_run} a finished 4-update toy run and {toy_ckpt} its last.ckpt,
{cyclegan_ckpt} a CycleGAN checkpoint, {images} a folder of 4 PNGs, {sweep} a folder that holds a sweep, {tmp} an
empty folder; `env` sets TORCH_HOME to a folder without the Inception weights ({no_weights}) or with a truncated
copy of them ({damaged_weights}).
"""

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BadInput:
    entry: str  # train.py or scripts/<name>.py
    arguments: str
    answer: str  # a fragment of the one-line error
    fix: str | None = None  # what the answer suggests, as arguments of `entry` or a whole `scripts/...` command
    env: dict[str, str] = field(default_factory=dict)
    resumes: bool = False  # continues an existing run directory, which stays; no other row leaves one behind
    # The fix is a README command marked offline, which test_train_core.py runs offline as written: not run twice.
    fix_is_readme_offline_command: bool = False


IMAGE_FOLDER = "data=image_folder data.path={images} data.image_size=16 data.batch_size=2 data.num_workers=0"
TABLE = [
    BadInput("train.py", "seed=abc", "seed must be an integer in [0, 2**32), got 'abc': set e.g. seed=0", "seed=0"),
    BadInput("train.py", "seed=1.5", "seed must be an integer in [0, 2**32), got 1.5"),
    BadInput("train.py", "steps=0", "steps must be a positive integer"),
    BadInput(
        "train.py",
        "model.optimizer_g.lr=-1",
        "model.optimizer_g.lr must be a positive number, got -1: set e.g. model.optimizer_g.lr=2e-4",
        "model.optimizer_g.lr=2e-4",
    ),
    BadInput(
        "train.py",
        "model.lr=3e-4",
        "model.lr is not a key of this config: did you mean model.optimizer_g.lr or model.optimizer_d.lr? "
        "(model builds gansuite.modules.gan.GAN, which takes no lr)",
        "model.optimizer_g.lr=3e-4",
    ),
    BadInput("train.py", "data.batchsize=32", "did you mean data.batch_size?", "data.batch_size=32"),
    BadInput(
        "train.py",
        "trainer.limit_val_batches=2",
        "trainer.limit_val_batches is not in this config, though lightning.Trainer (trainer) takes it: pass it with "
        "+trainer.limit_val_batches=<value>",
        "+trainer.limit_val_batches=2",
    ),
    BadInput(
        "train.py",
        "model.optimizer_g._target_=torch.optim.AdamX",
        "model.optimizer_g._target_=torch.optim.AdamX cannot be imported (module 'torch.optim' has no attribute "
        "'AdamX'): check its spelling",
        "model.optimizer_g._target_=torch.optim.AdamW",
    ),
    BadInput(
        "train.py",
        "model.generator.mlp.width=0",
        "model.generator.mlp.width must be a positive integer (a size of the network's layers), got 0",
        "model.generator.mlp.width=64",
    ),
    BadInput(
        "train.py",
        "trainer.accelerator=gpu",
        "trainer.accelerator=gpu but torch sees no CUDA GPU here (torch.cuda.is_available() is False): use "
        "trainer.accelerator=auto, which takes a GPU when there is one, or trainer.accelerator=cpu",
        "trainer.accelerator=cpu",
        env={"CUDA_VISIBLE_DEVICES": ""},
    ),
    BadInput(
        "train.py",
        "steps=2 -m seed=0,1",
        "-m comes after the override steps=2: Hydra reads its flags before the overrides, e.g. -m steps=2 seed=0,1",
    ),
    BadInput(
        "train.py",
        "trainer.precision=64",
        "trainer.precision=64 is not supported: use 32-true (the default), bf16-mixed or 16-mixed",
        "trainer.precision=32-true",
    ),
    BadInput(
        "train.py",
        "model.n_critic=1.5",
        "model.n_critic must be a positive integer (discriminator updates per generator update, e.g. 5), got 1.5",
        "model.n_critic=2",
    ),
    BadInput(
        "train.py",
        "model.optimizer_d.betas=[0.5]",
        "model.optimizer_d.betas must be two numbers in [0, 1), got [0.5]: set e.g. "
        "model.optimizer_d.betas=[0.5,0.999]",
        "model.optimizer_d.betas=[0.5,0.999]",
    ),
    BadInput(
        "train.py",
        "metrics.num_samples=0",
        "metrics.num_samples must be a positive integer (e.g. 2500), got 0",
        "metrics.num_samples=100",
    ),
    BadInput(
        "train.py",
        "trainer.devices=2",
        "trainer.devices=2 trains with DDP, which must look for unused parameters here (the critic's and the "
        "generator's backward passes touch different networks): add trainer=ddp, e.g. trainer=ddp trainer.devices=2",
    ),
    BadInput(
        "train.py",
        "logger=false",
        "logger=false: logger is a config group, which takes one of its options (csv, tensorboard, wandb), a list of "
        "them (logger=[csv]) or none (logger=[])",
        "logger=[]",
    ),
    BadInput(
        "train.py",
        "experiment=r3gan_toy regularizers=[r1]",
        "regularizers.r2 is set (gamma) but r2 is not chosen in regularizers=[r1]: add it, regularizers=[r1,r2], or "
        "drop its settings with ~regularizers.r2",
        "experiment=r3gan_toy regularizers=[r1,r2]",
    ),
    BadInput(
        "train.py",
        "model=foo",
        "model=foo is not an option of model: choose one of cyclegan, dcgan, gan, pix2pix, srgan, srresnet, stylegan2, "
        "wgan",
    ),
    BadInput(
        "train.py",
        "ckpt_path=run/gen_step=1.ckpt",
        "cannot read the override 'ckpt_path=run/gen_step=1.ckpt' (mismatched input '=' expecting <EOF>)",
        "hydra.run.dir=\"'{tmp}/gen_step=1'\"",  # the quoted form it shows reaches Hydra
    ),
    BadInput("train.py", "hydra.run.dir=/proc/gansuite", "cannot write /proc/gansuite (/proc: No such file or dir"),
    BadInput(
        "train.py",
        "hydra.run.dir={toy_run}",
        "already holds a run ({toy_run}/.hydra/config.yaml): continue a run with python train.py resume=<its dir",
        "resume={toy_run} steps=6",
    ),
    BadInput("train.py", "-m hydra.sweep.dir={sweep} seed=1,2", "{sweep} already holds a run"),
    BadInput(
        "train.py",
        "resume={toy_run}",
        "the checkpoint is at generator update 4, already at or past steps=4: nothing to train",
        "resume={toy_run} steps=8",
        resumes=True,
    ),
    BadInput(
        "train.py",
        "model=cyclegan data=mnist",
        "CycleGAN translates between two image domains but TorchvisionImages holds a single domain: "
        "choose a two-domain dataset, data=apple2orange or data=cifar_colorize",
        "model=cyclegan data=cifar_pair metrics=none",
        fix_is_readme_offline_command=True,
    ),
    BadInput(
        "train.py",
        "model=pix2pix data=cifar_pair",
        "Pix2Pix learns from aligned (input, target) pairs but CifarPair holds unpaired domains: choose paired data",
        "model=pix2pix data=cifar_colorize metrics=none",
        fix_is_readme_offline_command=True,
    ),
    BadInput(
        "train.py",
        "model=dcgan data=mnist",
        "offline, metrics.extractor=classifier measures with the dataset's own classifier instead",
        "model=dcgan data=mnist metrics.extractor=classifier",
        env={"TORCH_HOME": "{no_weights}"},
        fix_is_readme_offline_command=True,
    ),
    BadInput(
        "train.py",
        "data=cifar10_subset",
        "are damaged or truncated (sha256",
        "data=cifar10_subset metrics=none",
        env={"TORCH_HOME": "{damaged_weights}"},
    ),
    BadInput(
        "train.py",
        "model=cyclegan data=cifar_pair",
        "offline, metrics=none trains without the translation FID",
        "model=cyclegan data=cifar_pair metrics=none",
        env={"TORCH_HOME": "{no_weights}"},
        fix_is_readme_offline_command=True,
    ),
    BadInput(
        "scripts/evaluate.py",
        "ckpt_path={cyclegan_ckpt} metrics=translation_fid",
        "metrics=none trains without the translation FID (evaluate.py cannot score it without the file)",
        env={"TORCH_HOME": "{no_weights}"},
    ),
    BadInput(
        "train.py",
        "model=srgan data=sr_cifar",
        "model.content=vgg needs the VGG19 weights",
        "model=srgan data=sr_cifar model.content=pixel",
        env={"TORCH_HOME": "{no_weights}"},
        fix_is_readme_offline_command=True,
    ),
    BadInput(
        "train.py",
        "model=srgan data=sr_cifar model.content=pixel metrics=sr_lpips",
        "metrics.lpips=alex needs the AlexNet weights",
        "model=srgan data=sr_cifar model.content=pixel",
        env={"TORCH_HOME": "{no_weights}"},
        fix_is_readme_offline_command=True,
    ),
    BadInput(
        "train.py",
        f"{IMAGE_FOLDER} metrics.extractor=classifier",
        "no classifier weights for images",
        f"{IMAGE_FOLDER} metrics=none",
    ),
    BadInput(
        "train.py",
        f"{IMAGE_FOLDER} metrics=none model.conditioning=projection",
        "model.conditioning=projection trains on labels, but this data yields none: set data.labels=folders",
        f"{IMAGE_FOLDER} metrics=none model.conditioning=none",
    ),
    BadInput(
        "train.py",
        f"{IMAGE_FOLDER} metrics=none model.conditioning=projection data.labels=folders",
        "data.labels=folders reads one subfolder per class, but",
    ),
    BadInput("scripts/evaluate.py", "", "ckpt_path is required", "ckpt_path={toy_ckpt} metrics=mode_coverage"),
    BadInput("scripts/evaluate.py", "ckpt_path={toy_ckpt} metrics=none", "metrics=none evaluates nothing"),
    BadInput(
        "scripts/evaluate.py",
        "ckpt_path={toy_ckpt}",
        "generates 2-D points, which these metrics do not score: pass metrics=mode_coverage",
        "ckpt_path={toy_ckpt} metrics=mode_coverage",
    ),
    BadInput(
        "scripts/evaluate.py",
        "ckpt_path={cyclegan_ckpt}",
        "generates translations, which these metrics do not score: pass metrics=translation_fid",
    ),
    BadInput("scripts/evaluate.py", "ckpt_path={tmp}/no.ckpt", "checkpoint {tmp}/no.ckpt does not exist"),
    BadInput(
        "scripts/evaluate.py",
        "ckpt_path={toy_ckpt} metrics=mode_coverage test_path={images}",
        "test_path= applies to super-resolution checkpoints (SRGAN, SRResNet) only",
        "ckpt_path={toy_ckpt} metrics=mode_coverage",
    ),
    BadInput("scripts/sample.py", "", "Missing mandatory value: ckpt_path; usage: scripts/sample.py ckpt_path=<ckpt>"),
    BadInput(
        "scripts/sample.py",
        "ckpt_path={toy_ckpt} device=gpu",
        "device=gpu is not a torch device: use cpu, cuda or cuda:<index>",
        "ckpt_path={toy_ckpt} device=cpu",
    ),
    BadInput(
        "scripts/sample.py",
        "ckpt_path={toy_ckpt} device=cuda",
        "device=cuda but torch sees no CUDA GPU here (torch.cuda.is_available() is False): use device=cpu",
        "ckpt_path={toy_ckpt} device=cpu",
        env={"CUDA_VISIBLE_DEVICES": ""},
    ),
    BadInput(
        "scripts/sample.py",
        "{toy_ckpt}",
        "is not a key=value argument: did you mean ckpt_path=",
        "ckpt_path={toy_ckpt}",
    ),
    BadInput(
        "scripts/sample.py",
        "ckpt_path={toy_ckpt} num_samples=8",
        "num_samples is not an option of scripts/sample.py: did you mean n=?",
        "ckpt_path={toy_ckpt} n=8",
    ),
    BadInput(
        "scripts/sample.py", "ckpt_path={toy_ckpt} n=0", "n must be a positive integer", "ckpt_path={toy_ckpt} n=8"
    ),
    BadInput(
        "scripts/sample.py",
        "ckpt_path={cyclegan_ckpt}",
        "holds a CycleGAN, which translates images instead of sampling noise: use python scripts/translate.py",
        "scripts/translate.py ckpt_path={cyclegan_ckpt} input={images} output={tmp}/translated",
    ),
    BadInput(
        "scripts/sample.py",
        "ckpt_path={toy_ckpt} out={tmp}/taken",
        "{tmp}/taken.png already exists: pass out=<another path>, or overwrite=true",
        "ckpt_path={toy_ckpt} out={tmp}/taken overwrite=true",
    ),
    BadInput(
        "scripts/sample.py",
        "ckpt_path={toy_ckpt} out=/proc/gansuite/grid",
        "cannot write /proc/gansuite (/proc: No such file or directory): set out=<a writable folder>",
    ),
    BadInput(
        "scripts/project.py",
        "ckpt_path={toy_ckpt} target={images}/0.png",
        "generates 2-D points, not images: projection finds the latent of a target image",
    ),
    BadInput("scripts/translate.py", "ckpt_path={cyclegan_ckpt}", "missing input=..., output=...; usage:"),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={cyclegan_ckpt} input={images} output={images} overwrite=true",
        "would write each translation over its input",
        "ckpt_path={cyclegan_ckpt} input={images} output={tmp}/translated",
    ),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={cyclegan_ckpt} input={images}/0.png output={tmp}/translated",
        "0.png is a file, not a folder of images: set input to a folder",
        "ckpt_path={cyclegan_ckpt} input={images} output={tmp}/translated",
    ),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={cyclegan_ckpt} input={images} output=/proc/gansuite",
        "cannot write /proc/gansuite (/proc: No such file or directory): set output=<a writable folder>",
    ),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={toy_ckpt} input={images} output={tmp}/out",
        "holds a GAN, not an image-to-image model like CycleGAN",
    ),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={cyclegan_ckpt} input={images} output={tmp}/taken_folder",
        "0.png already exists (1 of the 4 outputs do): choose an empty output folder, or pass overwrite=true",
        "ckpt_path={cyclegan_ckpt} input={images} output={tmp}/taken_folder overwrite=true",
    ),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={cyclegan_ckpt} input={images} output={tmp}/out direction=up",
        "direction=up is not a direction this CycleGAN model translates: use a2b or b2a",
    ),
    BadInput("scripts/translate.py", "ckpt_path={cyclegan_ckpt} inputs={images}", "unknown argument(s) inputs"),
    BadInput(
        "scripts/translate.py",
        "ckpt_path={cyclegan_ckpt} input={tmp}/nowhere output={tmp}/out",
        "nowhere does not exist: set input to a folder of images",
        "scripts/translate.py ckpt_path={cyclegan_ckpt} input={images} output={tmp}/out",
    ),
    BadInput(
        "scripts/train_classifier.py",
        "data=cifar10_subset",
        "train_classifier needs a labelled dataset: data=mnist or data=fashion_mnist",
    ),
    BadInput("scripts/train_classifier.py", "epoch=1", "did you mean epochs?"),
]


def shown(text: str) -> str:
    """A cell: placeholders as <...>, pipes escaped."""
    return re.sub(r"\{(\w+)\}", r"<\1>", text).replace("|", "\\|")


def markdown() -> str:
    """The table as the README shows it."""
    lines = [
        "| entry point | input | answers `error: ...` (exit status 2) | and the fix it names works |",
        "|---|---|---|---|",
    ]
    for row in TABLE:
        # A placeholder as <name>; a literal value (CUDA_VISIBLE_DEVICES= hides the GPUs) as it is.
        environment = " ".join(
            f"{k}=<{v.strip('{}')}>" if v.startswith("{") else f"{k}={v}" for k, v in row.env.items()
        )
        command = " ".join(filter(None, [environment, row.entry, row.arguments]))
        fix = f"`{shown(row.fix)}`" if row.fix else ""
        lines.append(f"| `{shown(command)}` | {shown(row.answer)} | {fix} |")
    return "\n".join(lines) + "\n"


START, END = "<!-- bad-inputs table: python tests/reliability/bad_inputs.py --write -->\n", "<!-- end of table -->\n"
README = Path(__file__).resolve().parents[2] / "README.md"


def split_readme() -> tuple[str, str, str]:
    """(the README before the table, the table, after it); the markers must be there."""
    before, start, rest = README.read_text().partition(START)
    table, end, after = rest.partition(END)
    assert start and end, f"README.md lacks the table markers {START.strip()} and {END.strip()}"
    return before + start, table, end + after


def readme_table() -> str:
    return split_readme()[1]


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        before, _, after = split_readme()
        README.write_text(before + markdown() + after)
    else:
        print(markdown(), end="")
