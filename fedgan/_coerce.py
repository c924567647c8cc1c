"""Run-config values checked against their annotations; errors name the run-config key.

Flower hands the apps kebab-case keys with TOML values; :func:`coerce` turns one value into
what its dataclass field's annotation asks for (a ``Literal`` lists the allowed values) or
raises :class:`RunConfigError` naming the key. :class:`renamed` reports a sub-configuration's
:class:`~fedgan._checks.FieldError` under the run-config key.
"""

from __future__ import annotations

import math
import types
from typing import Any, Literal, get_args, get_origin

from fedgan._checks import FieldError

__all__ = ["RunConfigError", "check", "coerce", "key_of", "renamed"]


class RunConfigError(ValueError):
    """A run-config key has a bad value; the message names the key."""


def key_of(name: str) -> str:
    """Run-config key of a field name (``lr_g`` → ``lr-g``)."""
    return name.replace("_", "-")


def check(ok: bool, name: str, message: str) -> None:
    """Raise :class:`RunConfigError` for field ``name`` unless ``ok``."""
    if not ok:
        raise RunConfigError(f"{key_of(name)} {message}")


class renamed:
    """Report a sub-configuration's :class:`FieldError` under the run-config key."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, err: BaseException | None, tb: Any) -> Literal[False]:
        if isinstance(err, FieldError):
            raise RunConfigError(f"{key_of(err.field)} {err.reason}") from None
        return False


def coerce(key: str, value: Any, kind: Any) -> Any:
    """``value`` as the annotation ``kind`` wants it, or a :class:`RunConfigError` naming ``key``."""
    if get_origin(kind) is Literal:
        choices = get_args(kind)
        if value not in choices:
            raise RunConfigError(f"{key} must be one of {list(choices)}, got {value!r}")
        return value
    if isinstance(kind, types.UnionType):  # not used by RunConfig today
        raise TypeError(f"unsupported annotation for {key}: {kind}")
    if kind is bool:
        if not isinstance(value, bool):
            raise RunConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RunConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if kind is float:
        # TOML gives int for 1 and float for 1.0; accept ints where floats are expected.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RunConfigError(f"{key} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise RunConfigError(f"{key} must be finite, got {value!r}")
        return float(value)
    if not isinstance(value, kind):
        raise RunConfigError(f"{key} must be of type {kind.__name__}, got {value!r}")
    return value
