"""DDP on CPU (gloo, 2 processes) as users launch it, WGAN-GP: the ranks end identical and agree on the metrics."""

import pytest
import torch
from lightning.fabric.utilities.distributed import DistributedSamplerWrapper
from ops_helpers import run, train_command

from gansuite.data.batches import ShuffledBatches


def test_lightning_gives_each_rank_distinct_batches_of_the_same_shuffle():
    shards = [DistributedSamplerWrapper(ShuffledBatches(40, 4, seed=3), num_replicas=2, rank=r) for r in (0, 1)]
    rank0_orders = []
    for epoch in (0, 1):
        for shard in shards:
            shard.set_epoch(epoch)  # what Lightning's fit loop calls every epoch
        rows = [torch.cat(list(shard)) for shard in shards]
        assert len(rows[0]) == len(rows[1]) == 20
        assert sorted(torch.cat(rows).tolist()) == list(range(40))  # disjoint, and together the whole epoch
        rank0_orders.append(rows[0])
    assert not torch.equal(*rank0_orders)  # a new shuffle every epoch


@pytest.mark.slow
def test_ddp_wgan_gp_ranks_end_identical(tmp_path, env):
    run_dir, states = tmp_path / "run", tmp_path / "ranks"
    command = train_command(
        "trainer=ddp",
        "trainer.accelerator=cpu",
        "trainer.devices=2",
        "model=wgan",
        "model.ema_decay=0.9",
        "steps=4",
        "metrics.every_n_updates=2",
        "callbacks.sample_grid.every_n_updates=100",
        "logger=csv",
        f"hydra.run.dir={run_dir}",
        "+callbacks.rank_state._target_=rank_state.RankState",
        f"+callbacks.rank_state.dirpath={states}",
    )
    run(command, env)
    rank0, rank1 = (torch.load(states / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    assert rank0["world_size"] == 2 and rank0["global_step"] == rank1["global_step"] == 4 * 6
    assert rank0["parameters"].keys() == rank1["parameters"].keys()
    for name, value in rank0["parameters"].items():
        assert torch.equal(value, rank1["parameters"][name]), name  # gradients were averaged, EMA updated alike
    assert rank0["final"] == rank1["final"] and set(rank0["final"]) == {"val/modes", "val/high_quality", "val/kl"}
    assert not torch.equal(rank0["first_batch"], rank1["first_batch"])  # each rank reads its own shard
    assert not torch.equal(rank0["first_noise"], rank1["first_noise"])  # and draws its own noise
