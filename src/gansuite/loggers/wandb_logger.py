"""W&B logging that never prompts and never waits on a network that is not there.

Online when W&B credentials exist and the server answers within a few seconds; otherwise offline, in the run
directory, with a one-line `wandb sync` hint. An explicit WANDB_MODE is always obeyed. The W&B run id is kept in
the run directory, so a resumed run continues the same W&B run.
"""

import netrc
import os
import secrets
import socket
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_only

from gansuite.errors import ConfigError

RUN_ID_FILE = "wandb_run_id"
CONNECT_TIMEOUT_S = 3.0
TAGGED_GROUPS = ("model", "loss", "data")


def wandb_server() -> tuple[str, int]:
    url = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai"))
    return url.hostname or "api.wandb.ai", url.port or (443 if url.scheme == "https" else 80)


def has_credentials(host: str) -> bool:
    """An API key in the environment or in ~/.netrc (where `wandb login` puts it)."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    try:
        return netrc.netrc(os.environ.get("NETRC")).authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def is_reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError:
        return False
    return True


def offline_reason() -> str | None:
    """Why this run must log offline, or None to let W&B follow WANDB_MODE and its own settings."""
    host, port = wandb_server()
    mode = os.environ.get("WANDB_MODE")
    if mode == "online" and not has_credentials(host):
        raise ConfigError(
            "WANDB_MODE=online but no W&B API key: run `wandb login`, set WANDB_API_KEY, or unset WANDB_MODE"
        )
    if mode:
        return None
    if not has_credentials(host):
        return "no W&B API key (run `wandb login` or set WANDB_API_KEY to log online)"
    if not is_reachable(host, port):
        return f"{host}:{port} did not answer within {CONNECT_TIMEOUT_S:.0f} s"
    return None


def run_id(save_dir: Path) -> str:
    """The W&B run id of this run directory: read back on resume, created (by rank 0) on the first start."""
    path = save_dir / RUN_ID_FILE
    if path.is_file():
        return path.read_text().strip()
    new_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    if rank_zero_only.rank == 0:
        save_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(new_id + "\n")
    return new_id


def hydra_group_and_tags(group: str, tags: Sequence[str]) -> tuple[str, list[str]]:
    """A sweep's jobs share the group `<group>-<sweep dir name>`; tags name the model, loss and data chosen."""
    tags = list(tags)
    if not HydraConfig.initialized():
        return group, tags
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN:
        group = f"{group}-{Path(hydra_cfg.sweep.dir).name}"
    choices = hydra_cfg.runtime.choices
    tags += [f"{name}={choices[name]}" for name in TAGGED_GROUPS if choices.get(name)]
    return group, tags


@rank_zero_only
def print_offline_hint(reason: str, save_dir: Path) -> None:
    print(f"W&B offline ({reason}); upload later with: wandb sync {save_dir / 'wandb'}/offline-run-*", flush=True)


class RunDirWandbLogger(WandbLogger):
    """WandbLogger bound to one run directory: offline there when needed, same run id on resume, and the W&B run
    finished at the end of fit, so the next job of a sweep in the same process starts its own run."""

    def __init__(
        self, save_dir: str, project: str = "gansuite", group: str = "train", tags: Sequence[str] = (), **kwargs
    ) -> None:
        directory = Path(save_dir)
        reason = offline_reason()
        if reason is not None:
            kwargs["mode"] = "offline"
            print_offline_hint(reason, directory)
        group, tags = hydra_group_and_tags(group, tags)
        super().__init__(save_dir=save_dir, project=project, id=run_id(directory), group=group, tags=tags, **kwargs)

    def finalize(self, status: str) -> None:
        # Imported here, where a run has imported it already (Lightning's WandbLogger does so as its experiment
        # starts): at the top it cost whatever imports this module ~0.7 s, the test suite's collection included.
        import wandb

        super().finalize(status)
        if wandb.run is not None:  # the run this logger started (WandbLogger reuses wandb's current run)
            wandb.run.finish(exit_code=0 if status == "success" else 1)
