"""Rebuild a run's report: `gansuite-report DIR` (`python scripts/report.py DIR` in a checkout).

DIR is a run directory (report.html with its curves, metrics, sample grids and config) or a sweep directory (the
jobs' summary table and one curve per job); see gansuite.artifacts.report. Writes DIR/report.html and prints its path.
"""

import sys
from pathlib import Path

from gansuite.artifacts.report import write_report
from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError


def main(argv: list[str]) -> Path:
    answer_script_help(argv, __doc__)
    if len(argv) != 1:
        raise ConfigError("usage: gansuite-report DIR (a run directory, logs/train/runs/<run>, or a sweep directory)")
    report = write_report(argv[0])
    print(f"wrote {report}")
    return report


def run() -> None:
    """gansuite-report, python scripts/report.py."""
    report_user_errors(main, sys.argv[1:])
