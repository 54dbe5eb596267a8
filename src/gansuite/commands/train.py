"""Train a GAN: `gansuite-train [group=option ...] [key=value ...]`, or `python train.py ...` in a checkout.

The command line is expanded (`resume=<run dir>`, see gansuite.resume) and checked (see gansuite.entry) before
Lightning is imported, which takes seconds: a bad command line is answered at once.
"""

import sys

from gansuite.entry import check_command_line, quoted_for_hydra, report_user_errors
from gansuite.resume import expand_resume
from gansuite.validation import validate


def run() -> None:
    sys.argv = report_user_errors(expand_resume, quoted_for_hydra(sys.argv))
    report_user_errors(check_command_line, sys.argv, "config", validate)
    from gansuite.train import main

    main()
