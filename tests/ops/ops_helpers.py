"""Helpers for the experiment-operations tests: train.py as users run it, with tiny networks and data."""

import os
import subprocess
import sys
from pathlib import Path

from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, QUIET, ROOT, TINY_MLP, TINY_TOY


def train_command(*arguments: str, script: str = "train.py") -> list[str]:
    """`python <script> [flags] [tiny sizes] [overrides]`: small MLPs, a small toy set and cheap evaluations for
    train.py, so every run takes seconds on a 2-core CPU. Hydra's parser wants its flags (-m) before the overrides."""
    flags = [argument for argument in arguments if argument.startswith("-")]
    overrides = [argument for argument in arguments if not argument.startswith("-")]
    tiny = [*TINY_MLP, *TINY_TOY, *QUIET] if script == "train.py" else []
    return [sys.executable, str(ROOT / script), *flags, *tiny, *overrides]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This interpreter's environment with gansuite's src first and no W&B credentials, mode or service: a W&B run
    made in this process (in-process tests) sets WANDB_SERVICE, and a child that inherits it registers its runs
    there, so a killed child's run id stays "in use" for its resumed successor."""
    env = {k: v for k, v in os.environ.items() if k not in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_SERVICE")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    env["NETRC"] = str(tmp_path / "no-netrc")  # no ~/.netrc credentials either: W&B must go offline by itself
    return {**env, **extra}


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """The finished command, which must succeed, forked from the session's servers that have imported torch and
    Lightning (tests/forked_cli.py). Its deadline only guards against a hang."""
    result = run_python(command, ROOT, env, HANG_GUARD_S)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result


def wandb_records(path: Path) -> list:
    """The protobuf records of an offline W&B run file (a LevelDB-style log: 32 KiB blocks of chunks with 7-byte
    headers). wandb 0.31 reads these only in its Go core, so the test reads them itself."""
    from wandb.proto.wandb_internal_pb2 import Record

    data, block = path.read_bytes(), 32768
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    records, chunks, offset = [], [], 7
    while offset + 7 <= len(data):
        if block - offset % block < 7:  # a block's tail too short for a header is padding
            offset += block - offset % block
            continue
        length, kind = int.from_bytes(data[offset + 4 : offset + 6], "little"), data[offset + 6]
        if kind == 0:
            break
        chunks.append(data[offset + 7 : offset + 7 + length])
        offset += 7 + length
        if kind in (1, 4):  # a FULL record, or the LAST chunk of one
            record = Record()
            record.ParseFromString(b"".join(chunks))
            records.append(record)
            chunks = []
    return records
