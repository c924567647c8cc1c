"""Run-config text as the command line takes it (``'k1=v1 k2="text"'``), both ways."""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from fedgan.config import RunConfigError

__all__ = ["add_cpus_option", "parse_run_config", "render_run_config"]


def parse_run_config(text: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """``flwr run --run-config`` text (TOML values) or a mapping → a dict of key → value.

    Raises
    ------
    RunConfigError
        For a pair that is not ``key=value`` or a value TOML cannot read; names the pair.
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    out: dict[str, Any] = {}
    leftover = _PAIR.sub(" ", text).split()
    if leftover:
        raise RunConfigError(f"run-config item {leftover[0]!r} is not key=value")
    for key, value in _PAIR.findall(text):
        try:
            out[key] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            hint = f'{key}="..."'
            raise RunConfigError(
                f"run-config value of {key!r} is not a TOML value: {value!r} (quote text: {hint})"
            ) from None
    return out


# Flower's own pattern (flwr.common.config.parse_config_args): a quoted value holds no quote
# of its kind, so text is rendered as a TOML basic string, or a literal one if it holds '"'.
_PAIR = re.compile(r"(\S+?)=('[^']*'|\"[^\"]*\"|\S+)")


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if '"' not in value and "\\" not in value:
            return f'"{value}"'
        if "'" not in value:
            return f"'{value}'"
        raise RunConfigError(
            f"run-config text {value!r} holds both quote characters; Flower cannot pass it"
        )
    return repr(value)


def render_run_config(values: Mapping[str, Any]) -> str:
    """A dict → ``flwr run --run-config`` text."""
    return " ".join(f"{k}={_render(v)}" for k, v in values.items())


def _cpus(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_workers_option(ap: argparse.ArgumentParser) -> None:
    """``--workers N``: processes that train a round's sampled clients side by side."""
    ap.add_argument(
        "--workers",
        type=_cpus,
        default=1,
        help="in-process runs: train a round's sampled clients in N one-thread processes "
        "(the files do not change; default 1)",
    )


def add_cpus_option(ap: argparse.ArgumentParser) -> None:
    """``--num-cpus N``: the threads for the work this process does (checked by argparse).

    Pass the parsed value to :func:`fedgan.training.use_cpus`.
    """
    ap.add_argument(
        "--num-cpus",
        type=_cpus,
        default=None,
        help="intra-op threads (default: OMP_NUM_THREADS, else the CPUs this process may use)",
    )
