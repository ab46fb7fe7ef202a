"""``digits``: scikit-learn's bundled 8x8 handwritten digits, 1,797 real images read offline (the
kit's default dataset), split once with a fixed seed into search and held-out images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .dataset import Dataset, Images

HELD_OUT = 359  # a fifth of the 1,797 images


def load_digits(root: Path, download: bool) -> Images:
    """The images scaled from 0..16 to 0..255; bundled with scikit-learn, so no root, no download.
    Normalised by the mean and std of all of them."""
    from sklearn import datasets

    bunch = datasets.load_digits()
    x = torch.from_numpy(np.round(bunch.images * (255 / 16)).astype(np.uint8)).unsqueeze(1)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))  # a fixed split
    test, search = order[:HELD_OUT], order[HELD_OUT:]
    mean, std = float(x.float().mean() / 255), float(x.float().std() / 255)
    return Images(x[search], y[search], x[test], y[test], (mean,), (std,), tuple(str(k) for k in range(10)))


DIGITS = Dataset("digits", image_size=8, channels=1, num_classes=10, search_size=1797 - HELD_OUT,
                 test_size=HELD_OUT, shift=0, flip=False,  # a mirrored digit is another symbol, or none
                 load=load_digits)
