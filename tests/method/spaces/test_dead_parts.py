"""Dead nodes and edges of a cell, on cells whose answer is worked out by hand."""

import pytest

from sdarts_lite import DARTS_V2, parse_genotype
from sdarts_lite.method.spaces import dead_parts, live_param_ops
from sdarts_lite.pictures.cell_drawings import LEGEND, cell_graph


def parts(genotype):
    return dead_parts(parse_genotype(genotype).diagram()[""])


@pytest.mark.parametrize("genotype, nodes, edges", [
    # the rerun's cell: three convolutions by edge count, but 1->out and 2->out are none, so nodes 1
    # and 2 never reach the output: only the pooling of the input does
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|none~2|", {"1", "2"},
     {0, 1, 2, 4, 5}),
    # one none edge, every node still on a path from in to out
    ("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|", set(), {2}),
    # node 1 gets nothing from the input (0->1 is none): its outgoing convolution carries only zeros
    ("|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", {"1"},
     {0, 2, 4}),
    # all none: nothing reaches the output, every node but nothing else is dead
    ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", {"0", "1", "2", "3"}, set(range(6))),
])
def test_dead_nodes_and_edges_of_nb201_cells(genotype, nodes, edges):
    assert parts(genotype) == (nodes, edges)


def test_darts_v2_has_no_dead_node():
    for part in parse_genotype(DARTS_V2).diagram().values():
        assert dead_parts(part) == (set(), set())


def test_the_drawing_marks_dead_nodes_and_carries_its_legend():
    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|none~2|"
    source = cell_graph(cell).source
    assert source.count("(dead)") == 2 and LEGEND in source
    assert LEGEND not in cell_graph(DARTS_V2, legend=False).source


@pytest.mark.parametrize("genotype, live", [
    # the rerun's cell: three convolutions by edge count, none of them reaching the output
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|none~2|", 0),
    # every edge a convolution: all six reach the output
    ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|", 6),
    # node 1 cut off from the input: its convolutions 1->2 and 1->3 are dead; 0->2, 2->3 live
    ("|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", 2),
    # node 1 cut off, and node 2 reached only through it: of four convolutions, 0->3 alone is live
    ("|none~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", 1),
    # the best cell: five convolutions and a skip, all live
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", 5),
])
def test_live_parameterised_operations_of_nb201_cells(genotype, live):
    assert live_param_ops(genotype) == live


def test_live_parameterised_operations_of_darts_v2():
    # normal cell: five sep_conv_3x3 and a dil_conv_3x3 (two skips); reduction: pools and skips only
    assert live_param_ops(DARTS_V2) == 6
