"""The shared-generator design: one generator, private critics, weights that matter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fedgan.config import RunConfig
from fedgan.data import load_scenario
from fedgan.federation import (
    DESIGNS,
    Aggregator,
    Reply,
    client_round,
    make_models,
    run_in_process,
)
from fedgan.protocol import CRITIC, GENERATOR, report_metrics

SCENARIO = load_scenario("ring8-minority")
DESIGN = DESIGNS["shared-generator"]


def _cfg(**kw: object) -> RunConfig:
    base: dict[str, object] = dict(
        federation="shared-generator", generator_steps=2, batch_size=16, eval_samples=200
    )
    return RunConfig(**(base | kw))  # type: ignore[arg-type]


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("conditioning", ["concat", "film"])
def test_size_grows_only_by_one_embedding_row_per_source(conditioning: str) -> None:
    cfg = _cfg(source_conditioning=conditioning)
    sizes = {
        k: _count(make_models(cfg, SCENARIO, DESIGN, num_partitions=k)[0]) for k in (5, 10, 100)
    }
    per_source = cfg.latent_dim
    assert per_source <= 64
    assert sizes[10] - sizes[5] == 5 * SCENARIO.num_groups * per_source
    assert sizes[100] - sizes[5] == 95 * SCENARIO.num_groups * per_source
    # every other parameter is shared: the body is the same object at any K
    body = sizes[5] - 5 * SCENARIO.num_groups * per_source
    assert body == sizes[100] - 100 * SCENARIO.num_groups * per_source


def test_what_travels() -> None:
    cfg = _cfg()
    gen, critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=4)
    down, up = DESIGN.download(gen, critic), DESIGN.upload(gen, critic)
    assert set(down) == {GENERATOR + k for k, _ in gen.named_parameters()}
    assert down[GENERATOR + "source_embed.weight"].shape[0] == 4 * SCENARIO.num_groups
    assert up and all(k.startswith(CRITIC) for k in up)  # only the critic goes up


def test_a_client_loads_its_own_rows_and_leaves_the_generator_alone() -> None:
    cfg = _cfg()
    gen, critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=3)
    with torch.no_grad():
        gen.source_embed.weight.copy_(torch.arange(6.0)[:, None].expand(6, cfg.latent_dim))  # type: ignore[union-attr]
    download = DESIGN.download(gen, critic)
    local, local_critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=1)
    DESIGN.load_download(download, local, local_critic, partition_id=2, num_groups=2)
    assert local.source_embed.weight[:, 0].tolist() == [4.0, 5.0]  # type: ignore[union-attr]
    res = client_round(
        cfg, partition_id=1, num_partitions=3, server_round=1, download=download, saved=None
    )
    assert all(k.startswith(CRITIC) for k in res.arrays)
    assert not any(k.startswith("generator/") for k in res.state)  # nothing of G kept
    assert res.metrics["generator-steps"] == 0  # the client took no generator step
    assert res.metrics["critic-steps"] == cfg.critic_steps_per_round()
    start = DESIGN.download(*make_models(cfg, SCENARIO, DESIGN, num_partitions=3))
    assert not np.array_equal(
        res.arrays[CRITIC + "head.weight"], start[GENERATOR + "layers.0.weight"][:1]
    )


def _aggregator(aggregation: str, **kw: object) -> Aggregator:
    cfg = _cfg(aggregation=aggregation, **kw)
    gen, critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=3)
    declared = {0: np.array([100.0, 10.0]), 1: np.array([300.0, 0.0]), 2: np.array([200.0, 0.0])}
    return Aggregator(cfg, DESIGN, SCENARIO, gen, critic, declared=declared, num_partitions=3)


def _replies(
    agg: Aggregator, loud: float = 1.0, lw: tuple[float, float] = (0.3, 0.7)
) -> list[Reply]:
    out = []
    for pid in range(3):
        counts = agg.declared[pid]
        metrics = report_metrics(partition_id=pid, num_partitions=3, counts=counts)
        for g, value in enumerate(lw):
            metrics[f"group/{g}/loss-weight"] = value * loud
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(pid + 10)
            critic = make_models(agg.config, SCENARIO, DESIGN, num_partitions=1)[1]
        out.append(
            Reply(partition_id=pid, arrays=DESIGN.upload(agg.generator, critic), metrics=metrics)
        )
    return out


def _after_round(
    aggregation: str, loud: float = 1.0, lw: tuple[float, float] = (0.3, 0.7), **kw: object
) -> dict[str, torch.Tensor]:
    agg = _aggregator(aggregation, **kw)
    out = agg.aggregate(1, _replies(agg, loud, lw))
    assert out.accepted == [0, 1, 2]
    return {k: v.clone() for k, v in agg.generator.state_dict().items()}


def test_the_server_steps_the_generator_and_the_weights_decide_how() -> None:
    start = _aggregator("size").generator.state_dict()
    size, balanced = _after_round("size"), _after_round("group-balanced")
    assert not torch.equal(size["layers.0.weight"], start["layers.0.weight"])
    assert not torch.equal(size["layers.0.weight"], balanced["layers.0.weight"])
    assert torch.equal(
        size["layers.0.weight"], _after_round("size")["layers.0.weight"]
    )  # same bits


def test_the_minoritys_pull_is_measured_on_evaluated_rounds_and_follows_the_weights() -> None:
    pulls = {}
    for aggregation in ("size", "group-balanced"):
        agg = _aggregator(aggregation, eval_every=2, num_server_rounds=10)
        agg.aggregate(1, _replies(agg))
        assert agg.pull is None  # round 1 is not evaluated: nothing measured, nothing spent
        agg.aggregate(2, _replies(agg))
        assert agg.pull is not None and agg.pull.sum() == pytest.approx(1.0)
        pulls[aggregation] = agg.pull[1]
    # client 0 holds the only minority rows: balanced weights give it more of the pull
    assert pulls["group-balanced"] > pulls["size"] > 0


def test_a_client_cannot_raise_its_pull_by_declaring_loss_weights() -> None:
    a, b = _after_round("size"), _after_round("size", loud=1000.0)
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    # the declared weights are used (within the client's own groups)
    c = _after_round("size", lw=(0.9, 0.1))
    assert not torch.allclose(a["layers.0.weight"], c["layers.0.weight"], atol=1e-6)


@pytest.mark.parametrize("rule", ["median", "trimmed-mean"])
def test_robust_rules_run_on_the_server_step(rule: str) -> None:
    a = _after_round("size", aggregation_rule=rule)
    assert not torch.equal(a["layers.0.weight"], _after_round("size")["layers.0.weight"])


def _moved(rule: str, *, attack: float) -> float:
    """How far one round moves the generator from where the clean round takes it."""

    def run(scale: float) -> dict[str, torch.Tensor]:
        agg = _aggregator("size", aggregation_rule=rule, update_norm_limit=0.0)
        replies = _replies(agg)
        head = CRITIC + "head.weight"
        replies[2].arrays[head] = replies[2].arrays[head] * scale  # a loud critic
        assert agg.aggregate(1, replies).accepted == [0, 1, 2]
        return agg.generator.state_dict()

    clean, attacked = run(1.0), run(attack)
    return sum(float((clean[k] - attacked[k]).abs().sum()) for k in clean)


def test_the_median_resists_a_loud_critic_that_the_mean_follows() -> None:
    mean, median = _moved("mean", attack=1e3), _moved("median", attack=1e3)
    assert mean > 0
    assert median < 0.5 * mean


def test_checkpoint_carries_the_server_optimiser() -> None:
    agg = _aggregator("size")
    agg.aggregate(1, _replies(agg))
    state = agg.state()
    assert state["generator_optimizer"]["steps"] == 2
    other = _aggregator("size")
    other.restore(state)
    agg.aggregate(2, _replies(agg))
    other.aggregate(2, _replies(other))
    assert all(
        torch.equal(v, other.generator.state_dict()[k])
        for k, v in agg.generator.state_dict().items()
    )


def test_dp_critic_trains_and_accounts_with_this_design() -> None:
    cfg = _cfg(dp="critic", noise_multiplier=1.0, max_grad_norm=1.0)
    gen, critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=2)
    res = client_round(
        cfg,
        partition_id=0,
        num_partitions=2,
        server_round=1,
        download=DESIGN.download(gen, critic),
        saved=None,
    )
    assert res.metrics["privacy/epsilon"] > 0
    assert all(k.startswith(CRITIC) for k in res.arrays)


def test_config_refuses_what_the_design_cannot_do() -> None:
    with pytest.raises(ValueError, match="dp"):
        _cfg(dp="generator-gradient")


def test_a_critic_behind_the_generator_catches_up_within_the_cap() -> None:
    cfg = _cfg(critic_catch_up=3)  # 2 generator steps x 1 critic step per round
    gen, critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=2)
    download = DESIGN.download(gen, critic)

    def steps_after(server_round: int, saved: dict | None) -> tuple[int, dict]:
        res = client_round(
            cfg,
            partition_id=0,
            num_partitions=2,
            server_round=server_round,
            download=download,
            saved=saved,
        )
        return int(res.metrics["critic-steps"]), res.state

    first, state = steps_after(1, None)
    assert first == 2 + 3  # a fresh critic is behind by the whole cap
    second, state = steps_after(2, state)
    assert second - first == 2  # trained last round: nothing to catch up
    third, state = steps_after(3, state)
    fourth, _ = steps_after(5, state)  # missed round 4: 2 generator steps behind
    assert (third - second, fourth - third) == (2, 2 + 2)
    late, _ = steps_after(9, state)  # missed 5 rounds: 10 steps behind, capped at 3
    assert late - third == 2 + 3
    assert RunConfig().critic_steps_this_round(7, 2) == RunConfig().critic_steps_per_round()


def test_catch_up_steps_are_private_steps_counted_by_the_accountant() -> None:
    from opacus.accountants import RDPAccountant

    cfg = _cfg(critic_catch_up=3, dp="critic", noise_multiplier=1.2, batch_size=32)
    gen, critic = make_models(cfg, SCENARIO, DESIGN, num_partitions=2)
    res = client_round(
        cfg,
        partition_id=0,
        num_partitions=2,
        server_round=1,
        download=DESIGN.download(gen, critic),
        saved=None,
    )
    steps = int(res.metrics["critic-steps"])
    assert steps == cfg.critic_steps_per_round() + 3
    assert cfg.privacy.planned_steps == (cfg.critic_steps_per_round() + 3) * cfg.num_server_rounds
    n = int(sum(res.metrics[f"group/{g}/count"] for g in range(SCENARIO.num_groups)))
    accountant = RDPAccountant()
    accountant.history = [(1.2, 32 / n, steps)]
    assert res.metrics["privacy/epsilon"] == pytest.approx(
        accountant.get_epsilon(cfg.delta), rel=1e-6
    )


def test_measuring_the_pull_leaves_the_run_the_same_bits(tmp_path: Path) -> None:
    # Evaluated every round (the pull measured each time) or only at the end: same generator.
    def final(eval_every: int) -> dict[str, torch.Tensor]:
        out = str(tmp_path / f"every{eval_every}")
        cfg = _cfg(num_server_rounds=4, eval_every=eval_every, hidden=16, output_dir=out)
        run = run_in_process(cfg, num_partitions=3)
        assert run.aggregator.pull is not None  # the last round is always evaluated
        return run.aggregator.generator.state_dict()

    every, once = final(1), final(4)
    assert all(torch.equal(every[k], once[k]) for k in every)
