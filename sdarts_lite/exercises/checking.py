"""How an exercise is checked: the student's function or answer against the kit's own, one report.

A check never raises.  A blank stub (a body that only says ``...`` or ``pass``, or raises
``NotImplementedError``) or an answer left ``None`` is "not done yet"; an error in the student's
code, a wrong type or shape, or a wrong value is reported as the answer's, with the first input
where it differs and both values; else the report says what matched.
"""

from __future__ import annotations

import dis
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

PASSED, NOT_DONE, FAILED = "passed", "not done yet", "not yet right"
KINDS = ("predict", "implement", "interpret")
# The kit's committed studies, which the predict and interpret exercises are checked against.
ASSETS = Path(__file__).resolve().parents[2] / "assets"


class Blank(Exception):
    """The student has not written this yet."""


class Differs(Exception):
    """The answer differs from the kit's; the message says where, with both values."""


@dataclass(frozen=True)
class Report:
    """What a check found: ``status`` is one of passed, not done yet, not yet right."""

    exercise: str
    title: str
    status: str
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __str__(self) -> str:
        mark = {PASSED: "[ok]", NOT_DONE: "[ ]", FAILED: "[x]"}[self.status]
        return f"{mark} Exercise {self.exercise}, {self.title}: {self.status}.\n    {self.detail}"


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (notebook.number), title, kind, and ``compare``, which takes the answer,
    raises ``Differs`` or ``Blank``, or returns what matched.  Calling it prints the report."""

    id: str
    title: str
    kind: str
    compare: Callable[..., str]
    todo: str  # what "not done yet" asks the student to do

    @property
    def notebook(self) -> str:
        return self.id.split(".")[0]

    def evaluate(self, *answers, **named) -> Report:
        """The report on ``answers`` (a function to implement, or the values asked for)."""
        values = [*answers, *named.values()]
        try:
            if not values or any(a is None or a is Ellipsis or blank(a) for a in values):
                raise Blank
            status, detail = PASSED, self.compare(*answers, **named)
        except Blank:
            status, detail = NOT_DONE, self.todo
        except Differs as differs:
            status, detail = FAILED, str(differs)
        return Report(self.id, self.title, status, detail)

    def __call__(self, *answers, **named) -> None:
        print(self.evaluate(*answers, **named))


EXERCISES: dict[str, Exercise] = {}  # by id, in notebook order once every module has registered


def exercise(id: str, title: str, kind: str, todo: str | None = None):
    """Register ``compare`` as exercise ``id``; the decorated name becomes the check to call."""
    assert kind in KINDS, kind
    default = ("write the function's body where it says `# your code here`, then run this cell again"
               if kind == "implement" else "replace None by your answer, then run this cell again")

    def register(compare: Callable[..., str]) -> Exercise:
        EXERCISES[id] = Exercise(id, title, kind, compare, todo or default)
        return EXERCISES[id]
    return register


def blank(answer) -> bool:
    """Whether ``answer`` is a function whose body does nothing (``...``, ``pass``, a docstring)."""
    if not callable(answer) or not hasattr(answer, "__code__"):
        return False
    return all(i.opname in ("RESUME", "NOP", "RETURN_VALUE", "RETURN_CONST", "LOAD_CONST")
               and (i.opname not in ("LOAD_CONST", "RETURN_CONST") or i.argval is None)
               for i in dis.get_instructions(answer))


def call(fn: Callable, *args, where: str):
    """``fn(*args)``; an error in it becomes ``Differs`` naming ``where`` (NotImplementedError: Blank)."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise Blank from None
    except Exception as err:  # the student's code: report it, never a traceback
        raise Differs(f"your {getattr(fn, '__name__', 'function')} raised {type(err).__name__}: {err}\n"
                      f"    on {where}") from None


def as_tensor(value, where: str, like: torch.Tensor) -> torch.Tensor:
    """The student's result as a tensor of the kit's shape, or ``Differs`` saying why not."""
    try:
        tensor = torch.as_tensor(value, dtype=like.dtype) if not isinstance(value, torch.Tensor) \
            else value.detach().to(like.dtype)
    except (TypeError, ValueError, RuntimeError):
        raise Differs(f"yours returned {type(value).__name__}, not numbers the kit can compare\n"
                      f"    on {where}") from None
    if tuple(tensor.shape) != tuple(like.shape):
        raise Differs(f"yours has shape {tuple(tensor.shape)}, the kit's {tuple(like.shape)}\n    on {where}")
    return tensor


def same_values(yours, kit: torch.Tensor, where: str, kit_name: str,
                rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """``Differs`` at the first element where ``yours`` and ``kit`` disagree beyond the tolerance."""
    mine = as_tensor(yours, where, kit)
    bad = ~torch.isclose(mine, kit, rtol=rtol, atol=atol, equal_nan=False)
    if bad.any():
        index = tuple(int(k) for k in bad.nonzero()[0])
        at = f" at {list(index)}" if index else ""
        raise Differs(f"on {where}{at}: yours is {float(mine[index]):.6g}, {kit_name} gives "
                      f"{float(kit[index]):.6g} ({int(bad.sum())} of {bad.numel()} value(s) differ)")


def number(value, where: str) -> float:
    """The student's answer as one number, or ``Differs`` saying what it was."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Differs(f"{where}: expected one number, got {value!r}") from None


def choice(value, options: dict[str, tuple[str, ...]], where: str) -> str:
    """The option a student's text names (case and spaces ignored), or ``Differs`` listing them."""
    text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
    for option, spellings in options.items():
        if text in {s.lower().replace(" ", "-") for s in (option, *spellings)}:
            return option
    raise Differs(f"{where}: {value!r} is none of {', '.join(repr(o) for o in options)}")
