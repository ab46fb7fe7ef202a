"""CIFAR-10 and CIFAR-100 through torchvision's own loader: downloaded when online, else read from
the files a user put in place, a damaged file named."""

from __future__ import annotations

from pathlib import Path

import torch

from .images import ImageData

CIFAR_STATS = {  # per-channel mean and std of the training images
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


def load_cifar(name: str, root: Path, download: bool) -> ImageData:
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
    mean, std = CIFAR_STATS[name]

    def tensors(ds):
        return (torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous(),
                torch.as_tensor(ds.targets, dtype=torch.int64))

    (sx, sy), (tx, ty) = tensors(train), tensors(test)
    return ImageData(name, sx, sy, tx, ty, len(train.classes), mean, std, 4, True, tuple(train.classes))


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
