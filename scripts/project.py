"""`python scripts/project.py ...` in a checkout; gansuite-project once installed. What it does and takes:
gansuite/commands/project.py."""

from gansuite.commands.project import run

if __name__ == "__main__":
    run()
