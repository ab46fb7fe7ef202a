"""``cifar10`` and ``cifar100``: 60,000 colour 32x32 images each (50,000 to search on, 10,000 held
out) in 10 or 100 classes, through torchvision's own loader: downloaded when online, else read from
the files a user put in place, a damaged file named.  Both are trained with CIFAR's usual
augmentation: pad 4, random crop, random horizontal flip."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from .dataset import Dataset, Images


def load_cifar(name: str, mean: tuple[float, ...], std: tuple[float, ...], root: Path,
               download: bool) -> Images:
    """``name``'s (cifar10 or cifar100) training images as the search set, its test images held out;
    ``mean`` and ``std``: those of its training images, per channel."""
    from torchvision import datasets

    base = datasets.CIFAR10 if name == "cifar10" else datasets.CIFAR100

    class Local(base):  # the real loader, with checksums relaxed to "the file is there"
        train_list = [(f, None) for f, _ in base.train_list]
        test_list = [(f, None) for f, _ in base.test_list]
        meta = {**base.meta, "md5": None}

    folder = root / base.base_folder

    def missing(reason: object) -> FileNotFoundError:
        return FileNotFoundError(
            f"{name} is not in {folder} and could not be downloaded ({reason}). Put the extracted "
            f"'{base.base_folder}' folder (from the python version, {base.filename}) under {root}, "
            f"or pass root= / set SDARTS_DATA to the folder that holds it."
        )

    files = [f for f, _ in base.train_list + base.test_list] + [base.meta["filename"]]
    if not all((folder / f).is_file() for f in files):
        if not download:
            raise missing("download disabled")
        try:
            base(str(root), train=True, download=True)
        except (OSError, RuntimeError) as err:
            raise missing(err) from None
    try:
        train, test = (Local(str(root), train=t) for t in (True, False))
    except Exception as err:  # noqa: BLE001 - pickle, zlib and numpy errors alike mean a damaged file
        raise damaged_cifar(folder, files, err) from None

    def tensors(ds):
        return (torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous(),
                torch.as_tensor(ds.targets, dtype=torch.int64))

    return Images(*tensors(train), *tensors(test), mean, std, tuple(train.classes))


def damaged_cifar(folder: Path, files: list[str], err: Exception) -> ValueError:
    """Name the CIFAR file that cannot be unpickled (torchvision's loader reads them all at once)."""
    import pickle

    for f in files:
        try:
            with open(folder / f, "rb") as handle:
                entry = pickle.load(handle, encoding="latin1")
            if not isinstance(entry, dict):
                raise ValueError(f"a {type(entry).__name__}, not CIFAR's dict")
        except Exception as bad:  # noqa: BLE001 - whatever unpickling raises names this file
            return ValueError(f"{folder / f} is damaged ({type(bad).__name__}: {bad}); delete it and "
                              "download again, or put an intact copy there")
    return ValueError(f"the CIFAR files in {folder} do not fit together ({type(err).__name__}: {err}); "
                      "delete them and download again")


def cifar(name: str, num_classes: int, mean: tuple[float, ...], std: tuple[float, ...]) -> Dataset:
    """CIFAR-10 or CIFAR-100 declared: the same files' layout and recipe, its own classes and statistics."""
    return Dataset(name, image_size=32, channels=3, num_classes=num_classes, search_size=50_000,
                   test_size=10_000, shift=4, flip=True, load=partial(load_cifar, name, mean, std))


CIFAR10 = cifar("cifar10", 10, mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616))
CIFAR100 = cifar("cifar100", 100, mean=(0.5071, 0.4865, 0.4409), std=(0.2673, 0.2564, 0.2762))
