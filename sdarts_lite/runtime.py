"""What a search and a from-scratch training both need and neither owns: the device they run on,
the seeding that makes a run repeatable, and the held-out evaluation of a model.  Kept apart so
that training a derived cell does not import the search.
"""

from __future__ import annotations

import random
import re

import numpy as np
import torch
import torch.nn.functional as F

from .data import Batches

DEVICES = "cpu, cuda, cuda:N, mps"  # what --device / device= accepts, each only where torch can use it


def default_device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def check_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device ``device`` names (None: ``default_device()``), or a ValueError that says what
    is allowed here and what to do: cpu; cuda or cuda:N only where torch sees that GPU; mps only
    where torch's MPS backend is available (Apple silicon).  Checked before any tensor moves, so that
    a GPU command copied onto a laptop ends in one line, not in torch's driver error."""
    if device is None:
        return default_device()
    name = str(device) if isinstance(device, torch.device) else device
    match = re.fullmatch(r"(cpu|cuda|mps)(?::([0-9]+))?", name) if isinstance(name, str) else None
    if match is None or (match[2] is not None and match[1] != "cuda"):
        raise ValueError(f"device: unknown {device!r}; allowed: {DEVICES}")
    kind, index = match[1], None if match[2] is None else int(match[2])
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {name} is not available on this machine (torch.cuda.is_available() is "
                         "False); use --device cpu")
    if kind == "cuda" and index is not None and index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(f"device: {name} does not exist; this machine has {count} CUDA device(s), "
                         f"cuda:0..cuda:{count - 1}")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device: mps is not available on this machine (torch.backends.mps.is_available() "
                         "is False); use --device cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches: Batches, device: torch.device) -> tuple[float, float]:
    """Mean loss and accuracy (%) of ``model`` over ``batches``."""
    model.eval()
    loss, correct, count = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
        count += len(y)
    model.train()
    return loss / count, 100.0 * correct / count
