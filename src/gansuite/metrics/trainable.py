"""The labelled datasets scripts/train_classifier.py trains the offline classifier on: a module of its own, so the
script checks its command line without importing torch (gansuite.metrics.classifier)."""

TRAINABLE = ("mnist", "fashion_mnist")
