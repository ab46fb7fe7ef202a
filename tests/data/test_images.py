
import pytest
import torch
import torch.nn.functional as F
from dataset_files import write_cifar, write_idx

from sdarts_lite import Batches, load_dataset


def test_digits_is_real_offline_data_with_a_fixed_disjoint_split():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.search_x.shape == (1438, 1, 8, 8) and a.test_x.shape == (359, 1, 8, 8)
    assert torch.equal(a.test_x, b.test_x) and torch.equal(a.search_y, b.search_y)
    assert set(a.search_y.tolist()) == set(range(10)) and a.num_classes == 10
    from sklearn.datasets import load_digits
    raw = torch.from_numpy(load_digits().images)
    assert len(a.search_y) + len(a.test_y) == len(raw)
    # the scaled images are the originals (0..16 mapped onto 0..255)
    originals = {tuple((img * 255 / 16).round().flatten().tolist()) for img in raw}
    assert all(tuple(x.flatten().tolist()) in originals for x in a.test_x[:50].double())
    search = {tuple(x.flatten().tolist()) for x in a.search_x}
    assert sum(tuple(x.flatten().tolist()) in search for x in a.test_x) < 10  # digits has a few duplicates


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_loads_through_torchvision_from_files_in_cifar_format(tmp_path, name):
    train_x, train_y, (test_x, test_y) = write_cifar(tmp_path, name)
    data = load_dataset(name, root=tmp_path, download=False)
    assert data.search_x.shape == (20, 3, 32, 32) and data.test_x.shape == (10, 3, 32, 32)
    assert data.num_classes == (10 if name == "cifar10" else 100)
    expected = torch.from_numpy(train_x.reshape(-1, 3, 32, 32))
    assert torch.equal(data.search_x, expected)
    assert data.search_y.tolist() == train_y and data.test_y.tolist() == test_y
    assert data.shift == 4 and data.flip


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_missing_cifar_offline_says_where_to_put_the_files(tmp_path, name):
    with pytest.raises(FileNotFoundError) as err:
        load_dataset(name, root=tmp_path, download=False)
    folder = "cifar-10-batches-py" if name == "cifar10" else "cifar-100-python"
    assert str(tmp_path / folder) in str(err.value) and "SDARTS_DATA" in str(err.value)


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="dataset: unknown 'mnist'"):
        load_dataset("mnist")


def test_resize_and_halves():
    data = load_dataset("digits", image_size=16)
    assert data.search_x.shape[-2:] == (16, 16) and data.search_x.dtype == torch.uint8
    (wx, _), (ax, _) = data.halves()
    assert len(wx) + len(ax) == len(data.search_x) and abs(len(wx) - len(ax)) <= 1


def test_batches_are_seeded_normalised_and_cover_a_permutation():
    data = load_dataset("digits")
    def take(seed):
        return list(Batches(data.search_x, data.search_y, data, 100, torch.Generator().manual_seed(seed)))

    a, b, c = take(1), take(1), take(2)
    assert all(torch.equal(x1, x2) for (x1, _), (x2, _) in zip(a, b))
    assert not torch.equal(a[0][0], c[0][0])
    assert len(a) == len(data.search_y) // 100
    labels = torch.cat([y for _, y in a])
    assert len(set(labels.tolist())) == 10
    x = torch.cat([x for x, _ in a])
    assert abs(float(x.mean())) < 0.1 and abs(float(x.std()) - 1) < 0.1
    full = list(Batches(data.test_x, data.test_y, data, 100))  # evaluation: all images, in order
    assert torch.equal(torch.cat([y for _, y in full]), data.test_y)


def test_augmentation_matches_a_per_image_crop_and_flip(tmp_path):
    """CIFAR's augmentation: pad 4 black pixels, crop at a random offset, flip half, then normalise."""
    write_cifar(tmp_path, "cifar10")
    data = load_dataset("cifar10", root=tmp_path, download=False)
    assert (data.shift, data.flip) == (4, True)
    gen = torch.Generator().manual_seed(7)
    batches = Batches(data.search_x, data.search_y, data, 8, gen, shift=4, flip=True)
    state = gen.get_state()
    x, _ = next(iter(batches))
    # replay the generator: the permutation, then offsets and flips, applied image by image
    gen.set_state(state)
    order = torch.randperm(20, generator=gen)[:8]
    dy = torch.randint(0, 9, (8,), generator=gen)
    dx = torch.randint(0, 9, (8,), generator=gen)
    flip = torch.rand(8, generator=gen) < 0.5
    for i in range(8):
        img = F.pad(data.search_x[order[i]].float(), (4, 4, 4, 4))[:, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        if flip[i]:
            img = img.flip(-1)
        torch.testing.assert_close(x[i], (img - batches.mean[0]) / batches.std[0])


def test_digits_shift_moves_each_image_by_at_most_k_pixels_and_never_flips():
    """A shift of k: each image is its original moved by (dy, dx) in [-k, k], black where it came
    from outside; no image is mirrored (a mirrored digit is another symbol)."""
    data = load_dataset("digits")
    assert (data.shift, data.flip) == (0, False)
    gen = torch.Generator().manual_seed(3)
    batches = Batches(data.search_x, data.search_y, data, 64, gen, shift=1)
    state = gen.get_state()
    x, _ = next(iter(batches))
    gen.set_state(state)
    order = torch.randperm(len(data.search_y), generator=gen)[:64]
    raw = (x * batches.std + batches.mean).round()
    moved = 0
    for img, original in zip(raw, data.search_x[order].float()):
        padded = F.pad(original, (1, 1, 1, 1))
        shifts = [(dy, dx) for dy in range(3) for dx in range(3)
                  if torch.equal(img, padded[:, dy:dy + 8, dx:dx + 8])]
        assert shifts, "the image is not a shift of at most one pixel of its original"
        moved += (1, 1) not in shifts
    assert moved > 32  # most of the 64 images moved (8 of the 9 offsets move)


def test_a_step_budget_takes_that_many_batches_of_a_fresh_permutation_per_pass():
    data = load_dataset("digits")
    gen = torch.Generator().manual_seed(0)
    batches = Batches(data.search_x, data.search_y, data, 64, gen, steps=11)
    first, second = list(batches), list(batches)
    assert len(batches) == len(first) == len(second) == 11
    assert not torch.equal(first[0][1], second[0][1])
    assert Batches(data.search_x, data.search_y, data, 64, gen, steps=1000).steps == 1438 // 64


@pytest.fixture
def no_debian(monkeypatch, tmp_path):
    """As on a machine without Debian's dataset-fashion-mnist."""
    monkeypatch.setattr("sdarts_lite.data.fashion.DEBIAN", tmp_path / "no-such-package")


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_loads_through_torchvision_from_a_folder_of_idx_files(tmp_path, no_debian, gz):
    written = write_idx(tmp_path / "files", gz=gz)
    data = load_dataset("fashion", root=tmp_path / "files", download=False)
    for split, x, y in (("train", data.search_x, data.search_y), ("t10k", data.test_x, data.test_y)):
        images, labels = written[split]
        assert x.shape == (len(labels), 1, 28, 28) and x.dtype == torch.uint8
        assert torch.equal(x[:, 0], torch.from_numpy(images))
        assert torch.equal(y, torch.from_numpy(labels).long())
    assert data.num_classes == 10 and data.flip and data.shift == 0
    # unpacked once into torchvision's layout, where torchvision reads it again
    assert (tmp_path / "files" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    again = load_dataset("fashion", root=tmp_path / "files", download=False)
    assert torch.equal(again.search_x, data.search_x)


def test_fashion_is_found_through_sdarts_data(tmp_path, no_debian, monkeypatch):
    write_idx(tmp_path / "FashionMNIST" / "raw")
    monkeypatch.setenv("SDARTS_DATA", str(tmp_path))
    assert load_dataset("fashion", download=False, image_size=12).search_x.shape == (12, 1, 12, 12)


def test_missing_fashion_names_both_ways_to_get_it(tmp_path, no_debian):
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("fashion", root=tmp_path, download=False)
    message = str(err.value)
    assert "\n" not in message and "apt-get install dataset-fashion-mnist" in message
    assert "torchvision" in message and "SDARTS_DATA" in message


@pytest.mark.parametrize("gz", [True, False])
def test_a_damaged_fashion_file_is_named_in_one_line(tmp_path, no_debian, gz):
    write_idx(tmp_path, gz=gz)
    name = "t10k-labels-idx1-ubyte" + (".gz" if gz else "")
    (tmp_path / name).write_bytes((tmp_path / name).read_bytes()[:5])  # cut short
    with pytest.raises(ValueError) as err:
        load_dataset("fashion", root=tmp_path, download=False)
    assert "t10k-labels-idx1-ubyte" in str(err.value) and "damaged" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_a_damaged_cifar_file_is_named_in_one_line(tmp_path, name):
    write_cifar(tmp_path, name)
    folder = tmp_path / ("cifar-10-batches-py" if name == "cifar10" else "cifar-100-python")
    victim = folder / ("test_batch" if name == "cifar10" else "test")
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(ValueError) as err:
        load_dataset(name, root=tmp_path, download=False)
    assert str(victim) in str(err.value) and "damaged" in str(err.value) and "\n" not in str(err.value)


def test_the_real_fashion_mnist_when_it_is_installed():
    from sdarts_lite.data.fashion import DEBIAN, complete

    if not complete(DEBIAN):
        pytest.skip(f"Fashion-MNIST not at {DEBIAN} (apt-get install dataset-fashion-mnist)")
    data = load_dataset("fashion")
    assert data.search_x.shape == (60000, 1, 28, 28) and data.test_x.shape == (10000, 1, 28, 28)
    assert torch.bincount(data.search_y).tolist() == [6000] * 10  # balanced, as Zalando made it
    assert torch.bincount(data.test_y).tolist() == [1000] * 10
    mean = data.search_x.double().mean() / 255
    assert abs(mean - data.mean[0]) < 1e-3 and abs(data.search_x.double().std() / 255 - data.std[0]) < 1e-3


def test_search_size_and_test_size_draw_the_same_images_for_every_run():
    full = load_dataset("digits")
    a, b = (load_dataset("digits", search_size=300, test_size=100) for _ in range(2))
    assert a.search_x.shape == (300, 1, 8, 8) and torch.equal(a.search_x, b.search_x)
    assert a.test_x.shape == (100, 1, 8, 8) and torch.equal(a.test_y, b.test_y)
    assert torch.equal(load_dataset("digits", search_size=300).test_x, full.test_x)  # None keeps all
    for subset, whole in ((a.search_x, full.search_x), (a.test_x, full.test_x)):
        rows = {tuple(x.flatten().tolist()) for x in whole}
        assert all(tuple(x.flatten().tolist()) in rows for x in subset)
    with pytest.raises(ValueError, match="search_size: digits has 1438 search images"):
        load_dataset("digits", search_size=1439)
    with pytest.raises(ValueError, match="test_size: digits has 359 held-out images"):
        load_dataset("digits", test_size=360)
