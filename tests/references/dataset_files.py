"""Tiny dataset files in the real formats (CIFAR's pickles, Fashion-MNIST's IDX), for the loaders'
tests: torchvision's own code reads them."""

import gzip
import pickle

import numpy as np


def write_cifar(root, name, n_train=20, n_test=10):
    """A tiny dataset in CIFAR's own on-disk format (pickled batches of uint8 rows)."""
    rng = np.random.default_rng(0)
    classes = 10 if name == "cifar10" else 100
    folder = root / ("cifar-10-batches-py" if name == "cifar10" else "cifar-100-python")
    folder.mkdir(parents=True)
    label_key = "labels" if name == "cifar10" else "fine_labels"

    def dump(fname, n):
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, classes, size=n).tolist()
        with open(folder / fname, "wb") as f:
            pickle.dump({"data": data, label_key: labels}, f)
        return data, labels

    if name == "cifar10":
        parts = [dump(f"data_batch_{i}", n_train // 5) for i in range(1, 6)]
        test = dump("test_batch", n_test)
        meta, key = "batches.meta", "label_names"
    else:
        parts = [dump("train", n_train)]
        test = dump("test", n_test)
        meta, key = "meta", "fine_label_names"
    with open(folder / meta, "wb") as f:
        pickle.dump({key: [f"class{i}" for i in range(classes)]}, f)
    train_x = np.concatenate([p[0] for p in parts])
    train_y = sum((p[1] for p in parts), [])
    return train_x, train_y, test


def write_idx(folder, n_train=12, n_test=6, gz=True, size=28):
    """A tiny Fashion-MNIST in its own on-disk format: IDX files (big-endian header, uint8 data)."""

    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, array, magic in (("images-idx3", images, 0x803), ("labels-idx1", labels, 0x801)):
            header = np.array([magic, *array.shape], dtype=">i4").tobytes()
            name = f"{split}-{kind}-ubyte"
            opener = gzip.open if gz else open
            with opener(folder / (name + (".gz" if gz else "")), "wb") as f:
                f.write(header + array.tobytes())
        written[split] = images, labels
    return written
