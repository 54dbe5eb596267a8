"""The Lightning callbacks the benchmark scripts add to the runs they time. A module of their own, imported by the
scripts after their argument checks: Lightning takes seconds to import, and `--help` or a bad argument should not
wait for it."""

import statistics
import sys
import time

from lightning import Callback, LightningModule, Trainer

from gansuite.run.benchmark import CountFlops, device_clock

#: What StartupStamp prints before the time of the first generator update (scripts/bench_startup.py reads it).
STAMP = "startup-stamp first generator update at "


class Throughput(Callback):
    """Times the generator updates after `warmup`; with `count_flops`, counts the FLOPs of the warm-up updates and
    keeps their mean (scripts/bench_speed.py)."""

    def __init__(self, warmup: int, count_flops: bool) -> None:
        self.warmup = warmup
        self.flop_counter = CountFlops() if count_flops else None
        self.flops: int | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.flop_counter is not None:
            self.flop_counter.__enter__()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *batch_end: object) -> None:
        step = pl_module.completed_generator_update
        if step == self.warmup:
            if self.flop_counter is not None:
                self.flop_counter.__exit__(None, None, None)
                self.flops = self.flop_counter.flops // self.warmup
            self.started = device_clock(pl_module.device)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.seconds = device_clock(pl_module.device) - self.started


class StartupStamp(Callback):
    """Prints STAMP and the wall-clock time once the first generator update has finished (scripts/bench_startup.py
    adds it to the train.py runs it times)."""

    def __init__(self) -> None:
        self.printed = False

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *batch_end: object) -> None:
        if not self.printed and pl_module.generator_updates >= 1:
            print(f"{STAMP}{time.time()}", file=sys.stderr, flush=True)
            self.printed = True


class BatchTimer(Callback):
    """Wall-clock and CPU seconds (this process, all threads) of each training batch (scripts/benchmark_cyclegan.py)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def on_train_batch_start(self, *args: object) -> None:
        self.start = time.perf_counter(), time.process_time()

    def on_train_batch_end(self, *args: object) -> None:
        self.wall.append(time.perf_counter() - self.start[0])
        self.cpu.append(time.process_time() - self.start[1])

    def medians_after(self, warmup: int) -> tuple[float, float]:
        """The median wall-clock and CPU seconds of the batches after the first `warmup`."""
        return statistics.median(self.wall[warmup:]), statistics.median(self.cpu[warmup:])
