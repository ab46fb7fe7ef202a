"""``fashion``: Fashion-MNIST (Zalando), 70,000 grey 28x28 images of clothes in 10 classes, read by
torchvision; its 60,000 training images are the search set, its 10,000 test images held out.

The four original IDX files are looked for, in order, in the folder given (``root=``, else
``SDARTS_DATA``, else ``~/.cache/sdarts-lite``) and its ``FashionMNIST/raw`` (torchvision's layout), then in
Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``); only then does
torchvision download them.  Gzipped files are unpacked once into ``<root>/FashionMNIST/raw``, where
torchvision's own ``FashionMNIST`` class reads them.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from .dataset import Dataset, Images

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")
# The training images' mean and standard deviation (of pixel values scaled to [0, 1]).
MEAN, STD = 0.2860, 0.3530
HOW_TO_GET = ("on Debian: apt-get install dataset-fashion-mnist; elsewhere: let torchvision download it "
              "(online), or put its four IDX files (.gz or unpacked) in a folder given as root= or "
              "SDARTS_DATA")


def complete(folder: Path) -> bool:
    """Whether ``folder`` holds all four files, each unpacked or gzipped."""
    return all((folder / f).is_file() or (folder / f"{f}.gz").is_file() for f in FILES)


def find_files(root: Path) -> Path | None:
    """The first folder that holds the four files: ``root``, its torchvision layout, Debian's."""
    for folder in (root, root / "FashionMNIST" / "raw", DEBIAN):
        if complete(folder):
            return folder
    return None


def unpack(source: Path, raw: Path) -> None:
    """Gunzip into torchvision's raw folder whatever is there only gzipped."""
    raw.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        if (raw / f).is_file():
            continue
        if (source / f).is_file():
            shutil.copyfile(source / f, raw / f)
            continue
        tmp = raw / f"{f}.part"
        try:
            with gzip.open(source / f"{f}.gz") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
            tmp.unlink(missing_ok=True)
            raise ValueError(f"fashion: {source / f'{f}.gz'} is damaged ({err}); delete it and get it again "
                             f"({HOW_TO_GET})") from None
        tmp.rename(raw / f)


def damaged(raw: Path, err: Exception) -> ValueError:
    """Name the file torchvision's reader cannot parse (it says only that an assertion failed)."""
    from torchvision.datasets.mnist import read_image_file, read_label_file

    for f in FILES:
        try:
            (read_image_file if "images" in f else read_label_file)(str(raw / f))
        except Exception as bad:  # noqa: BLE001 - whatever the reader raises names this file
            return ValueError(f"fashion: {raw / f} is damaged ({type(bad).__name__}: {bad}); delete it "
                              f"and get it again ({HOW_TO_GET})")
    return ValueError(f"fashion: the files in {raw} do not fit together ({err}); delete them and get "
                      "them again")


def load_fashion(root: Path, download: bool) -> Images:
    """The training images as the search set, the test images held out: uint8 (N, 1, 28, 28)."""
    from torchvision import datasets

    raw = root / "FashionMNIST" / "raw"
    source = find_files(root)
    if source is not None:
        unpack(source, raw)
    elif download:
        try:
            datasets.FashionMNIST(str(root), train=True, download=True)
        except (OSError, RuntimeError) as err:
            raise FileNotFoundError(f"fashion: not found in {root} nor {DEBIAN}, and the download failed "
                                    f"({str(err).splitlines()[0] if str(err) else type(err).__name__}); "
                                    f"{HOW_TO_GET}") from None
    else:
        raise FileNotFoundError(f"fashion: not found in {root} nor {DEBIAN} (download disabled); "
                                f"{HOW_TO_GET}")
    try:
        train, test = (datasets.FashionMNIST(str(root), train=t) for t in (True, False))
        tensors = [t for ds in (train, test) for t in (ds.data.unsqueeze(1), ds.targets)]
    except Exception as err:  # noqa: BLE001 - torchvision's reader raises assertions and view errors alike
        raise damaged(raw, err) from None
    for (x, y), split in ((tensors[:2], "train"), (tensors[2:], "t10k")):
        if len(x) != len(y) or x.shape[-2:] != (28, 28):
            raise ValueError(f"fashion: {raw / f'{split}-images-idx3-ubyte'} holds {len(x)} images of "
                             f"{tuple(x.shape[-2:])} pixels for {len(y)} labels; delete the files and get "
                             f"them again ({HOW_TO_GET})")
    return Images(*tensors, (MEAN,), (STD,), CLASSES)


# A mirrored garment keeps its class: every class (shirts, trousers, shoes, bags...) is a kind of
# object whose left-right mirror image is the same kind, and the photographs' left-right pose (a
# shoe's toe points left) carries no class information; so augmentation may flip, as for CIFAR.  An
# upside-down one would not be a fair sample (no shoe stands on its sole's top), so no vertical flips,
# here or anywhere.
FASHION = Dataset("fashion", image_size=28, channels=1, num_classes=len(CLASSES), search_size=60_000,
                  test_size=10_000, shift=0, flip=True, load=load_fashion)
