"""The datasets by name, and loading one as in-memory image tensors (``ImageData``).

Each dataset is one ``Dataset`` (``dataset.py``) declared beside its loader: ``digits``,
scikit-learn's bundled 8x8 handwritten digits (offline: the default; ``digits.py``); ``shapes``, a
harder 12x12 image set the kit generates itself (``synthetic_shapes.py``); ``fashion``,
Fashion-MNIST's 28x28 clothes (``fashion.py``: Debian's package, a folder of its files, or
torchvision's download); ``cifar10`` and ``cifar100`` through torchvision (``cifar.py``).
``REGISTRY`` holds them by name; a new dataset is a declaration and a line below (or ``register``).
Every dataset is split into a *search* set, which searches use (bi-level halves it, as DARTS does),
and a held-out *test* set that no update ever sees.  The checks a config makes on image and subset
sizes read the declarations and load nothing; ``batches.py`` draws seeded batches from the images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..base.guards import one_of, positive_int
from .cifar import CIFAR10, CIFAR100
from .dataset import Dataset, Images
from .digits import DIGITS
from .fashion import FASHION
from .synthetic_shapes import SHAPES

REGISTRY: dict[str, Dataset] = {d.name: d for d in (DIGITS, SHAPES, FASHION, CIFAR10, CIFAR100)}
DATASETS = tuple(REGISTRY)  # the names registered with the package (``register`` adds to REGISTRY alone)
MAX_UPSCALE = 4  # image_size: at most this many times the dataset's own (resizing up adds no information)


def register(dataset: Dataset) -> Dataset:
    """Add a dataset: ``load_dataset`` and the checks then take it by name."""
    REGISTRY[dataset.name] = dataset
    return dataset


def get_dataset(name: str) -> Dataset:
    """The registered dataset of that name, or a ValueError naming those there are."""
    found = REGISTRY.get(name) if isinstance(name, str) else None  # a checked config's name: found
    return found or REGISTRY[one_of("dataset", name, REGISTRY)]


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
    shift: int  # its declared augmentation (``Dataset``): shifts of up to so many pixels,
    flip: bool  # and mirroring (CIFAR, Fashion-MNIST: yes; digits, shapes: no)
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
    """Load a registered dataset (``digits``, ``shapes``, ``fashion``, ``cifar10``, ``cifar100``);
    ``image_size`` resizes (bilinear); ``search_size`` and ``test_size`` keep so many search and
    held-out images, drawn with a fixed seed (the same images for every run; None: all)."""
    check_image_size(name, image_size)
    check_subset_size("search_size", search_size, name)
    check_subset_size("test_size", test_size, name)
    return read_dataset(get_dataset(name), root, download, image_size, search_size, test_size)


def read_dataset(dataset: Dataset, root: str | os.PathLike | None = None, download: bool = True,
                 image_size: int | None = None, search_size: int | None = None,
                 test_size: int | None = None) -> ImageData:
    """``load_dataset`` for sizes already checked (a ``SearchConfig``'s): the loading alone."""
    images = dataset.load(Path(root or default_root()), download)
    check_images(dataset, images)
    search_x, search_y = _subset(images.search_x, images.search_y, search_size, seed=0)
    test_x, test_y = _subset(images.test_x, images.test_y, test_size, seed=1)
    if image_size is not None and image_size != dataset.image_size:
        search_x, test_x = (_resize(x, image_size) for x in (search_x, test_x))
    return ImageData(dataset.name, search_x, search_y, test_x, test_y, dataset.num_classes, images.mean,
                     images.std, dataset.shift, dataset.flip, images.classes)


def check_images(dataset: Dataset, images: Images) -> None:
    """Refuse a loader's images unlike its declaration, which the checks before loading trust."""
    shape = (dataset.channels, dataset.image_size, dataset.image_size)
    splits = (("search", images.search_x, images.search_y), ("held-out", images.test_x, images.test_y))
    for split, x, y in splits:
        if tuple(x.shape[1:]) != shape or len(x) != len(y):
            raise ValueError(f"{dataset}: its loader gave {len(x)} {split} images of {tuple(x.shape[1:])} "
                             f"for {len(y)} labels; it is declared with images of {shape}")


def check_image_size(dataset: str, image_size: int | None) -> int:
    """The side of the images ``dataset`` gives when resized to ``image_size`` (None: its own size).
    At least 4 (the networks halve an image twice); at most ``MAX_UPSCALE`` times the dataset's
    own size, beyond which resizing only fills memory."""
    own = get_dataset(dataset).image_size
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
    declared = get_dataset(dataset)
    available = declared.search_size if name == "search_size" else declared.test_size
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
