"""What a run leaves and what reads it back, without the command line: checkpoints (read in today's names, written
whole), the generators they hold (`gansuite.load`), export, the run and sweep reports and their plots.
The names below are torch-free, for the command lines' checks.
"""

EXPORT_FORMATS = {"onnx": ".onnx", "torchscript": ".pt", "exported_program": ".pt2"}  # each format's file suffix
