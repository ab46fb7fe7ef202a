"""Refusing bad input early, with a message that names the field and what it allows, instead of
a traceback from deep inside torch."""

from __future__ import annotations

import math
from collections.abc import Iterable


def positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
        raise ValueError(f"{name}: must be {what}, got {value!r}")
    return value


def non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}: must be a non-negative integer, got {value!r}")
    return value


FLOAT32_MAX = 3.4028234663852886e38  # beyond it a value is infinite in the float32 the networks compute in


def finite(value) -> bool:
    """A real number (not a bool) that stays finite in float32."""
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and abs(value) <= FLOAT32_MAX)


def positive_number(name: str, value) -> float:
    if not finite(value) or value <= 0:
        raise ValueError(f"{name}: must be a positive finite number (at most {FLOAT32_MAX:.3g}), "
                         f"got {value!r}")
    return value


def non_negative_number(name: str, value) -> float:
    if not finite(value) or value < 0:
        raise ValueError(f"{name}: must be a non-negative finite number (at most {FLOAT32_MAX:.3g}), "
                         f"got {value!r}")
    return value


def one_of(name: str, value, allowed: Iterable) -> object:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name}: unknown {value!r}; allowed: {', '.join(map(str, allowed))}")
    return value


MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit


def seed_value(name: str, value) -> int:
    """A seed that torch, numpy and Python all take: an integer in 0..MAX_SEED."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name}: must be an integer in 0..{MAX_SEED} (numpy's seeds are 32-bit), "
                         f"got {value!r}")
    return value


def probability(name: str, value) -> float:
    """A finite number in [0, 1): the chance of something that must not be certain."""
    if not finite(value) or not 0 <= value < 1:
        raise ValueError(f"{name}: must be a number in [0, 1), got {value!r}")
    return value
