"""``shapes``: a procedurally generated image set, harder than the 8x8 digits, made offline.

Ten classes: five shapes (disk, square, triangle, ring, cross) times two stripe orientations of
their fill (horizontal, vertical), at a random place and size, with a random contrast, on a
random brightness gradient, with pixel noise.  Telling the classes apart needs both the outline
(a large receptive field) and a 3-pixel texture (convolutions): the kind of image on which the
choice between convolutions and parameter-free operations matters more than on clean digits.
The same seed always gives the same images: 1,400 search images from one seed, 400 held out from
another, so that no image is in both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .dataset import Dataset, Images

OUTLINES = ("disk", "square", "triangle", "ring", "cross")
STRIPES = ("horizontal", "vertical")
CLASSES = tuple(f"{s} {o}" for s in OUTLINES for o in STRIPES)  # label = 2 * outline + stripes
SIZE, SEARCH, HELD_OUT = 12, 1400, 400  # the images' side, how many to search on, how many held out


def outline(shape: str, dy: np.ndarray, dx: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Pixels inside ``shape`` centred at offset (dy, dx) = 0 with radius ``r``."""
    d = np.hypot(dy, dx)
    if shape == "disk":
        return d <= r
    if shape == "square":
        return np.maximum(abs(dy), abs(dx)) <= 0.8 * r
    if shape == "triangle":  # apex up
        return (dy >= -0.9 * r) & (dy <= 0.7 * r) & (abs(dx) <= 0.65 * (dy + 0.9 * r))
    if shape == "ring":
        return (d <= r) & (d >= 0.55 * r)
    return ((abs(dy) <= 0.3 * r) & (abs(dx) <= r)) | ((abs(dx) <= 0.3 * r) & (abs(dy) <= r))  # cross


def make_shapes(n: int, size: int = SIZE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (n, 1, size, size) as uint8 and their labels (0..9), balanced over classes."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    cy, cx = rng.uniform(0.38 * size, 0.62 * size, (2, n, 1, 1))
    r = rng.uniform(0.25 * size, 0.4 * size, (n, 1, 1))
    dy, dx = yy - cy, xx - cx
    inside = np.zeros((n, size, size), dtype=bool)
    for k, shape in enumerate(OUTLINES):
        rows = labels // 2 == k
        inside[rows] = outline(shape, dy[rows], dx[rows], r[rows])
    phase = rng.integers(0, 3, (n, 1, 1))
    across = np.where((labels % 2 == 0)[:, None, None], yy, xx)  # horizontal stripes vary along y
    stripes = (across + phase) % 3 < 1.5
    contrast = rng.uniform(0.45, 0.8, (n, 1, 1))
    gy, gx = rng.uniform(-0.02, 0.02, (2, n, 1, 1))
    background = rng.uniform(0.1, 0.3, (n, 1, 1)) + gy * (yy - size / 2) + gx * (xx - size / 2)
    image = background + contrast * inside * np.where(stripes, 1.0, 0.35)
    image += rng.normal(0.0, 0.08, image.shape)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)[:, None], labels.astype(np.int64)


def load_shapes(root: Path, download: bool) -> Images:
    """The search and held-out images, generated (no root, no download), normalised by the search
    images' mean and std."""
    (sx, sy), (tx, ty) = (make_shapes(n, seed=seed) for n, seed in ((SEARCH, 0), (HELD_OUT, 1)))
    mean, std = float(sx.mean() / 255), float(sx.std() / 255)
    return Images(*map(torch.from_numpy, (sx, sy, tx, ty)), (mean,), (std,), CLASSES)


SHAPES = Dataset("shapes", image_size=SIZE, channels=1, num_classes=len(CLASSES), search_size=SEARCH,
                 test_size=HELD_OUT, shift=0, flip=False,  # trained without augmentation, as digits
                 load=load_shapes)
