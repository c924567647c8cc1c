"""Federation designs: what travels, how it merges, which mixture is sampled."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fedgan.config import RunConfig
from fedgan.data import load_scenario
from fedgan.federation import DESIGNS, Aggregator, Reply, client_round, design_for, make_models
from fedgan.protocol import CRITIC, GENERATOR, OWNED, report_metrics

SCENARIO = load_scenario("ring8-minority")


def test_registry_names_and_flags() -> None:
    assert set(DESIGNS) == {
        "shared-generator",
        "client-conditional",
        "shared-critic",
        "private-critics",
    }
    assert DESIGNS["shared-critic"].critic_travels and not DESIGNS["private-critics"].critic_travels
    assert DESIGNS["client-conditional"].per_source
    assert DESIGNS["client-conditional"].owns_layers and not DESIGNS["shared-generator"].owns_layers
    assert DESIGNS["shared-generator"].server_trains and not DESIGNS["shared-critic"].server_trains
    with pytest.raises(ValueError, match=r"federation must be one of"):
        design_for("gossip")


@pytest.mark.parametrize(("critic_hidden", "width"), [(0, 32), (8, 8)])
def test_run_config_sets_the_critic_width(critic_hidden: int, width: int) -> None:
    cfg = RunConfig(hidden=32, critic_hidden=critic_hidden)
    gen, critic = make_models(cfg, SCENARIO, DESIGNS["shared-generator"], num_partitions=3)
    first = next(m for m in critic.modules() if isinstance(m, torch.nn.Linear))
    assert first.out_features == width
    assert next(m for m in gen.modules() if isinstance(m, torch.nn.Linear)).out_features == 32


@pytest.mark.parametrize("output", ["softmax", "gumbel", "linear"])
def test_categorical_output_shapes_a_tables_generated_records(output: str) -> None:
    table = load_scenario("arrests-colour")
    cfg = RunConfig(scenario="arrests-colour", categorical_output=output)  # type: ignore[arg-type]
    gen, _ = make_models(cfg, table, DESIGNS["shared-generator"], num_partitions=2)
    rows = gen.sample(200, sources=torch.arange(200) % 4, rng=torch.Generator().manual_seed(0))
    sums = torch.stack([rows[:, a:b].sum(1) for a, b in table.encoder.categorical_spans])
    assert torch.allclose(sums, torch.ones_like(sums), atol=1e-5) == (output != "linear")
    extra = sum(b - a for a, b in table.encoder.categorical_spans)
    assert gen.noise_dim == cfg.latent_dim + extra * (output == "gumbel")
    # a mixture has no categorical columns: the option leaves its generator as it was
    ring_cfg = RunConfig(categorical_output=output)  # type: ignore[arg-type]
    ring, _ = make_models(ring_cfg, SCENARIO, DESIGNS["shared-generator"], num_partitions=2)
    assert ring.blocks == ()


@pytest.mark.parametrize("name", ["client-conditional", "shared-critic", "private-critics"])
def test_upload_and_download_prefixes(name: str) -> None:
    design = DESIGNS[name]  # type: ignore[index]
    cfg = RunConfig(federation=name, source_layers=2)  # type: ignore[arg-type]
    gen, critic = make_models(cfg, SCENARIO, design, num_partitions=1)
    up, down = design.upload(gen, critic), design.download(gen, critic)
    assert any(k.startswith(CRITIC) for k in up) == design.critic_travels
    assert any(k.startswith(OWNED) for k in up) == design.per_source
    assert not any(k.startswith(OWNED) for k in down)  # own slices never come down
    assert {k for k in up if not k.startswith(OWNED)} == set(down)
    assert "data_shift" not in str(list(up))  # fixed buffers do not travel


def test_sampling_probs_give_the_asked_group_shares() -> None:
    d = DESIGNS["client-conditional"]
    counts = {0: np.array([30.0, 10.0]), 1: np.array([60.0, 0.0]), 2: np.array([10.0, 0.0])}
    share = np.array([0.5, 0.5])
    p = d.sampling_probs(counts, {0, 1, 2}, share, 3)
    assert p is not None and p.shape == (6,)
    assert p[1::2].sum() == pytest.approx(0.5) and p[0::2].sum() == pytest.approx(0.5)
    # within a group, clients in proportion to their rows
    assert p[0] / p[2] == pytest.approx(30 / 60)
    # a client that never trained is never sampled
    q = d.sampling_probs(counts, {0, 1}, np.array([0.9, 0.1]), 3)
    assert q is not None and q[4] == 0 and q[0::2].sum() == pytest.approx(0.9)


def test_learned_share_of_averaged_designs_follows_the_weights() -> None:
    w = np.array([0.25, 0.75])
    lw = np.array([[0.5, 0.5], [1.0, 0.0]])
    got = DESIGNS["shared-critic"].learned_share(w, lw, np.array([0.95, 0.05]))
    assert got.tolist() == pytest.approx([0.875, 0.125])
    assert DESIGNS["client-conditional"].learned_share(w, lw, np.array([0.9, 0.1])).tolist() == [
        0.9,
        0.1,
    ]


def _aggregator(name: str, k: int = 3) -> tuple[Aggregator, RunConfig]:
    cfg = RunConfig(
        federation=name,
        aggregation="size",
        source_layers=1,
        generator_steps=2,  # type: ignore[arg-type]
        batch_size=16,
        eval_samples=200,
    )
    design = DESIGNS[name]  # type: ignore[index]
    gen, critic = make_models(cfg, SCENARIO, design, num_partitions=k)
    declared = {p: np.array([100.0, 10.0 if p == 0 else 0.0]) for p in range(k)}
    return Aggregator(cfg, design, SCENARIO, gen, critic, declared=declared, num_partitions=k), cfg


def _fake_reply(agg: Aggregator, pid: int, scale: float, counts: list[float]) -> Reply:
    gen, critic = make_models(agg.config, SCENARIO, agg.design, num_partitions=1)
    with torch.no_grad():
        for p in list(gen.parameters()) + list(critic.parameters()):
            p.fill_(scale)
    metrics = report_metrics(
        partition_id=pid, num_partitions=agg.num_partitions, counts=np.array(counts)
    )
    return Reply(partition_id=pid, arrays=agg.design.upload(gen, critic), metrics=metrics)


@pytest.mark.parametrize("name", ["client-conditional", "shared-critic", "private-critics"])
def test_merge_weighted_average_and_owned_rows(name: str) -> None:
    agg, _ = _aggregator(name)
    replies = [_fake_reply(agg, 2, 3.0, [100, 0]), _fake_reply(agg, 0, 1.0, [100, 10])]
    out = agg.aggregate(1, replies)
    assert out.accepted == [0, 2]  # ordered by partition id, not arrival
    w = out.weights
    assert w.tolist() == pytest.approx([110 / 210, 100 / 210])
    shared = agg.design.download(agg.generator, agg.critic)
    expected = w[0] * 1.0 + w[1] * 3.0
    for key, value in shared.items():
        assert np.allclose(value, expected, atol=1e-6), key
    if agg.design.per_source:
        own = dict(agg.generator.named_parameters())["source_embed.weight"]
        assert torch.all(own[0:2] == 1.0) and torch.all(own[4:6] == 3.0)  # owners' rows as sent
        assert not torch.all(own[2:4] == 1.0)  # partition 1 did not train: its rows untouched
    assert agg.trained == {0, 2}


def test_merge_does_not_depend_on_arrival_order() -> None:
    states = []
    for order in ((0, 1, 2), (2, 0, 1)):
        agg, _ = _aggregator("client-conditional")
        replies = {
            p: _fake_reply(agg, p, 0.1 * (p + 1), [100, 10 if p == 0 else 0]) for p in range(3)
        }
        agg.aggregate(1, [replies[p] for p in order])
        states.append({k: v.clone() for k, v in agg.generator.state_dict().items()})
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (
            lambda r: {
                **r.arrays,
                next(iter(r.arrays)): np.full_like(next(iter(r.arrays.values())), np.nan),
            },
            "NaN",
        ),
        (lambda r: {k: v for i, (k, v) in enumerate(r.arrays.items()) if i}, "missing"),
        (lambda r: {**r.arrays, "g/layers.0.weight": np.zeros((2, 2), np.float32)}, "shape"),
    ],
)
def test_bad_arrays_are_rejected_not_merged(mutate: object, reason: str) -> None:
    agg, _ = _aggregator("private-critics")
    before = {k: v.clone() for k, v in agg.generator.state_dict().items()}
    good = _fake_reply(agg, 1, 2.0, [100, 0])
    bad = _fake_reply(agg, 0, 5.0, [100, 10])
    bad = Reply(bad.partition_id, mutate(bad), bad.metrics)  # type: ignore[operator]
    out = agg.aggregate(1, [bad, good])
    assert out.accepted == [1]
    row = next(s for s in out.statuses if s["partition_id"] == 0)
    assert row["status"] == "rejected" and reason in row["reason"]
    assert not torch.equal(before["layers.0.weight"], agg.generator.state_dict()["layers.0.weight"])


def test_lying_counts_and_failures_are_left_out() -> None:
    agg, _ = _aggregator("private-critics")
    agg, _ = _aggregator("private-critics", k=5)
    agg.declared |= {3: np.array([100.0, 0.0]), 4: np.array([100.0, 0.0])}
    liar = _fake_reply(agg, 0, 1.0, [1e9, 10])
    failed = Reply(partition_id=3, arrays={}, metrics={}, error="client crashed")
    nan_counts = _fake_reply(agg, 1, 1.0, [100, 0])
    nan_counts = Reply(1, nan_counts.arrays, {**nan_counts.metrics, "group/0/count": float("nan")})
    impostor = _fake_reply(agg, 2, 1.0, [100, 0])
    impostor = Reply(4, impostor.arrays, impostor.metrics)  # claims partition 2, joined as 4
    out = agg.aggregate(1, [liar, failed, nan_counts, impostor, _fake_reply(agg, 2, 1.0, [100, 0])])
    assert out.accepted == [2]
    status = {s["partition_id"]: (s["status"], s["reason"]) for s in out.statuses}
    assert status[0][0] == "rejected" and "exceed" in status[0][1]
    assert status[3] == ("failed", "client crashed")
    assert status[1][0] == "rejected" and "count" in status[1][1]
    assert status[4][0] == "rejected" and "joined as 4" in status[4][1]
    assert len(agg.client_log) == 5


def test_a_round_with_no_accepted_reply_keeps_the_model() -> None:
    agg, _ = _aggregator("private-critics")
    before = {k: v.clone() for k, v in agg.generator.state_dict().items()}
    out = agg.aggregate(1, [Reply(partition_id=1, arrays={}, metrics={}, error="boom")])
    assert not out.updated
    assert all(torch.equal(before[k], v) for k, v in agg.generator.state_dict().items())


def test_client_round_trains_only_its_own_sources() -> None:
    agg, cfg = _aggregator("client-conditional", k=5)
    res = client_round(
        cfg, partition_id=1, num_partitions=5, server_round=1, download=agg.download(), saved=None
    )
    owned = {k: v for k, v in res.arrays.items() if k.startswith(OWNED)}
    assert owned["o/source_embed.weight"].shape[0] == 2  # one slice per group of this client
    assert any(k.startswith(GENERATOR) for k in res.arrays)
    assert res.metrics["partition-id"] == 1 and res.metrics["status"] == 0
    assert "critic/head.weight" in res.state  # the private critic stays in the client's state
