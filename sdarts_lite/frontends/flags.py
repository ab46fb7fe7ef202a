"""The command line's flags, generated from the settings: one per field of a config dataclass (a
search's ``SearchConfig`` and its ``Hyperparameters``, training's ``TrainConfig``), named as the
field (``arch_lr``: ``--arch-lr``), its help the field's comment, its choices the config's.  A
search flag left out keeps the preset's value, a training flag its field's default.  The flags
several commands share are declared once, on parent parsers.
"""

from __future__ import annotations

import argparse
import io
import re
import textwrap
import tokenize
import typing
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass
from inspect import getsource
from pathlib import Path

from ..base.device import DEVICES
from ..evaluation.nb201_table import find_table
from ..evaluation.retrain import TrainConfig
from ..method.hyperparameters import Hyperparameters
from ..method.optimizers import OPTIMIZERS
from ..run.config import PRESETS, SearchConfig, choices

SEARCH = (SearchConfig, Hyperparameters)  # the search's settings (the nested ``hyper`` unfolded)
OLD_SPELLINGS = {"drop_path_prob": ("--drop-path",), "cutout_length": ("--cutout",)}  # before issue 36


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
                      preset: str | None = "digits", configs: tuple[type, ...] = SEARCH,
                      allowed: Callable[[str], tuple | None] = choices) -> None:
    """A flag per field of ``configs`` (but those in ``leave_out``, and nested configs), its choices
    ``allowed(name)``.  With a ``preset``: ``--preset`` first, each flag defaulting to the preset's
    value; with ``preset=None``, to its field's default."""
    if preset is None:
        group = p.add_argument_group("settings")
    else:
        p.add_argument("--preset", default=preset, choices=sorted(PRESETS),
                       help=f"starting values (default: {preset}); the flags below override them")
        group = p.add_argument_group("settings (default: the preset's)")
    for cls in configs:
        hints, helps = typing.get_type_hints(cls), field_comments(cls)
        for f in fields(cls):
            kind = hints[f.name]
            if f.name in leave_out or is_dataclass(kind):
                continue
            options = dict(dest=f.name, help=helps[f.name].replace("%", "%%"), default=argparse.SUPPRESS)
            if preset is None:
                options["default"] = f.default
                if f.default is not None and kind is not bool:  # None: the comment says what it means
                    options["help"] += " (default: %(default)s)"
            if kind is bool:
                options["action"] = argparse.BooleanOptionalAction
            elif typing.get_origin(kind) is tuple:
                options.update(type=typing.get_args(kind)[0], nargs=len(typing.get_args(kind)))
            else:
                options["type"] = next(t for t in (kind, *typing.get_args(kind)) if t in (int, float, str))
                options["choices"] = allowed(f.name)
            group.add_argument("--" + f.name.replace("_", "-"), *OLD_SPELLINGS.get(f.name, ()), **options)


def settings(args: argparse.Namespace, configs: tuple[type, ...] = SEARCH) -> dict:
    """The settings of ``configs`` a command line gave, by name (tuples as tuples)."""
    names = {f.name for cls in configs for f in fields(cls)}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in names}


def train_flags(p: argparse.ArgumentParser) -> None:
    """``train``'s flags: the genotype, then one per ``TrainConfig`` field, each defaulting to the field's."""
    p.add_argument("--genotype", required=True, help="a NAS-Bench-201 string or a DARTS Genotype(...)")
    add_setting_flags(p, preset=None, configs=(TrainConfig,), allowed=TrainConfig.choices)


def seed_flags(seeds: int, first_seed: int | None = None,
               optimizers: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The flags of the commands that run searches over seeds (study, factors, sweep), with that
    command's defaults: ``--seeds``, ``--workers``, and ``--first-seed`` and ``--optimizers`` where
    the command takes them (their default not None)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--seeds", type=int, default=seeds,
                   help="how many seeds per group of runs (default: %(default)s)")
    if first_seed is not None:
        p.add_argument("--first-seed", type=int, default=first_seed,
                       help="run seeds FIRST_SEED..FIRST_SEED+SEEDS-1 (default: %(default)s)")
    if optimizers is not None:
        p.add_argument("--optimizers", "--modes", dest="optimizers", default=",".join(optimizers),
                       help=f"comma-separated, of {', '.join(OPTIMIZERS)} (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="local processes at once (default: cores)")
    return p


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
