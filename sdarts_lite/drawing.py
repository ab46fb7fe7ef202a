"""Drawings of cells (graphviz): NAS-Bench-201 cells, and a DARTS genotype's normal and reduction
cells as DARTS' ``visualize.py`` draws them.  They read genotypes only.
"""

from __future__ import annotations

import shutil

import graphviz

from .genotypes import PARAM_FREE_OPS, DartsGenotype, NB201Genotype, parse_genotype
from .spaces.nb201.genotypes import NUM_NODES


def cell_graph(cells: NB201Genotype | str | dict[str, NB201Genotype | str]) -> graphviz.Digraph:
    """NAS-Bench-201 cells as a graph: nodes 0 (input) to 3 (output), edges labelled by operation;
    parameter-free operations dashed and red, ``none`` dotted and grey.  A dict draws several
    cells side by side, each titled by its key."""
    if not isinstance(cells, dict):
        cells = {"": cells}
    dot = graphviz.Digraph(graph_attr=dict(rankdir="LR"),
                           node_attr=dict(shape="circle", style="filled", fillcolor="#eeeeee"))
    for k, (title, genotype) in enumerate(cells.items()):
        g = NB201Genotype.parse(genotype)
        with dot.subgraph(name=f"cluster_{k}", graph_attr=dict(label=title, color="white")) as sub:
            for n in range(NUM_NODES):
                sub.node(f"{k}_{n}", "in" if n == 0 else "out" if n == NUM_NODES - 1 else str(n))
            for i, j, op in g.edges():
                sub.edge(f"{k}_{i}", f"{k}_{j}", label=op, **edge_style(op))
    return dot


def edge_style(op: str) -> dict:
    """Green for operations with parameters, red dashed for parameter-free, grey dotted for none."""
    if op == "none":
        return dict(color="#bbbbbb", style="dotted", fontcolor="#999999")
    if op in PARAM_FREE_OPS:
        return dict(color="#d62728", style="dashed", penwidth="2", fontcolor="#d62728")
    return dict(color="#2ca02c", penwidth="2")


def darts_cell_graph(genotype: DartsGenotype | str) -> graphviz.Digraph:
    """The normal and the reduction cell of a DARTS genotype, as DARTS' ``visualize.py`` draws
    them: inputs c_{k-2} and c_{k-1}, intermediate nodes 0-3, their concatenation c_{k}."""
    g = DartsGenotype.parse(genotype)
    dot = graphviz.Digraph(graph_attr=dict(rankdir="LR"),
                           node_attr=dict(shape="box", style="filled", fillcolor="#eeeeee"))
    for cell in ("normal", "reduce"):
        edges, concat = getattr(g, cell), getattr(g, f"{cell}_concat")
        attrs = dict(label=f"{cell} cell", color="white")
        with dot.subgraph(name=f"cluster_{cell}", graph_attr=attrs) as sub:
            names = [f"{cell}_in0", f"{cell}_in1"] + [f"{cell}_{n}" for n in range(len(edges) // 2)]
            sub.node(names[0], "c_{k-2}")
            sub.node(names[1], "c_{k-1}")
            for n in range(len(edges) // 2):
                sub.node(names[n + 2], str(n), shape="circle")
            sub.node(f"{cell}_out", "c_{k}")
            for e, (op, source) in enumerate(edges):
                sub.edge(names[source], names[e // 2 + 2], label=op, **edge_style(op))
            for n in concat:
                sub.edge(names[n], f"{cell}_out", color="#888888")
    return dot


def show_cell(cells: NB201Genotype | DartsGenotype | str | dict[str, NB201Genotype | str]
              ) -> graphviz.Digraph | None:
    """A cell's graph for display (NAS-Bench-201 cells, or a DARTS genotype's two cells); without
    graphviz's ``dot``, a one-line hint and the DOT source."""
    single = None if isinstance(cells, dict) else parse_genotype(cells)
    dot = darts_cell_graph(single) if isinstance(single, DartsGenotype) else cell_graph(cells)
    if shutil.which("dot") is None:
        print("graphviz's `dot` is not installed (apt-get install graphviz, brew install graphviz or "
              "conda install graphviz); here is the DOT source:")
        print(dot.source)
        return None
    return dot
