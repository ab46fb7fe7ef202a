"""Where a run computes: the device a user names (``--device``, ``device=``), checked before any
tensor moves."""

from __future__ import annotations

import re

import torch

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
