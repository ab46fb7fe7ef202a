"""How a model does on images no update sees: its mean loss and accuracy over held-out batches
(the supernet after every epoch of a search, a derived network after every epoch of training)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.batches import Batches


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
