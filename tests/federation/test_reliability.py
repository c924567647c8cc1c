"""Faults: failing clients, scaled updates, robust averages, runs that train nothing, resume."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import torch

from fedgan.config import RunConfig
from fedgan.federation import checkpoint_dir, run_in_process
from fedgan.federation._robust import combine, outlying_updates
from tests.federation.test_designs import _aggregator, _fake_reply

TINY = {
    "num-server-rounds": 4,
    "generator-steps": 3,
    "batch-size": 32,
    "eval-samples": 300,
    "hidden": 16,
}


def test_failing_clients_are_left_out_and_the_run_completes() -> None:
    run = run_in_process(RunConfig.from_mapping(TINY | {"fail-rate": 0.3}), num_partitions=5)
    clients = run.tables()["clients"]
    failed = clients[clients["status"] == "failed"]
    assert 0 < len(failed) < len(clients)
    assert failed["reason"].str.contains("fail-rate").all()
    weights = run.tables()["weights"]
    for rnd, part in weights.groupby("round"):
        down = set(failed[failed["round"] == rnd]["partition_id"])
        assert down.isdisjoint(part["partition_id"]) and part["weight"].sum() == pytest.approx(1.0)


def test_a_run_that_never_merged_an_update_says_why() -> None:
    run = run_in_process(
        RunConfig.from_mapping(TINY | {"fail-rate": 0.999, "num-server-rounds": 2}),
        num_partitions=3,
    )
    with pytest.raises(RuntimeError, match=r"no client update was merged.*fail-rate"):
        run.files(mode="federated")


def test_scaled_update_is_refused_by_the_norm_limit() -> None:
    agg, _ = _aggregator("private-critics")
    normal = [_fake_reply(agg, p, 0.01 * (p + 1), [100, 10 if p == 0 else 0]) for p in range(3)]
    scaled = _fake_reply(agg, 1, 1e4, [100, 0])
    out = agg.aggregate(1, [normal[0], scaled, normal[2]])
    row = next(s for s in out.statuses if s["partition_id"] == 1)
    assert row["status"] == "rejected" and "over 10×" in row["reason"]
    assert out.accepted == [0, 2]


@pytest.mark.parametrize(
    ("norms", "limit", "bad"),
    [([1, 1.2, 0.9, 50], 10, [3]), ([1, 50], 10, [1]), ([1, 50], 0, []), ([3.0], 10, [])],
)
def test_outliers_against_the_others(norms: list[float], limit: float, bad: list[int]) -> None:
    assert outlying_updates(norms, limit) == bad


def test_last_accepted_round_outvotes_a_mostly_corrupted_round() -> None:
    past = [1.0, 1.1, 0.9, 1.0, 1.2]
    assert outlying_updates([1e4, 2e4, 1e4, 1.0], 10, history=past) == [0, 1, 2]
    assert outlying_updates([1e4, 2e4, 1e4, 1.0], 10) == []  # without memory they outvote
    assert outlying_updates([1e4], 10, history=past) == [0]  # a lone reply is still checked
    assert outlying_updates([5.0], 10, history=past) == []


def test_aggregator_remembers_the_last_accepted_round() -> None:
    agg, _ = _aggregator("private-critics")
    first = [_fake_reply(agg, p, 0.01 * (p + 1), [100, 10 if p == 0 else 0]) for p in range(3)]
    assert agg.aggregate(1, first).accepted == [0, 1, 2]
    scaled = [_fake_reply(agg, p, 1e4, [100, 0]) for p in (1, 2)]
    out = agg.aggregate(2, [_fake_reply(agg, 0, 0.01, [100, 10]), *scaled])
    assert out.accepted == [0]
    status = {s["partition_id"]: s["status"] for s in out.statuses}
    assert status == {0: "ok", 1: "rejected", 2: "rejected"}
    saved = agg.state()
    again, _ = _aggregator("private-critics")
    again.restore(saved)
    assert np.array_equal(again.accepted_norms, agg.accepted_norms)


def test_scaled_replies_do_not_vouch_for_each_other_after_a_thin_round() -> None:
    # measured on the default design: a round that kept one reply, then a round where most
    # replies were scaled, let them in (with one round of memory the scaled replies made half
    # of the pool); the next round's scaled ones then passed too
    agg, _ = _aggregator("private-critics", k=4)
    for rnd in range(1, 4):  # three sound rounds
        ok = [_fake_reply(agg, p, 0.01 * (p + 1), [100, 10 if p == 0 else 0]) for p in range(4)]
        assert agg.aggregate(rnd, ok).accepted == [0, 1, 2, 3]
    thin = agg.aggregate(4, [_fake_reply(agg, 0, 0.01, [100, 10])])  # only one reply came
    assert thin.accepted == [0]
    scaled = [_fake_reply(agg, p, 1e4, [100, 0]) for p in (1, 2, 3)]
    out = agg.aggregate(5, [_fake_reply(agg, 0, 0.01, [100, 10]), *scaled])
    assert out.accepted == [0]  # the remembered rounds outvote the three scaled replies
    assert len(agg.accepted_history) == 5 and len(agg.accepted_norms) == 4 * 3 + 1 + 1
    # what one round of memory would have said: the scaled replies outvote it
    last = agg.accepted_history[-2][:, 0].tolist()  # round 4's one reply
    honest = float(agg.update_norms(_fake_reply(agg, 0, 0.01, [100, 10]))[0])
    big = float(agg.update_norms(scaled[0])[0])
    assert outlying_updates([honest, big, big, big], 10, history=last) == []


def test_a_checkpoint_written_before_the_samples_became_a_tensor_still_resumes(
    tmp_path: pytest.TempPathFactory,
) -> None:
    # Until 2026-12-06 the evaluator's last samples were JSON text inside server.pt.
    full = run_in_process(
        RunConfig.from_mapping(TINY | {"output-dir": str(tmp_path / "full")}), num_partitions=3
    )

    class Crash(Exception):
        pass

    def crash_after_two(run: object, line: object) -> None:
        if line.server_round == 2:
            raise Crash

    cfg = RunConfig.from_mapping(TINY | {"output-dir": str(tmp_path / "cut")})
    with pytest.raises(Crash):
        run_in_process(cfg, num_partitions=3, on_round=crash_after_two)
    path = checkpoint_dir(cfg) / "server.pt"
    state = torch.load(path, weights_only=True)
    last = state["evaluator"]["last_samples"]
    assert isinstance(last, torch.Tensor)
    state["evaluator"] = json.dumps({"last_samples": last.tolist()})  # the old layout
    torch.save(state, path)
    resumed = run_in_process(
        RunConfig.from_mapping(TINY | {"output-dir": str(tmp_path / "cut"), "resume": True}),
        num_partitions=3,
    )
    assert resumed.resumed_from == 2
    pd.testing.assert_frame_equal(full.tables()["metrics"], resumed.tables()["metrics"])
    assert np.array_equal(full.evaluator.last_samples, resumed.evaluator.last_samples)


def test_robust_averages() -> None:
    vals = [
        torch.tensor([1.0, 10.0]),
        torch.tensor([2.0, 20.0]),
        torch.tensor([100.0, 30.0]),
        torch.tensor([3.0, 40.0]),
        torch.tensor([4.0, 50.0]),
    ]
    w = np.full(5, 0.2)
    assert combine(vals, w, "median").tolist() == [3.0, 30.0]
    assert combine(vals, w, "trimmed-mean").tolist() == pytest.approx([3.0, 30.0])  # 1 cut each end
    assert combine(vals, w, "mean").tolist() == pytest.approx([22.0, 30.0])


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"generator-ema": 0.8, "ema-start": 0.25, "critic-catch-up": 4, "fraction-train": 0.67},
        {"aggregation": "group-dro", "dro-step": 0.5},
    ],
    ids=["default", "average-and-catch-up", "group-dro"],
)
def test_killed_run_resumes_to_the_same_result(
    tmp_path: pytest.TempPathFactory, extra: dict[str, object]
) -> None:
    full = run_in_process(
        RunConfig.from_mapping(TINY | extra | {"output-dir": str(tmp_path / "full")}),
        num_partitions=3,
    )

    class Crash(Exception):
        pass

    def crash_after_two(run: object, line: object) -> None:
        if line.server_round == 2:
            raise Crash

    cfg = RunConfig.from_mapping(TINY | extra | {"output-dir": str(tmp_path / "cut")})
    with pytest.raises(Crash):
        run_in_process(cfg, num_partitions=3, on_round=crash_after_two)
    assert (checkpoint_dir(cfg) / "server.pt").is_file()
    resumed = run_in_process(
        RunConfig.from_mapping(
            TINY | extra | {"output-dir": str(tmp_path / "cut"), "resume": True}
        ),
        num_partitions=3,
    )
    assert resumed.resumed_from == 2
    pd.testing.assert_frame_equal(full.tables()["metrics"], resumed.tables()["metrics"])
    pd.testing.assert_frame_equal(full.tables()["weights"], resumed.tables()["weights"])
    for k, v in full.generator_state().items():
        assert torch.equal(v, resumed.generator_state()[k]), k


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path: pytest.TempPathFactory) -> None:
    cfg = RunConfig.from_mapping(TINY | {"output-dir": str(tmp_path / "o"), "num-server-rounds": 1})
    run_in_process(cfg, num_partitions=2)
    other = RunConfig.from_mapping(
        TINY | {"output-dir": str(tmp_path / "o"), "seed": 9, "resume": True}
    )
    with pytest.raises(ValueError, match="other settings"):
        run_in_process(other, num_partitions=2)


@pytest.mark.parametrize(
    ("mode", "reason"), [("nan", "NaN"), ("scale", "over 10×"), ("lie-counts", "exceed")]
)
def test_faulty_replies_are_rejected_in_a_whole_run(mode: str, reason: str) -> None:
    run = run_in_process(
        RunConfig.from_mapping(TINY | {"fail-rate": 0.3, "fail-mode": mode}), num_partitions=5
    )
    clients = run.tables()["clients"]
    bad = clients[clients["status"] == "rejected"]
    assert len(bad) > 0 and bad["reason"].str.contains(reason).all()
    assert (clients["status"].isin(["ok", "rejected"])).all()
    m = run.tables()["metrics"]
    assert np.isfinite(m["overall_hq"]).all()  # the model was never poisoned


def test_round_log_is_appended_and_a_torn_or_extra_line_is_cut_on_resume(
    tmp_path: pytest.TempPathFactory,
) -> None:
    settings = TINY | {"num-server-rounds": 6, "eval-every": 1}
    full = run_in_process(
        RunConfig.from_mapping(settings | {"output-dir": str(tmp_path / "full")}), num_partitions=3
    )
    cfg = RunConfig.from_mapping(settings | {"output-dir": str(tmp_path / "cut")})
    sizes: list[tuple[int, int]] = []

    class Crash(Exception):
        pass

    def watch(run: object, line: object) -> None:
        folder = checkpoint_dir(cfg)
        sizes.append(
            ((folder / "server.pt").stat().st_size, (folder / "rounds.jsonl").stat().st_size)
        )
        if line.server_round == 4:
            raise Crash

    with pytest.raises(Crash):
        run_in_process(cfg, num_partitions=3, on_round=watch)
    server, logged = zip(*sizes)
    assert max(server) <= 1.01 * min(server)  # the checkpoint does not grow with the rounds
    assert all(b > a for a, b in itertools.pairwise(logged))  # the round log does
    # A crash after round 5's log line but before its checkpoint, and a torn line after it.
    log = checkpoint_dir(cfg) / "rounds.jsonl"
    lines = log.read_text().splitlines()
    log.write_text(
        "\n".join([*lines, lines[-1].replace('"round": 4', '"round": 5'), '{"rou']) + "\n"
    )
    resumed = run_in_process(
        RunConfig.from_mapping(settings | {"output-dir": str(tmp_path / "cut"), "resume": True}),
        num_partitions=3,
    )
    assert resumed.resumed_from == 4
    for name in ("metrics", "weights", "clients"):
        pd.testing.assert_frame_equal(full.tables()[name], resumed.tables()[name])
