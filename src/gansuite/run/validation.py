"""Config checks that run before any data is read or network built, so a typo fails in the first second.

Only cheap, config-level checks live here. Checks that need a built object stay where that object is made and
raise the same ConfigError: n_critic < 1 and a Wasserstein loss without a Lipschitz constraint (GAN), conv nets on
2-D points or image sizes the DCGAN nets cannot make (nets/dcgan.py), a batch larger than a dataset whose size is
only known once read (data/batches.py).

Models and data are matched through their `_target_` classes: what the model class consumes (its `capabilities`,
gansuite.modules.capabilities) against what the datamodule class provides (its markers: `data_provides`).
"""

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from gansuite.conf_dir import CONFIG_DIR
from gansuite.errors import ConfigError, is_integer
from gansuite.modules.capabilities import data_provides


def validate(cfg: DictConfig, loading: Callable[[], None] | None = None) -> None:
    """Raises ConfigError naming the first problem in `cfg` and its fix; returns None for a config that can train.
    The values are checked first; then the model, data and loss classes are imported (torch and Lightning: seconds)
    for what only they know. `loading` is called between the two, for an entry point to say what the pause is."""
    _check_missing(cfg)
    check_positive_int(cfg.steps, "steps", "the number of generator updates, e.g. steps=5000")
    check_seed(cfg.get("seed"))
    _check_schedules(cfg)
    _check_optimizers(cfg.model)
    _check_model_numbers(cfg.model)
    _check_batch_size(cfg.data)
    _check_labels(cfg.model, cfg.data)
    _check_checkpoint(cfg.get("ckpt_path"))
    _check_init_from(cfg.get("init_from"), cfg.get("init_networks"))
    _check_chosen_options(cfg)
    _check_net_sizes(cfg.model)
    _check_devices(cfg.trainer)
    _check_precision(cfg.trainer)
    if loading is not None:
        loading()
    _check_domains(_target(cfg.model, "model"), _target(cfg.data, "data"))
    _target(cfg.loss, "loss")
    _check_targets(cfg)
    _check_accelerator(cfg.trainer)


def _check_missing(cfg: DictConfig) -> None:
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        key = missing[0]
        hint = "/path/to/images" if key == "data.path" else "<value>"
        raise ConfigError(f"{key} is required but not set: pass {key}={hint} on the command line")


def check_positive_int(value: Any, key: str, meaning: str) -> None:
    if not is_integer(value) or value < 1:
        raise ConfigError(f"{key} must be a positive integer ({meaning}), got {value!r}")


def check_truncation(psi: Any) -> None:
    """StyleGAN2's truncation psi: a number in [0, 1] (w pulled towards its average; 1 is none)."""
    if isinstance(psi, bool) or not isinstance(psi, int | float) or not 0 <= psi <= 1:
        raise ConfigError(f"truncation must be a number in [0, 1] (1: none, 0.7 the usual choice), got {psi!r}")


def check_seed(seed: Any) -> None:
    if not is_integer(seed) or not 0 <= seed < 2**32:
        raise ConfigError(f"seed must be an integer in [0, 2**32), got {seed!r}: set e.g. seed=0")


def _entries(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(dotted path, key, value) of every entry of a config container, depth first: the walk the checks of keys
    found anywhere in the config (`every_n_*` periods, `_target_`s, layer sizes) share."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        key_path = f"{path}.{key}" if path else str(key)
        yield key_path, str(key), value
        yield from _entries(value, key_path)


def _check_schedules(cfg: DictConfig) -> None:
    """Every `every_n_*` period anywhere in the config (callbacks, metrics) is a positive integer."""
    # Unresolved, so that interpolations to Hydra's runtime (the output dir) are only resolved where needed.
    for key_path, key, value in _entries(OmegaConf.to_container(cfg, resolve=False)):
        if key.startswith("every_n") and value is not None:
            check_positive_int(OmegaConf.select(cfg, key_path), key_path, "a period in generator updates")


def _check_optimizers(model: DictConfig) -> None:
    for name in (key for key in model if str(key).startswith("optimizer")):
        optimizer = model[name]
        if not isinstance(optimizer, DictConfig):
            continue
        lr = optimizer.get("lr")
        if lr is not None and not (isinstance(lr, int | float) and lr > 0):
            raise ConfigError(f"model.{name}.lr must be a positive number, got {lr!r}: set e.g. model.{name}.lr=2e-4")
        betas = optimizer.get("betas")
        if betas is not None and (
            isinstance(betas, str | int | float)
            or len(betas) != 2
            or not all(isinstance(b, int | float) and 0 <= b < 1 for b in betas)
        ):
            shown = list(betas) if isinstance(betas, ListConfig) else betas
            raise ConfigError(
                f"model.{name}.betas must be two numbers in [0, 1), got {shown}: set e.g. "
                f"model.{name}.betas=[0.5,0.999]"
            )


def _check_model_numbers(model: DictConfig) -> None:
    latent_dim = model.get("latent_dim")
    if latent_dim is not None:
        check_positive_int(latent_dim, "model.latent_dim", "the size of the noise vector, e.g. 64")
    n_critic = model.get("n_critic")
    if n_critic is not None:
        check_positive_int(n_critic, "model.n_critic", "discriminator updates per generator update, e.g. 5")
    weight = model.get("feature_matching")
    if weight is not None and weight < 0:
        raise ConfigError(
            f"model.feature_matching is a loss weight and must be >= 0, got {weight}: set model.feature_matching=0 "
            "to disable"
        )
    clip = model.get("weight_clip")
    if clip is not None and clip <= 0:
        raise ConfigError(f"model.weight_clip must be > 0 or null, got {clip}: set e.g. model.weight_clip=0.01")


def _check_batch_size(data: DictConfig) -> None:
    batch_size = data.get("batch_size")
    if batch_size is None:
        return
    check_positive_int(batch_size, "data.batch_size", "samples per step, e.g. 64")
    num_samples = data.get("num_samples")
    if num_samples is not None and batch_size > num_samples:
        raise ConfigError(
            f"data.batch_size={batch_size} is larger than the dataset (data.num_samples={num_samples}): lower "
            "data.batch_size or raise data.num_samples"
        )


def _check_labels(model: DictConfig, data: DictConfig) -> None:
    """A conditional model needs data that yields labels (`data.labels`: true for the torchvision datasets, folders
    for an image folder); the nets check the same once the data is read (an image folder's class subfolders)."""
    conditioning = model.get("conditioning", "none")
    if conditioning in (None, "none"):
        return
    if data.get("labels") in (None, False, "none"):
        if "labels" not in data:
            fix = "use a labelled dataset such as data=mnist"
        elif "path" in data:
            fix = "set data.labels=folders (one subfolder per class)"
        else:
            fix = "set data.labels=true"
        raise ConfigError(
            f"model.conditioning={conditioning} trains on labels, but this data yields none: {fix}, or set "
            "model.conditioning=none"
        )


# The groups whose node holds one instantiated entry per chosen option (regularizers=[r1,r2], callbacks=default).
ENTRY_GROUPS = ("regularizers", "generator_regularizers", "callbacks", "logger")


def _check_chosen_options(cfg: DictConfig) -> None:
    """Every entry of a list group is an option chosen in it. An entry without `_target_` holds settings of an
    option that is not chosen: an experiment tunes r1 and the command line empties the group (`regularizers=[]`), or
    a `+regularizers.r3.gamma=1` names an option that does not exist; instantiating it fails far from the cause."""
    for group in ENTRY_GROUPS:
        entries = cfg.get(group)
        if not isinstance(entries, DictConfig):
            continue
        chosen = [name for name, entry in entries.items() if isinstance(entry, DictConfig) and "_target_" in entry]
        for name, entry in entries.items():
            if name in chosen:
                continue
            settings = ", ".join(map(str, entry)) if isinstance(entry, DictConfig) else repr(entry)
            raise ConfigError(
                f"{group}.{name} is set ({settings}) but {name} is not chosen in {group}=[{','.join(chosen)}]: add "
                f"it, {group}=[{','.join([*chosen, str(name)])}], or drop its settings with ~{group}.{name}"
            )


# The networks' layer sizes (under model.generator and model.discriminator): zero would build a net that trains on
# nothing (an MLP of width 0 outputs its bias alone) or fails deep inside torch.
NET_SIZES = ("width", "num_blocks", "num_layers", "mapping_layers", "channel_base", "channel_max", "w_dim")


def _check_net_sizes(model: DictConfig) -> None:
    for network in ("generator", "discriminator"):
        if not isinstance(model.get(network), DictConfig):
            continue
        for key_path, key, value in _entries(OmegaConf.to_container(model[network], resolve=True), f"model.{network}"):
            if key in NET_SIZES and value is not None:
                check_positive_int(value, key_path, "a size of the network's layers")
            elif key == "depth" and (not is_integer(value) or value < 0):
                raise ConfigError(f"{key_path} must be an integer >= 0 (hidden layers; 0: linear), got {value!r}")


def _check_devices(trainer: DictConfig) -> None:
    """Several devices or nodes train with DDP, which must look for unused parameters here: each batch's two
    backward passes touch different networks. trainer=ddp sets that; Lightning's default DDP fails on the first
    batch with a traceback from every process. (`auto` is left to Lightning: one device on a one-GPU machine.)"""
    devices, nodes = trainer.get("devices", 1), trainer.get("num_nodes", 1)
    if isinstance(devices, ListConfig):
        several, shown = len(devices) > 1, f"[{','.join(map(str, devices))}]"
    else:
        ids = [d.strip() for d in str(devices).split(",") if d.strip()]
        several = len(ids) > 1 or (ids[0] not in ("auto", "0", "1") if ids else False)
        shown = str(devices)
    if (several or nodes != 1) and not isinstance(trainer.get("strategy"), DictConfig):
        on = f"trainer.devices={shown}" + (f" trainer.num_nodes={nodes}" if nodes != 1 else "")
        raise ConfigError(
            f"{on} trains with DDP, which must look for unused parameters here (the critic's and the generator's "
            f"backward passes touch different networks): add trainer=ddp, e.g. trainer=ddp {on}"
        )


# Lightning's precision settings that train here: float32 weights, with bf16 or fp16 autocast for the mixed ones
# (16 and bf16 are Lightning's old names of 16-mixed and bf16-mixed).
PRECISIONS = ("32-true", "32", "bf16-mixed", "bf16", "16-mixed", "16")


def _check_precision(trainer: DictConfig) -> None:
    """True half or double precision (`bf16-true`, `16-true`, `64-true`) casts the weights but not the batches the
    datamodules and callbacks make in float32: the first convolution fails on mismatched types."""
    precision = str(trainer.get("precision", "32-true"))
    if precision not in PRECISIONS:
        raise ConfigError(
            f"trainer.precision={precision} is not supported: use 32-true (the default), bf16-mixed or 16-mixed "
            "(float32 weights with bf16 or fp16 autocast)"
        )


def _check_accelerator(trainer: DictConfig) -> None:
    """A GPU asked for by name where torch sees none: Lightning's own refusal is a multi-line exception."""
    import torch

    accelerator = str(trainer.get("accelerator", "auto"))
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={accelerator} but torch sees no CUDA GPU here (torch.cuda.is_available() is "
            "False): use trainer.accelerator=auto, which takes a GPU when there is one, or trainer.accelerator=cpu"
        )


def _check_targets(cfg: DictConfig) -> None:
    """Every `_target_` in the config names something importable (a typo in `model.optimizer_g._target_` would
    otherwise surface as Hydra's multi-line instantiation error)."""
    for key_path, key, value in _entries(OmegaConf.to_container(cfg, resolve=False)):
        if key == "_target_" and isinstance(value, str):
            _target(OmegaConf.create({"_target_": value}), key_path.removesuffix("._target_"))


def _target(node: DictConfig, group: str) -> Any:
    """The class or function that `group._target_` names, imported; a ConfigError when it cannot be."""
    target = node.get("_target_")
    if target is None:
        raise ConfigError(f"{group} has no _target_: choose a {group} with {group}=<option>")
    module_name, _, name = target.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConfigError(f"{group}._target_={target} cannot be imported ({error}): check its spelling") from error


def _check_domains(model: Any, data: Any) -> None:
    consumes, provides = model.capabilities.consumes, data_provides(data)
    if model.capabilities.accepts(provides):
        return
    needs_sr, has_sr = consumes == "resolution_pairs", provides == "resolution_pairs"
    if needs_sr and not has_sr:
        raise ConfigError(
            f"{model.__name__} learns to upscale from (low, high) resolution pairs but {data.__name__} holds none: "
            "use data=sr_folder (data.path=DIR data.test_path=DIR) or data=sr_cifar"
        )
    if has_sr and not needs_sr:
        raise ConfigError(
            f"{data.__name__} holds (low, high) resolution pairs, which {model.__name__} cannot train on: use "
            "model=srgan or model=srresnet"
        )
    needs_domains, has_domains = consumes in ("domains", "pairs"), provides in ("domains", "pairs")
    if consumes == "pairs" and provides != "pairs":
        raise ConfigError(
            f"{model.__name__} learns from aligned (input, target) pairs but {data.__name__} holds "
            f"{'unpaired domains' if has_domains else 'a single domain'}: choose paired data, "
            f"data={' or data='.join(two_domain_options(paired=True))}"
        )
    if needs_domains and not has_domains:
        raise ConfigError(
            f"{model.__name__} translates between two image domains but {data.__name__} holds a single "
            f"domain: choose a two-domain dataset, data={' or data='.join(two_domain_options())}"
        )
    if has_domains and not needs_domains:
        raise ConfigError(
            f"{data.__name__} holds two image domains, which {model.__name__} cannot train on: use a "
            "two-domain model such as model=cyclegan or model=pix2pix, or a single-domain dataset"
        )


def two_domain_options(paired: bool = False) -> list[str]:
    """The options of conf/data/ whose datamodule holds two domains, or aligned pairs when `paired` (an option may
    take its target from the option its defaults list names, as apple2orange does from horse2zebra)."""

    def target(option: str) -> str | None:
        node = OmegaConf.load(Path(CONFIG_DIR) / "data" / f"{option}.yaml")
        bases = [base for base in node.get("defaults", []) if isinstance(base, str) and base != "_self_"]
        return node.get("_target_") or (target(bases[0]) if bases else None)

    options = [path.stem for path in sorted((Path(CONFIG_DIR) / "data").glob("*.yaml"))]
    marker = "paired" if paired else "domains"
    return [
        o for o in options if target(o) and hasattr(_target(OmegaConf.create({"_target_": target(o)}), "data"), marker)
    ]


def last_checkpoint_of(path: str | Path) -> Path:
    """A run directory's last checkpoint, or `path` itself when it names a file (init_from= takes either)."""
    path = Path(path)
    return path / "checkpoints" / "last.ckpt" if path.is_dir() else path


def _check_init_from(init_from: str | None, networks: Any) -> None:
    if init_from is None:
        return
    if not networks:
        raise ConfigError("init_networks is empty: name the networks to copy, e.g. init_networks=[generator]")
    if not last_checkpoint_of(init_from).is_file():
        raise ConfigError(
            f"init_from={init_from}: no checkpoint there: pass a run directory (its checkpoints/last.ckpt) or a "
            "checkpoint file, or init_from=null to start from fresh weights"
        )


def _check_checkpoint(ckpt_path: str | None) -> None:
    if ckpt_path is not None and not Path(ckpt_path).is_file():
        raise ConfigError(
            f"ckpt_path={ckpt_path} is not a file: pass an existing checkpoint such as "
            "<run dir>/checkpoints/last.ckpt, or drop ckpt_path to start fresh"
        )
