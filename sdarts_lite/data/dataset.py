"""A dataset as one object: what the kit may ask of a dataset before loading it, and its loader.

Each source module (``digits.py``, ``synthetic_shapes.py``, ``fashion.py``, ``cifar.py``) declares
its datasets as ``Dataset``s beside the code that reads them, and ``images.py`` registers them by
name, so a new dataset is one declaration and a registry line (or ``register``); the checks on a
config's image and subset sizes read the declaration and load nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch


class Images(NamedTuple):
    """What a loader gives: uint8 images (N, C, H, W) and int64 labels of the search and held-out
    splits, the per-channel mean and std that normalise them (of pixels scaled to [0, 1]), and the
    class names by label."""

    search_x: torch.Tensor
    search_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: tuple[float, ...]
    std: tuple[float, ...]
    classes: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    """A dataset's parts, by the same names for every dataset."""

    name: str
    image_size: int          # the side of its own (square) images
    channels: int            # 1 grey, 3 colour
    num_classes: int
    search_size: int         # images a search may use (bi-level halves them)
    test_size: int           # images held out, which no update sees
    shift: int               # the augmentation it is usually trained with: a shift of up to so many pixels,
    flip: bool               # and mirroring half the images (only where a mirrored image keeps its class)
    load: Callable[[Path, bool], Images]  # (root, download) -> its images; files looked for under root

    def __str__(self) -> str:
        return self.name
