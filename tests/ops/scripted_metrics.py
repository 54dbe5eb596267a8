"""A metrics= option whose values are known in advance, for checking what sweeps report as best."""

from collections.abc import Callable

from lightning import LightningModule

from gansuite.callbacks.evaluation import Evaluation


def distance_to(best_at: int) -> Callable[[LightningModule, object], dict[str, float]]:
    """An evaluator scoring |generator updates - best_at| + 1: lowest (1.0) at update `best_at`."""

    def score(pl_module: LightningModule, datamodule: object) -> dict[str, float]:
        return {"distance": abs(pl_module.generator_updates - best_at) + 1.0}

    return score


def scripted_evaluation(best_at: int, every_n_updates: int, monitor: str, output_path: str) -> Evaluation:
    return Evaluation(distance_to(best_at), every_n_updates, monitor, output_path)
