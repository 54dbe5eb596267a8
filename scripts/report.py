"""`python scripts/report.py ...` in a checkout; gansuite-report once installed. What it does and takes:
gansuite/commands/report.py."""

from gansuite.commands.report import run

if __name__ == "__main__":
    run()
