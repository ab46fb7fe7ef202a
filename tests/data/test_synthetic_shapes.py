"""The generated ``shapes`` set: reproducible, balanced, disjoint splits, and the stripes it
promises are there (measured from the pixels, not taken from the generator's word)."""

import numpy as np
import torch

from sdarts_lite import load_dataset
from sdarts_lite.data.synthetic_shapes import CLASSES, make_shapes


def test_same_seed_same_images_other_seed_other_images():
    x, y = make_shapes(200, seed=3)
    x2, y2 = make_shapes(200, seed=3)
    x3, _ = make_shapes(200, seed=4)
    assert np.array_equal(x, x2) and np.array_equal(y, y2) and not np.array_equal(x, x3)
    assert x.dtype == np.uint8 and x.shape == (200, 1, 12, 12)
    assert np.bincount(y, minlength=10).tolist() == [20] * 10


def test_stripe_orientation_is_visible_in_the_pixel_gradients():
    x, y = make_shapes(2000)
    img = x[:, 0].astype(float)
    along_y = abs(np.diff(img, axis=1)).mean(axis=(1, 2))
    along_x = abs(np.diff(img, axis=2)).mean(axis=(1, 2))
    horizontal = np.array([CLASSES[k].endswith("horizontal") for k in y])
    assert (along_y > along_x)[horizontal].mean() > 0.8
    assert (along_x > along_y)[~horizontal].mean() > 0.8


def test_shapes_dataset_has_disjoint_search_and_test_images():
    data = load_dataset("shapes")
    assert (data.num_classes, data.in_channels, data.image_size) == (10, 1, 12)
    assert len(data.search_y) == 1400 and len(data.test_y) == 400
    search = {bytes(img.numpy()) for img in data.search_x}
    assert not any(bytes(img.numpy()) in search for img in data.test_x)
    assert torch.equal(load_dataset("shapes").search_x, data.search_x)
