"""A new dataset costs one declaration: a toy one of random colour images, declared here as a source
module declares one and registered, loads through ``load_dataset`` and is held to the same checks;
the built-in declarations say what their loaders give; and ``data/`` imports in no circle."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from sdarts_lite.data.dataset import Dataset, Images
from sdarts_lite.data.images import (
    DATASETS,
    REGISTRY,
    check_image_size,
    check_subset_size,
    get_dataset,
    load_dataset,
    register,
)
from tests.test_layers import ROOT, imports, modules


def load_toy(root, download) -> Images:
    """60 random 6x6 colour images in 3 classes: 40 to search on, 20 held out."""
    x = torch.randint(0, 256, (60, 3, 6, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    y = torch.arange(60) % 3
    return Images(x[:40], y[:40], x[40:], y[40:], (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), ("a", "b", "c"))


TOY = Dataset("toy", image_size=6, channels=3, num_classes=3, search_size=40, test_size=20, shift=1,
              flip=True, load=load_toy)


@pytest.fixture
def toy():
    register(TOY)  # the registry line
    yield TOY
    REGISTRY.pop("toy")


def rows(x: torch.Tensor) -> set[bytes]:
    return {bytes(img.flatten().numpy()) for img in x}


def test_a_registered_toy_dataset_loads_resized_and_subset_by_name(toy):
    full = load_toy(None, False)
    data = load_dataset("toy", image_size=12, search_size=10, test_size=5)
    assert (data.name, data.num_classes, data.in_channels, data.image_size) == ("toy", 3, 3, 12)
    assert (data.shift, data.flip, data.mean, data.classes) == (1, True, full.mean, full.classes)
    # the reference: every image resized by torch's bilinear interpolation, rounded to uint8
    resized = {split: F.interpolate(x.float(), size=(12, 12), mode="bilinear").round().to(torch.uint8)
               for split, x in (("search", full.search_x), ("test", full.test_x))}
    assert len(data.search_y) == 10 and rows(data.search_x) <= rows(resized["search"])
    assert len(data.test_y) == 5 and rows(data.test_x) <= rows(resized["test"])
    again = load_dataset("toy", image_size=12, search_size=10, test_size=5)
    assert torch.equal(again.search_x, data.search_x) and torch.equal(again.test_y, data.test_y)


def test_the_generic_checks_read_the_toy_declaration(toy):
    assert check_image_size("toy", None) == 6 and check_image_size("toy", 24) == 24
    with pytest.raises(ValueError, match=r"image_size: at most 24 for toy \(4 x its own 6 pixels"):
        check_image_size("toy", 25)
    assert check_subset_size("search_size", None, "toy") == 40
    assert check_subset_size("test_size", None, "toy") == 20
    with pytest.raises(ValueError, match="search_size: toy has 40 search images, got 41"):
        load_dataset("toy", search_size=41)
    with pytest.raises(ValueError, match="test_size: toy has 20 held-out images, got 21"):
        check_subset_size("test_size", 21, "toy")


def test_without_its_registry_line_the_toy_dataset_is_refused():
    assert DATASETS == tuple(REGISTRY) == ("digits", "shapes", "fashion", "cifar10", "cifar100")
    with pytest.raises(ValueError, match="dataset: unknown 'toy'; allowed: digits, shapes, fashion, cifar10"):
        load_dataset("toy")
    with pytest.raises(ValueError, match="dataset: unknown 'toy'"):
        check_image_size("toy", None)


def test_a_loader_unlike_its_declaration_is_refused_naming_the_dataset():
    register(replace(TOY, name="liar", image_size=8))
    try:
        with pytest.raises(ValueError, match=r"liar: its loader gave 40 search images of \(3, 6, 6\) for 40 "
                                             r"labels; it is declared with images of \(3, 8, 8\)"):
            load_dataset("liar")
    finally:
        REGISTRY.pop("liar")


@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_an_offline_dataset_loads_what_its_declaration_says(name):
    declared, data = get_dataset(name), load_dataset(name)
    assert (len(data.search_y), len(data.test_y)) == (declared.search_size, declared.test_size)
    assert (data.in_channels, data.image_size) == (declared.channels, declared.image_size)
    assert set(data.search_y.tolist()) == set(range(declared.num_classes)) == set(range(len(data.classes)))


def in_circles(root, names: list[str]) -> list[str]:
    """The modules among ``names`` that reach themselves through their imports of one another: any
    import, even one inside a function, since a circle there still ties the modules together."""
    edges = {m: {n for n in imports(root, m) if n in names} for m in names}

    def reach(module: str) -> set[str]:
        seen, todo = set(), [module]
        while todo:
            new = edges[todo.pop()] - seen
            seen |= new
            todo.extend(new)
        return seen

    return sorted(m for m in names if m in reach(m))


def test_the_data_modules_import_in_no_circle():
    data = [m for m in modules() if m.startswith("sdarts_lite.data")]
    assert "sdarts_lite.data.images" in data and "sdarts_lite.data.cifar" in data
    assert in_circles(ROOT, data) == []


def test_the_circle_finder_finds_one_through_a_function_body(tmp_path):
    """As the dataset modules once were: one imports the other at the top, the other imports it back
    inside a function; a third imports one of them and is in no circle."""
    files = {"__init__.py": "", "images.py": "def load():\n    from .cifar import load_cifar\n",
             "cifar.py": "from .images import ImageData\n", "batches.py": "from .images import load\n"}
    (tmp_path / "pkg").mkdir()
    for name, text in files.items():
        (tmp_path / "pkg" / name).write_text(text)
    names = ["pkg", "pkg.images", "pkg.cifar", "pkg.batches"]
    assert in_circles(tmp_path, names) == ["pkg.cifar", "pkg.images"]


def test_a_registered_toy_dataset_is_searched_and_trained_on_as_the_others(toy, one_thread):
    """A config and a training run take it by name, the search's images as load_dataset gives them."""
    import sdarts_lite as sl

    config = sl.make_config("digits", dataset="toy", image_size=8, C=2, N=1, epochs=1, batch_size=8,
                            sharpness_every=0)
    h = sl.search(config, progress=False)
    assert h.config["dataset"] == "toy" and len(h.epochs) == 1
    data = sl.search_data(config)
    assert torch.equal(data.search_x, load_dataset("toy", image_size=8).search_x)
    assert sl.TrainConfig(dataset="toy", epochs=1).dataset == "toy"
