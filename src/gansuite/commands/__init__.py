"""The command-line programs, one per module, each with a `run()` that the console scripts of pyproject.toml
(gansuite-train, gansuite-sample, ...) and the checkout's train.py and scripts/*.py call."""
