"""What a search and a from-scratch training both need and neither owns: the device they run on,
the seeding that makes a run repeatable, and the held-out evaluation of a model.  Kept apart so
that training a derived cell does not import the search.
"""

from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F

from .data import Batches


def default_device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
