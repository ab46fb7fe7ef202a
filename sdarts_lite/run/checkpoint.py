"""Checkpoints: everything a search needs to continue exactly where an epoch ended."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..base.files import write_atomically
from .config import SearchConfig, config_differences
from .history import History

if TYPE_CHECKING:  # for annotations only
    from ..method.optimizers import Optimizer
    from ..method.supernet import Supernet

FORMAT = "sdarts-lite-checkpoint-1"


def save_checkpoint(path: Path, config: SearchConfig, model: Supernet, opt: Optimizer,
                    generator: torch.Generator, history: History) -> None:
    """Write atomically: a temporary file, then a rename, so a kill leaves the old one intact."""
    state = {
        "format": FORMAT, "config": config.to_dict(), "model": model.state_dict(),
        "optimizer": opt.state_dict(), "data_generator": generator.get_state(),
        "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
                "python": random.getstate()},
        "history": history.to_dict(),
    }
    write_atomically(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path, config: SearchConfig, model: Supernet, opt: Optimizer,
                    generator: torch.Generator, history: History) -> None:
    """Restore a search from ``path``; refuse a file of another kind or another configuration."""
    if not path.is_file():
        raise FileNotFoundError(f"resume: no checkpoint at {path}")
    state = read_state(path)
    differ = config_differences(state["config"], config)
    if differ:
        raise ValueError(f"resume: the checkpoint was made with a different configuration: {differ}")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    generator.set_state(state["data_generator"])
    torch.set_rng_state(state["rng"]["torch"])
    np.random.set_state(state["rng"]["numpy"])
    random.setstate(state["rng"]["python"])
    restored = History.from_dict(state["history"])
    history.epochs, history.steps = restored.epochs, restored.steps
    history.genotype, history.early_stop = restored.genotype, restored.early_stop


def read_state(path: Path) -> dict:
    """The saved state in ``path``; a ValueError for a file torch cannot read or of another kind."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"resume: {path} is not a readable checkpoint ({err})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"resume: {path} is not an sdarts-lite checkpoint")
    return state


def readable(path: Path) -> bool:
    """Whether ``path`` is a checkpoint ``load_checkpoint`` can read (``read_state``): a study sets
    aside one that is not, and searches its run again."""
    try:
        read_state(path)
    except ValueError:
        return False
    return True


def resume_from(out: Path | None, config: SearchConfig, model: Supernet, opt: Optimizer,
                generator: torch.Generator, history: History) -> None:
    """Continue a search from ``out/checkpoint.pt``, or from the beginning when none was written yet."""
    if out is None:
        raise ValueError("resume: needs out=, the folder that holds checkpoint.pt")
    if (out / "checkpoint.pt").exists():
        load_checkpoint(out / "checkpoint.pt", config, model, opt, generator, history)
