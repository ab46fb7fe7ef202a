import csv

import pytest
import torch

from sdarts_lite import EDGES, NB201_OPS, NB201Genotype, derive_genotype

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_every_benchmark_cell_parses_and_formats_back(nb201_csv):
    with open(nb201_csv, newline="") as f:
        strings = [row["ArchitectureString"] for row in csv.DictReader(f)]
    assert len(strings) == 15625
    assert len(set(strings)) == 15625
    for s in strings:
        assert str(NB201Genotype.parse(s)) == s


def test_parse_reads_ops_in_edge_order():
    g = NB201Genotype.parse(BEST)
    assert g.edges() == [(0, 1, "nor_conv_3x3"), (0, 2, "nor_conv_3x3"), (1, 2, "nor_conv_3x3"),
                         (0, 3, "skip_connect"), (1, 3, "nor_conv_3x3"), (2, 3, "nor_conv_3x3")]
    assert g.num_param_free() == 1


@pytest.mark.parametrize("text, names", [
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "3 node groups"),
    ("|conv_7x7~0|+|none~0|none~1|+|none~0|none~1|none~2|", "'conv_7x7' on edge 0->1"),
    ("|none~0|+|none~0|none~1|+|none~0|none~1|max_pool~2|", "'max_pool' on edge 2->3"),
    ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "'none~1'"),
    ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 needs 2 inputs"),
    ("none~0+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 group 'none~0'"),
    ("|none|+|none~0|none~1|+|none~0|none~1|none~2|", "'none'"),
    ("", "3 node groups"),
])
def test_malformed_strings_raise_naming_the_bad_part(text, names):
    with pytest.raises(ValueError) as err:
        NB201Genotype.parse(text)
    assert names in str(err.value)


def test_non_string_is_refused():
    with pytest.raises(ValueError, match="must be a string"):
        NB201Genotype.parse(None)


def test_derive_takes_the_argmax_of_each_edge():
    alphas = torch.zeros(len(EDGES), len(NB201_OPS))
    picks = [3, 2, 1, 4, 3, 1]
    for e, k in enumerate(picks):
        alphas[e, k] = 1.0
    assert derive_genotype(alphas).ops == tuple(NB201_OPS[k] for k in picks)


def test_none_competes_by_default_and_can_be_excluded():
    alphas = torch.zeros(len(EDGES), len(NB201_OPS))
    alphas[:, 0] = 2.0  # none strongest everywhere
    alphas[:, 3] = 1.0  # nor_conv_3x3 second
    assert derive_genotype(alphas).ops == ("none",) * 6
    assert derive_genotype(alphas, exclude_none=True).ops == ("nor_conv_3x3",) * 6


def test_derive_refuses_wrong_shape():
    with pytest.raises(ValueError, match="6x5"):
        derive_genotype(torch.zeros(5, 5))


def test_parse_passes_a_genotype_through():
    g = NB201Genotype.parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|")
    assert NB201Genotype.parse(g) is g
