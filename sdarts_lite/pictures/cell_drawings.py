"""Drawings of cells (graphviz), of any space: each genotype says what to draw (``diagram()``):
NAS-Bench-201's one cell, a DARTS genotype's normal and reduction cells as DARTS' ``visualize.py``
draws them.  They read genotypes only.

The DOT source is laid out by graphviz's ``dot`` where it is installed, else by ``graphviz-pure``
(a port of ``dot`` that pip installs with this package), so a pip-only install draws cells too.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig

import graphviz

from ..method.spaces import dead_parts, live_in, param_free_ops, parse_genotype
from . import palette

Cells = object  # a genotype, its text, or a dict of titled ones


LEGEND = ("green: has parameters    red dashed: parameter-free    grey dotted: none    "
          "grey dashed node: dead (cut off from the input or the output)")


def cell_graph(cells: Cells, legend: bool = True) -> graphviz.Digraph:
    """A genotype's cells as a graph, as its ``diagram()`` lays them out (NAS-Bench-201: nodes 0,
    the input, to 3, the output; DARTS: the normal and the reduction cell), edges labelled by
    operation: with parameters green, parameter-free dashed and red, ``none`` dotted and grey;
    dead nodes (``spaces.dead_parts``) and the edges they cut off grey and dashed; under each cell,
    how many operations with parameters reach its output.  A dict draws several genotypes side by
    side, each titled by its key; ``legend`` writes what the styles mean."""
    if not isinstance(cells, dict):
        cells = {"": cells}
    dot = graphviz.Digraph(graph_attr=dict(rankdir="LR", fontsize="11", fontname="sans-serif",
                                           **({"label": LEGEND, "labelloc": "b"} if legend else {})),
                           node_attr=dict(shape="circle", style="filled", fillcolor="#eeeeee",
                                          fontname="sans-serif"),
                           edge_attr=dict(fontname="sans-serif"))
    k = 0
    for title, genotype in cells.items():
        for name, part in parse_genotype(genotype).diagram().items():
            dead_nodes, dead_edges = dead_parts(part)
            reach = f"{live_in(part, param_free_ops())} with parameters reach the output"
            label = "\n".join(t for t in (" ".join(t for t in (title, name) if t), reach) if t)
            with dot.subgraph(name=f"cluster_{k}", graph_attr=dict(label=label, color="white")) as sub:
                for node, text, shape in part["nodes"]:
                    dead = node in dead_nodes
                    style = dict(style="dashed", color=palette.DEAD, fontcolor="#757575") if dead else {}
                    sub.node(f"{k}_{node}", f"{text}\n(dead)" if dead else text, shape=shape, **style)
                for e, (i, j, op) in enumerate(part["edges"]):
                    style = edge_style(op, e in dead_edges) if op is not None else dict(color="#888888")
                    sub.edge(f"{k}_{i}", f"{k}_{j}", **({"label": op} if op else {}), **style)
            k += 1
    return dot


def edge_style(op: str, dead: bool = False) -> dict:
    """Green for operations with parameters, red dashed for parameter-free, grey dotted for none;
    a dead edge other than none grey and dashed, in the colour of its kind's label."""
    if op == "none":
        return dict(color=palette.NONE, style="dotted", fontcolor=palette.NONE)
    colour = palette.PARAM_FREE if op in param_free_ops() else palette.PARAMETERISED
    if dead:
        return dict(color=palette.DEAD, style="dashed", fontcolor=colour)
    return dict(color=colour, penwidth="2", fontcolor=colour,
                **({"style": "dashed"} if op in param_free_ops() else {}))


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


def show_cell(cells: Cells) -> CellDrawing | None:
    """A genotype's cells drawn for display (one genotype, or a dict of titled ones); with neither
    ``dot`` nor ``graphviz-pure``, a one-line hint and the DOT source."""
    graph = cell_graph(cells)
    if layout_program() is None:
        print("neither graphviz's `dot` nor `graphviz-pure` is installed (pip install graphviz-pure, "
              "or apt-get / brew / conda install graphviz); here is the DOT source:")
        print(graph.source)
        return None
    return CellDrawing(graph)
