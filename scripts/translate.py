"""`python scripts/translate.py ...` in a checkout; gansuite-translate once installed. What it does and takes:
gansuite/commands/translate.py."""

from gansuite.commands.translate import run

if __name__ == "__main__":
    run()
