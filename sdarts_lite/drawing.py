"""Drawings of cells (graphviz): NAS-Bench-201 cells, and a DARTS genotype's normal and reduction
cells as DARTS' ``visualize.py`` draws them.  They read genotypes only.

The DOT source is laid out by graphviz's ``dot`` where it is installed, else by ``graphviz-pure``
(a port of ``dot`` that pip installs with this package), so a pip-only install draws cells too.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig

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


def layout_program() -> str | None:
    """graphviz's ``dot`` on PATH, else ``graphviz-pure`` on PATH or beside this Python (a kernel
    started without the environment's ``bin`` on PATH still finds it)."""
    return (shutil.which("dot") or shutil.which("graphviz-pure")
            or shutil.which("graphviz-pure", path=sysconfig.get_path("scripts")))


def render(graph: graphviz.Digraph, fmt: str = "svg", dpi: int | None = None) -> bytes:
    """``graph`` laid out by ``layout_program()`` as ``fmt`` (``svg``, ``png``)."""
    program = layout_program()
    if program is None:
        raise FileNotFoundError("neither graphviz's `dot` nor `graphviz-pure` is installed")
    options = [f"-Gdpi={dpi}"] if dpi else []
    return subprocess.run([program, f"-T{fmt}", *options], input=graph.source.encode(),
                          capture_output=True, check=True).stdout


class CellDrawing:
    """A cell laid out as SVG: Jupyter shows it (``_repr_svg_``); reports and the book embed
    ``svg_element()``."""

    def __init__(self, graph: graphviz.Digraph):
        self.source = graph.source
        self.svg = render(graph).decode()

    def _repr_svg_(self) -> str:
        return self.svg

    def svg_element(self) -> str:
        """The ``<svg>`` element alone, without the XML prolog, for embedding in HTML."""
        return self.svg[self.svg.index("<svg"):]


def graph_of(cells: NB201Genotype | DartsGenotype | str | dict[str, NB201Genotype | str]) -> graphviz.Digraph:
    """The graph of NAS-Bench-201 cells (one, or a dict of titled ones) or of a DARTS genotype."""
    single = None if isinstance(cells, dict) else parse_genotype(cells)
    return darts_cell_graph(single) if isinstance(single, DartsGenotype) else cell_graph(cells)


def show_cell(cells: NB201Genotype | DartsGenotype | str | dict[str, NB201Genotype | str]
              ) -> CellDrawing | None:
    """A cell's drawing for display (NAS-Bench-201 cells, or a DARTS genotype's two cells); with
    neither ``dot`` nor ``graphviz-pure``, a one-line hint and the DOT source."""
    graph = graph_of(cells)
    if layout_program() is None:
        print("neither graphviz's `dot` nor `graphviz-pure` is installed (pip install graphviz-pure, "
              "or apt-get / brew / conda install graphviz); here is the DOT source:")
        print(graph.source)
        return None
    return CellDrawing(graph)
