"""One palette: a colour means one thing in every figure and widget, and the reference values the
figures draw are the ones their sources give."""

import numpy as np
import pytest

from sdarts_lite import OPTIMIZERS, REGISTRY, get_space, load_benchmark
from sdarts_lite.frontends.widgets import RELAXATIONS, SearchPanel
from sdarts_lite.pictures import palette


def test_every_optimizer_has_a_name_and_a_colour_of_its_own():
    colours = {palette.colour(name) for name in OPTIMIZERS}
    assert len(colours) == len(OPTIMIZERS)
    assert all(palette.label(name) != name for name in OPTIMIZERS)  # a readable name, not the key
    assert palette.colour("single-steps") == palette.colour("single")  # a study's group is its optimizer


def test_no_colour_means_two_things():
    optimizers = {palette.colour(n) for n in OPTIMIZERS} | {palette.colour(r) for r in palette.RELAXATIONS}
    ops = {c for space in REGISTRY.values() for c in space.colours.values()}
    kinds = {palette.PARAMETERISED, palette.PARAM_FREE, palette.NONE, palette.DEAD, palette.REFERENCE}
    assert not optimizers & ops and not optimizers & kinds
    assert not (ops - {palette.PARAMETERISED, palette.NONE}) & kinds  # conv 3x3 is drawn as "has parameters"


def test_widgets_name_optimizers_and_relaxations_as_figures_do():
    assert SearchPanel().optimizer.options == tuple((palette.label(name), name) for name in OPTIMIZERS)
    assert set(RELAXATIONS.values()) == set(palette.RELAXATIONS)


def test_a_name_it_does_not_know_gets_the_others_in_turn():
    assert [palette.colour("run a", 0), palette.colour("run b", 1)] == palette.OTHERS[:2]
    assert palette.colour("bi-level") == palette.colour("bilevel1")
    assert palette.label("bi-level") == "bi-level"


def test_uniform_share_and_chance_by_hand():
    nb201, darts = get_space("nb201"), get_space("darts")
    assert palette.uniform_share(nb201.ops, nb201.param_free) == pytest.approx(3 / 5)
    sigmoid = [op for op in nb201.ops if op != "none"]
    assert palette.uniform_share(sigmoid, nb201.param_free) == pytest.approx(2 / 4)
    assert palette.chance_param_free_edges(6, nb201.derivable_ops, nb201.param_free) == pytest.approx(3.6)
    darts_chance = palette.chance_param_free_edges(16, darts.derivable_ops, darts.param_free)
    assert darts_chance == pytest.approx(16 * 3 / 7)  # none never wins a DARTS edge


def test_the_reference_accuracies_are_the_tables(nb201_csv):
    bench = load_benchmark(nb201_csv)
    assert round(float(bench.accuracies("cifar10").max()), 2) == palette.NB201_OPTIMUM
    all_skip = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+" \
               "|skip_connect~0|skip_connect~1|skip_connect~2|"
    assert round(bench.query(all_skip).accuracy["cifar10"], 2) == palette.NB201_ALL_SKIP


def test_a_random_cell_s_accuracies_are_the_tables(nb201_csv):
    bench = load_benchmark(nb201_csv)
    acc = np.asarray(bench.cell_acc["cifar10"])
    without = np.array(["none" not in arch for arch in bench.archs])
    assert without.sum() == 4 ** 6
    for exclude_none, values in ((False, acc), (True, acc[without])):
        expected = (values.mean(), *np.percentile(values, [25, 50, 75]))
        assert palette.NB201_RANDOM[exclude_none] == tuple(round(float(v), 2) for v in expected)
