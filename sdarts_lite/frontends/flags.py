"""The command line's flags, generated from the settings: one per field of ``SearchConfig`` and of
its ``Hyperparameters``, named as the field (``arch_lr``: ``--arch-lr``), its help the field's
comment, its choices the config's (``config.choices``).  A flag left out keeps the preset's value.
The flags every command shares are declared once, on parent parsers.
"""

from __future__ import annotations

import argparse
import io
import re
import textwrap
import tokenize
import typing
from dataclasses import fields
from inspect import getsource
from pathlib import Path

from ..base.device import DEVICES
from ..evaluation.nb201_table import find_table
from ..method.hyperparameters import Hyperparameters
from ..run.config import PRESETS, SearchConfig, choices


class Parser(argparse.ArgumentParser):
    """argparse, except that a bad flag ends as every bad value does: one line ``error: ...`` on
    stderr, exit status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def field_comments(cls: type) -> dict[str, str]:
    """Each dataclass field's comment (``name: type = default  # comment``, continued on the
    comment-only lines below it), read from the class's source."""
    source = textwrap.dedent(getsource(cls))
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    comments = {t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT}
    names, helps, current = {f.name for f in fields(cls)}, {}, None
    for n, line in enumerate(source.splitlines(), start=1):
        field = re.match(r"    (\w+)\s*:", line)
        if field and field[1] in names:
            current = field[1]
            helps[current] = comments.get(n, "")
        elif current and line.strip().startswith("#"):
            helps[current] += " " + comments[n]
        else:
            current = None
    return helps


def add_setting_flags(p: argparse.ArgumentParser, leave_out: tuple[str, ...] = (),
                      preset: str = "digits") -> None:
    """``--preset``, then a flag per setting (but those in ``leave_out``), each defaulting to the preset's."""
    p.add_argument("--preset", default=preset, choices=sorted(PRESETS),
                   help=f"starting values (default: {preset}); the flags below override them")
    group = p.add_argument_group("settings (default: the preset's)")
    for cls in (SearchConfig, Hyperparameters):
        hints, helps = typing.get_type_hints(cls), field_comments(cls)
        for f in fields(cls):
            if f.name in leave_out or f.name == "hyper":
                continue
            kind = hints[f.name]
            options = dict(dest=f.name, default=argparse.SUPPRESS, help=helps[f.name].replace("%", "%%"))
            if kind is bool:
                options["action"] = argparse.BooleanOptionalAction
            elif typing.get_origin(kind) is tuple:
                options.update(type=typing.get_args(kind)[0], nargs=len(typing.get_args(kind)))
            else:
                options["type"] = next(t for t in (kind, *typing.get_args(kind)) if t in (int, float, str))
                options["choices"] = choices(f.name)
            group.add_argument("--" + f.name.replace("_", "-"), **options)


def settings(args: argparse.Namespace) -> dict:
    """The settings a command line gave, by name (tuples as tuples)."""
    names = {f.name for cls in (SearchConfig, Hyperparameters) for f in fields(cls)}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in names}


def run_flags() -> argparse.ArgumentParser:
    """The flags of every command that runs something: where, how verbosely, into which folder."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--device", default=None,
                   help=f"{DEVICES}, each where torch can use it (default: cuda when present, else cpu)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    return p


def lookup_flags() -> argparse.ArgumentParser:
    """The NAS-Bench-201 table that derived cells are looked up in."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--nb201", default=find_table(),
                   help="NAS-Bench-201 table to look derived cells up in (default: $SDARTS_NB201, else the "
                   "one `fetch nb201` wrote, when there)")
    return p
