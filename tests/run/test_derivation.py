"""Issue 34's settings on real searches: the derivation rule (may `none` win an edge?), a record's
cells derived again under the other rule, and the half-data control's stream."""

import pytest
import torch

from sdarts_lite import DARTS_V2, NB201_OPS, make_config, search
from sdarts_lite.analysis.measures import derived_again
from sdarts_lite.run.search import search_data, search_streams

SMALL = dict(C=4, N=1, epochs=3, batch_size=64, arch_lr=0.3, progress=False)


@pytest.mark.parametrize("space, activation, derivation, excluded", [
    ("nb201", "softmax", "auto", False), ("nb201", "sigmoid", "auto", True),
    ("darts", "softmax", "auto", True),
    ("nb201", "softmax", "without_none", True), ("nb201", "sigmoid", "with_none", False),
    ("darts", "softmax", "with_none", False),
])
def test_the_rule_each_setting_names(space, activation, derivation, excluded):
    preset = "darts-digits" if space == "darts" else "digits"
    assert make_config(preset, activation=activation, derivation=derivation).exclude_none() is excluded


def test_unknown_rules_and_half_data_with_two_batches_are_refused():
    with pytest.raises(ValueError, match="derivation: unknown 'no_none'"):
        make_config("digits", derivation="no_none")
    with pytest.raises(ValueError, match="half_data: bilevel1 already learns"):
        make_config("digits", optimizer="bilevel1", half_data=True)


def test_without_none_no_epoch_s_cell_has_none_and_derived_again_agrees():
    searched = search(preset="digits", seed=3, derivation="without_none", **SMALL)
    assert all("none" not in r.genotype for r in searched.epochs)
    again = derived_again(search(preset="digits", seed=3, derivation="with_none", **SMALL), exclude_none=True)
    # the same search (the rule changes no step), its cells derived again from the recorded weights
    assert [r.genotype for r in again.epochs] == [r.genotype for r in searched.epochs]
    assert again.config["derivation"] == "without_none" and again.genotype == searched.genotype


def test_with_none_derived_again_from_weights_is_the_search_s_own_cells():
    searched = search(preset="digits", seed=4, derivation="with_none", **SMALL)
    again = derived_again(searched, exclude_none=False)
    assert [r.genotype for r in again.epochs] == [r.genotype for r in searched.epochs]


def test_a_record_with_none_ahead_loses_it_only_where_none_led():
    weights = torch.full((6, 5), 0.1)
    weights[:, NB201_OPS.index("nor_conv_3x3")] = 0.3
    weights[2, NB201_OPS.index("none")] = 0.5  # edge 2 (1->2): none leads, then nor_conv_3x3
    weights[4, NB201_OPS.index("none")] = 0.5
    weights[4, NB201_OPS.index("skip_connect")] = 0.35  # edge 4 (1->3): none, then skip
    history = search(preset="digits", seed=0, **{**SMALL, "epochs": 1})
    history.epochs[0].mixing = weights.tolist()
    assert derived_again(history, False).genotype == \
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|"
    assert derived_again(history, True).genotype == \
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_3x3~2|"


def test_darts_records_derive_again_to_the_search_s_cells():
    searched = search(preset="darts-digits", seed=1, progress=False, epochs=1)
    again = derived_again(searched, exclude_none=True)
    assert again.genotype == searched.genotype and str(DARTS_V2) != again.genotype


def test_half_data_streams_bi_level_s_training_half_alone():
    config = make_config("digits", half_data=True, budget="epochs")
    data = search_data(config)
    (stream,) = search_streams(data, config, generator=torch.Generator().manual_seed(0))
    train_x, _ = data.halves()[0]
    assert torch.equal(stream.x, train_x) and len(stream.x) == len(data.search_x) // 2
    full = search(preset="digits", budget="epochs", **{**SMALL, "epochs": 1})
    half = search(preset="digits", budget="epochs", half_data=True, **{**SMALL, "epochs": 1})
    assert half.steps_per_epoch == len(train_x) // 64 and full.steps_per_epoch == len(data.search_x) // 64
