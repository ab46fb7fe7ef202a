"""Datasets as in-memory image tensors, and seeded batch streams over them.

``digits`` is scikit-learn's bundled 8x8 handwritten digits (1,797 real images, offline: the
default); ``shapes`` a harder 12x12 image set the kit generates itself (``synthetic_shapes.py``);
``fashion`` is Fashion-MNIST, 70,000 28x28 images of clothes (``fashion.py``: Debian's package, a
folder of its files, or torchvision's download).  ``cifar10`` / ``cifar100`` come through
torchvision: downloaded when online, or read from files the user put in place.  Every dataset is
split into a *search* set, which searches use (bi-level halves it, as DARTS does), and a held-out
*test* set that no update ever sees.  ``batches.py`` draws seeded batches from them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..base.guards import one_of, positive_int
from .synthetic_shapes import make_shapes

DATASETS = ("digits", "shapes", "fashion", "cifar10", "cifar100")
IMAGE_SIZES = {"digits": 8, "shapes": 12, "fashion": 28, "cifar10": 32, "cifar100": 32}  # each one's own
SEARCH_SIZES = {"digits": 1438, "shapes": 1400, "fashion": 60000, "cifar10": 50000, "cifar100": 50000}
TEST_SIZES = {"digits": 359, "shapes": 400, "fashion": 10000, "cifar10": 10000, "cifar100": 10000}
MAX_UPSCALE = 4  # image_size: at most this many times the dataset's own (resizing up adds no information)


@dataclass
class ImageData:
    """Images as uint8 tensors (N, C, H, W) with labels; normalised batch by batch."""

    name: str
    search_x: torch.Tensor
    search_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    shift: int  # the augmentation this dataset is usually trained with: a shift of up to so many pixels
    flip: bool  # whether a mirrored image keeps its class (CIFAR, Fashion-MNIST: yes; digits, shapes: no)
    classes: tuple[str, ...] = ()  # the class names, by label

    @property
    def in_channels(self) -> int:
        return self.search_x.shape[1]

    @property
    def image_size(self) -> int:
        return self.search_x.shape[-1]

    def halves(self) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """The search set split in two (first half for w, second for alpha), as DARTS does."""
        half = len(self.search_y) // 2
        return ((self.search_x[:half], self.search_y[:half]),
                (self.search_x[half:], self.search_y[half:]))


def default_root() -> Path:
    """Where datasets are looked for, unpacked and downloaded: ``$SDARTS_DATA``, else a user cache
    (``~/.cache/sdarts-lite``), so that every notebook and script finds what one of them fetched."""
    if os.environ.get("SDARTS_DATA"):
        return Path(os.environ["SDARTS_DATA"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sdarts-lite"


def load_dataset(name: str = "digits", root: str | os.PathLike | None = None, download: bool = True,
                 image_size: int | None = None, search_size: int | None = None,
                 test_size: int | None = None) -> ImageData:
    """Load ``digits``, ``shapes``, ``fashion``, ``cifar10`` or ``cifar100``; ``image_size`` resizes
    (bilinear); ``search_size`` and ``test_size`` keep so many search and held-out images, drawn
    with a fixed seed (the same images for every run; None: all)."""
    check_image_size(name, image_size)
    check_subset_size("search_size", search_size, name)
    check_subset_size("test_size", test_size, name)
    if name == "digits":
        data = _digits()
    elif name == "shapes":
        data = _shapes()
    elif name == "fashion":
        data = _fashion(Path(root or default_root()), download)
    else:
        from .cifar import load_cifar

        data = load_cifar(name, Path(root or default_root()), download)
    data.search_x, data.search_y = _subset(data.search_x, data.search_y, search_size, seed=0)
    data.test_x, data.test_y = _subset(data.test_x, data.test_y, test_size, seed=1)
    if image_size is not None and image_size != data.image_size:
        data.search_x, data.test_x = (_resize(x, image_size) for x in (data.search_x, data.test_x))
    return data


def check_image_size(dataset: str, image_size: int | None) -> int:
    """The side of the images ``dataset`` gives when resized to ``image_size`` (None: its own size).
    At least 4 (the networks halve an image twice); at most ``MAX_UPSCALE`` times the dataset's
    own size, beyond which resizing only fills memory."""
    one_of("dataset", dataset, DATASETS)
    own = IMAGE_SIZES[dataset]
    if image_size is None:
        return own
    positive_int("image_size", image_size, minimum=4)
    if image_size > MAX_UPSCALE * own:
        raise ValueError(f"image_size: at most {MAX_UPSCALE * own} for {dataset} ({MAX_UPSCALE} x its own "
                         f"{own} pixels; resizing up adds no information), got {image_size}")
    return image_size


def _subset(x: torch.Tensor, y: torch.Tensor, size: int | None,
            seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``size`` of the images, drawn with a fixed seed: the same ones for every run (None: all)."""
    if size is None or size >= len(y):
        return x, y
    keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:size]
    return x[keep], y[keep]


def check_subset_size(name: str, size: int | None, dataset: str) -> int:
    """How many search (``name="search_size"``) or held-out (``"test_size"``) images ``dataset``
    gives with ``size`` (None: all of them)."""
    one_of("dataset", dataset, DATASETS)
    available = (SEARCH_SIZES if name == "search_size" else TEST_SIZES)[dataset]
    if size is None:
        return available
    positive_int(name, size, minimum=2)
    if size > available:
        split = "search" if name == "search_size" else "held-out"
        raise ValueError(f"{name}: {dataset} has {available} {split} images, got {size}")
    return size


def check_batch_size(batch_size: int, image_size: int) -> int:
    """Refuse batches of one 4-pixel image: two halvings leave 1x1 maps, one value per channel,
    which batch norm cannot normalise in training."""
    positive_int("batch_size", batch_size)
    if batch_size == 1 and image_size <= 4:
        raise ValueError(f"batch_size: one {image_size}-pixel image per batch leaves one value per channel "
                         "after two halvings, too few for batch norm; use batch_size >= 2 or larger images")
    return batch_size


def _resize(x: torch.Tensor, size: int, chunk: int = 1024) -> torch.Tensor:
    """Bilinear resizing, ``chunk`` images at a time (a float copy of all of CIFAR would not fit)."""
    out = torch.empty(*x.shape[:2], size, size, dtype=torch.uint8)
    for k in range(0, len(x), chunk):
        y = F.interpolate(x[k:k + chunk].float(), size=(size, size), mode="bilinear", align_corners=False)
        out[k:k + chunk] = y.round().clamp(0, 255).to(torch.uint8)
    return out


def _digits(test_fraction: float = 0.2) -> ImageData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(np.round(bunch.images * (255 / 16)).astype(np.uint8)).unsqueeze(1)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))  # a fixed split
    n_test = int(round(test_fraction * len(y)))
    test, search = order[:n_test], order[n_test:]
    mean = float(x.float().mean() / 255)
    std = float(x.float().std() / 255)
    return ImageData("digits", x[search], y[search], x[test], y[test], 10, (mean,), (std,), 0, False,
                     tuple(str(k) for k in range(10)))


def _shapes(n_search: int = 1400, n_test: int = 400) -> ImageData:
    """Search and test images from different seeds: no image is in both."""
    (sx, sy), (tx, ty) = (make_shapes(n, seed=seed) for n, seed in ((n_search, 0), (n_test, 1)))
    mean, std = float(sx.mean() / 255), float(sx.std() / 255)
    return ImageData("shapes", torch.from_numpy(sx), torch.from_numpy(sy), torch.from_numpy(tx),
                     torch.from_numpy(ty), 10, (mean,), (std,), 0, False)


def _fashion(root: Path, download: bool) -> ImageData:
    """Fashion-MNIST's 60,000 training images are the search set, its 10,000 test images held out.
    A mirrored garment keeps its class: every class (shirts, trousers, shoes, bags...) is a kind of
    object whose left-right mirror image is the same kind, and the photographs' left-right pose
    (a shoe's toe points left) carries no class information; so augmentation may flip, as for CIFAR.
    An upside-down one would not be a fair sample (no shoe stands on its sole's top), so no
    vertical flips, here or anywhere."""
    from .fashion import CLASSES, MEAN, STD, load_fashion

    sx, sy, tx, ty = load_fashion(root, download)
    return ImageData("fashion", sx, sy, tx, ty, 10, (MEAN,), (STD,), 0, True, CLASSES)
