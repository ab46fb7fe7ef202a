"""Training a derived cell from scratch: the fields it reports, reproducibility, a cell that can
learn against one that cannot, its settings (a ``TrainConfig`` or keywords, each checked when the
config is made), and cutout against a per-image reference."""

import dataclasses
import json
import math
import os

import pytest
import torch

from sdarts_lite import DARTS_V2, load_dataset
from sdarts_lite.evaluation.retrain import TrainConfig, TrainEpoch, TrainResult, cutout, train_from_scratch

CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"  # every cell outputs zeros
TINY = dict(C=4, depth=1, batch_size=64, progress=False)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def without_time(result):
    d = dataclasses.asdict(result)
    d.pop("seconds")
    for e in d["epochs"]:
        e.pop("seconds")
    return d


def test_nb201_cell_reports_sensible_fields_and_saves(digits, tmp_path):
    res = train_from_scratch(CONV, digits, epochs=2, **TINY)
    assert res.space == "nb201" and res.genotype == CONV and res.dataset == "digits"
    assert [e.epoch for e in res.epochs] == [0, 1]
    assert res.epochs[0].lr == 0.1 and 0 < res.epochs[1].lr < 0.1  # the cosine schedule
    assert res.settings["weight_decay"] == 5e-4 and res.settings["nesterov"]
    assert 0 <= res.test_acc <= 100 and res.test_acc == res.epochs[-1].test_acc
    assert res.params > 0 and res.seconds >= res.epochs[0].seconds > 0
    path = res.save(tmp_path / "run")
    assert path.name == "result.json" and json.loads(path.read_text())["test_acc"] == res.test_acc
    assert TrainResult.load(path) == res


def test_darts_cell_with_drop_path_and_cutout(digits):
    res = train_from_scratch(DARTS_V2, digits, epochs=2, C=4, depth=3, drop_path_prob=0.2, cutout_length=3,
                             progress=False)
    assert res.space == "darts" and res.settings["weight_decay"] == 3e-4 and res.epochs[0].lr == 0.025
    assert [e.drop_path_prob for e in res.epochs] == [0.0, 0.1]  # raised linearly over the epochs
    assert 0 <= res.test_acc <= 100 and res.params > 0


def test_same_seed_same_result(digits):
    a, b = (train_from_scratch(CONV, digits, epochs=1, seed=4, **TINY) for _ in range(2))
    assert without_time(a) == without_time(b)
    c = train_from_scratch(CONV, digits, epochs=1, seed=5, **TINY)
    assert without_time(c)["epochs"] != without_time(a)["epochs"]


def test_a_conv_cell_learns_where_the_all_none_cell_cannot(digits):
    conv = train_from_scratch(CONV, digits, epochs=3, **TINY)
    none = train_from_scratch(ALL_NONE, digits, epochs=3, **TINY)
    assert conv.test_acc > 70
    assert none.test_acc < 20  # a constant output: one class for every image, ~10%


def test_options_are_checked(digits):
    with pytest.raises(ValueError, match="drop_path_prob: the nb201 space's networks have neither"):
        train_from_scratch(CONV, digits, epochs=1, auxiliary=True, **TINY)
    with pytest.raises(ValueError, match="auxiliary=False"):  # 8x8 digits leave 2x2 maps for the head
        train_from_scratch(DARTS_V2, digits, epochs=1, C=4, depth=3, auxiliary=True, progress=False)
    with pytest.raises(ValueError, match="unknown operation"):
        train_from_scratch("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", digits, **TINY)
    for field, value in (("grad_clip", -5.0), ("lr", float("nan")), ("momentum", -0.9), ("epochs", 0)):
        with pytest.raises(ValueError, match=f"{field}: must be"):
            train_from_scratch(CONV, digits, **{"epochs": 1, **TINY, field: value})


def test_a_config_and_keyword_settings_train_alike(digits):
    by_config = train_from_scratch(CONV, digits, TrainConfig(epochs=1, C=4, depth=1, seed=3), progress=False)
    by_keywords = train_from_scratch(CONV, digits, epochs=1, C=4, depth=1, seed=3, progress=False)
    on_top = train_from_scratch(CONV, digits, TrainConfig(epochs=5, C=4, depth=1, seed=3), epochs=1,
                                progress=False)
    assert without_time(by_config) == without_time(by_keywords) == without_time(on_top)
    recorded = by_config.settings  # the recipe filled in where the config said None
    assert (recorded["lr"], recorded["weight_decay"], recorded["nesterov"]) == (0.1, 5e-4, True)
    again = TrainConfig(**{f.name: recorded[f.name] for f in dataclasses.fields(TrainConfig)})
    assert again == TrainConfig(epochs=1, C=4, depth=1, seed=3, lr=0.1, weight_decay=5e-4)


BAD = [("dataset", "mnist"), ("epochs", 0), ("C", 2.5), ("depth", 0), ("batch_size", True), ("lr", 0.0),
       ("momentum", -0.1), ("weight_decay", math.inf), ("grad_clip", math.nan), ("auxiliary", "yes"),
       ("auxiliary_weight", -1.0), ("drop_path_prob", 1.0), ("cutout_length", 2.5), ("seed", 2**32)]


def test_every_setting_has_a_bad_value_below():
    assert [name for name, _ in BAD] == [f.name for f in dataclasses.fields(TrainConfig)]


@pytest.mark.parametrize("field, value", BAD, ids=[name for name, _ in BAD])
def test_a_bad_setting_is_refused_when_the_config_is_made_naming_it(field, value):
    with pytest.raises(ValueError, match=f"^{field}: "):
        TrainConfig(**{field: value})
    with pytest.raises(ValueError, match=f"^{field}: "):
        dataclasses.replace(TrainConfig(), **{field: value})
    with pytest.raises(ValueError, match=f"^{field}: "):  # before any data is loaded or network built
        train_from_scratch(CONV, None, **{field: value})


def test_the_data_given_names_the_dataset(digits):
    with pytest.raises(TypeError, match="dataset"):
        train_from_scratch(CONV, "digits", dataset="shapes")
    res = train_from_scratch(CONV, digits, TrainConfig(dataset="shapes"), epochs=1, **TINY)
    assert res.dataset == res.settings["dataset"] == "digits"


def test_an_interrupted_save_leaves_the_previous_result(tmp_path, monkeypatch):
    epoch = TrainEpoch(0, 0.1, 0.0, 2.0, 10.0, 2.0, 10.0, 1.0)
    first = TrainResult("nb201", CONV, "digits", 100, 10.0, 2.0, 1.0, {"epochs": 1}, [epoch])
    path = first.save(tmp_path)
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(KeyboardInterrupt("killed")))
    with pytest.raises(KeyboardInterrupt):
        dataclasses.replace(first, test_acc=90.0).save(tmp_path)
    monkeypatch.undo()
    assert TrainResult.load(path) == first and (tmp_path / "result.json.tmp").exists()


def test_bad_options_name_the_field(digits):
    for field, value in (("drop_path_prob", 1.0), ("cutout_length", -1), ("cutout_length", 2.5)):
        with pytest.raises(ValueError, match=f"{field}: must be"):
            train_from_scratch(DARTS_V2, digits, epochs=1, C=4, depth=3, progress=False, **{field: value})


def reference_cutout(x, cy, cx, length):
    """DARTS' Cutout (utils.py), one image at a time, with the given centres."""
    out = x.clone()
    h, w = x.shape[-2:]
    for k in range(len(x)):
        y1, y2 = max(cy[k] - length // 2, 0), min(cy[k] + length // 2, h)
        x1, x2 = max(cx[k] - length // 2, 0), min(cx[k] + length // 2, w)
        out[k, :, y1:y2, x1:x2] = 0.0
    return out


@pytest.mark.parametrize("length", [4, 5])
def test_cutout_matches_darts_per_image(length):
    x = torch.randn(64, 3, 12, 10) + 10  # no zeros of its own
    out = cutout(x, length, torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)  # the centres, drawn as cutout documents
    cy = torch.randint(0, 12, (64, 1), generator=g).flatten().tolist()
    cx = torch.randint(0, 10, (64, 1), generator=g).flatten().tolist()
    assert torch.equal(out, reference_cutout(x, cy, cx, length))
    zeros = (out[:, 0] == 0).sum(dim=(1, 2))
    side = 2 * (length // 2)
    assert zeros.max() == side * side  # a full square wherever the centre is away from the borders
    assert (zeros > 0).all() and (out[:, 1:] == 0).sum() == 2 * zeros.sum()  # same square in every channel
