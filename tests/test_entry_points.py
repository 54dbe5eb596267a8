"""Every entry point answers a bad argument before importing torch or Lightning (which take seconds): the modules it
imported are read from `python -X importtime`, and the answer comes within a generous 5 seconds (~0.2 s here)."""

import subprocess
import sys
import time

import pytest
from gansuite_testing import ROOT

BAD_ARGUMENTS = [
    ("train.py", ["seed=abc"]),
    ("scripts/sample.py", ["n=0"]),
    ("scripts/translate.py", ["foo=1"]),
    ("scripts/evaluate.py", ["ckpt_path=x.ckpt", "metrics=none"]),
    ("scripts/export.py", ["ckpt_path=x.ckpt", "format=bad"]),
    ("scripts/report.py", []),
    ("scripts/cas.py", ["num=0"]),
    ("scripts/train_classifier.py", ["data=foo"]),
]
SLOW_MODULES = ("torch", "lightning", "torchvision", "matplotlib")


@pytest.mark.parametrize(("entry", "arguments"), BAD_ARGUMENTS)
def test_a_bad_argument_is_answered_before_the_heavy_imports(entry: str, arguments: list[str]) -> None:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / entry), *arguments], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.monotonic() - start
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 2 and len(errors) == 1, result.stderr[-2000:]
    timings = [line for line in result.stderr.splitlines() if line.startswith("import time")]
    imported = {line.rpartition("|")[2].strip() for line in timings}
    assert not imported & set(SLOW_MODULES), f"{entry} imported {sorted(imported & set(SLOW_MODULES))} first"
    assert seconds < 5, f"{entry} took {seconds:.1f} s to answer {arguments}"
