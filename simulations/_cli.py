"""Run-config text as the command line takes it (``'k1=v1 k2="text"'``), both ways."""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Mapping
from typing import Any

from fedgan.config import RunConfigError

__all__ = ["parse_run_config", "render_run_config"]


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
    for pair in shlex.split(text, posix=False):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RunConfigError(f"run-config item {pair!r} is not key=value")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            raise RunConfigError(
                f'run-config value of {key!r} is not a TOML value: {value!r} (quote text: {key}="...")'
            ) from None
    return out


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def render_run_config(values: Mapping[str, Any]) -> str:
    """A dict → ``flwr run --run-config`` text."""
    return " ".join(f"{k}={_render(v)}" for k, v in values.items())
