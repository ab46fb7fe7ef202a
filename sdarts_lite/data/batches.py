"""Seeded, resumable mini-batches over a split of in-memory images, with the usual augmentation:
a random shift of up to ``shift`` pixels each way (the image padded with black, then cropped back
to its size: CIFAR's "pad 4, random crop") and, where a mirrored image keeps its class, a flip."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from ..base.guards import positive_int

if TYPE_CHECKING:  # for annotations only
    from .images import ImageData

Batch = tuple[torch.Tensor, torch.Tensor]  # images and labels


class Batches:
    """Seeded, resumable mini-batches of one split: normalised float images and labels.

    Each pass draws a fresh permutation from ``generator`` and yields ``steps`` full batches of it
    (default: as many as fit).  ``shift`` > 0 moves every image by a random offset of up to
    ``shift`` pixels each way, and ``flip`` mirrors half of them, both from the same generator.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, data: ImageData, batch_size: int,
                 generator: torch.Generator | None = None, shift: int = 0, flip: bool = False,
                 steps: int | None = None):
        positive_int("batch_size", batch_size)
        if len(y) < batch_size and generator is not None:
            raise ValueError(f"batch_size: {batch_size} exceeds the {len(y)} images it draws from")
        self.x, self.y, self.batch_size, self.generator = x, y, batch_size, generator
        self.shift, self.flip = shift, flip
        full = len(y) // batch_size if generator is not None else -(-len(y) // batch_size)
        self.steps = full if steps is None else min(steps, full)
        self.mean = torch.tensor(data.mean).view(1, -1, 1, 1) * 255
        self.std = torch.tensor(data.std).view(1, -1, 1, 1) * 255

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        """Shuffled full batches when seeded (training); all images in order otherwise."""
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator) if self.generator is not None else None
        for b in range(len(self)):
            idx = slice(b * self.batch_size, (b + 1) * self.batch_size)
            sel = order[idx] if order is not None else idx
            x = self.x[sel].float()
            if self.shift or self.flip:
                x = self._augment(x)
            yield (x - self.mean) / self.std, self.y[sel]

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        """Shift (pad with black, crop at a random offset) and flip, image by image."""
        n, _, h, w = x.shape
        k = self.shift
        padded = F.pad(x, (k, k, k, k))
        dy = torch.randint(0, 2 * k + 1, (n,), generator=self.generator)
        dx = torch.randint(0, 2 * k + 1, (n,), generator=self.generator)
        rows = (dy.view(n, 1) + torch.arange(h)).view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2 * k)
        cropped = padded.gather(2, rows)
        cols = (dx.view(n, 1) + torch.arange(w))
        if self.flip:
            flip = torch.rand(n, generator=self.generator) < 0.5
            cols = torch.where(flip.view(n, 1), cols.flip(1), cols)
        cols = cols.view(n, 1, 1, w).expand(n, x.shape[1], h, w)
        return cropped.gather(3, cols)
