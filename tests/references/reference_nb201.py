"""The NAS-Bench-201 supernets side by side: mapping weights between the package's two forms
(the readable per-edge ``SearchCell`` and the ``FusedSearchCell``) and onto xautodl's
``TinyNetworkDarts``, the benchmark's own search supernet, the independent oracle.
"""

from __future__ import annotations

import torch

from sdarts_lite.method.spaces.nb201.genotypes import EDGES, NB201_OPS, NUM_NODES
from sdarts_lite.method.spaces.nb201.supernet import CONV_OPS, FusedSearchCell, SearchCell


def search_cells(net) -> list[tuple[str, SearchCell | FusedSearchCell]]:
    """``(name, cell)`` of every search cell of a package supernet, of either form."""
    return [(name, m) for name, m in net.named_modules() if isinstance(m, (SearchCell, FusedSearchCell))]


def edge_conv(cell, i: int, j: int, op: str):
    """The tensor holding ``op``'s convolution on edge i->j of a package search cell, and its rows."""
    return cell.edge_tensors(i, j, op)["1.weight"]


def skeleton_parameters(net) -> list[tuple[str, torch.nn.Parameter]]:
    """The parameters outside the search cells and alpha: stem, reductions, classifier."""
    cells = tuple(f"{name}." for name, _ in search_cells(net))
    return [(name, p) for name, p in net.named_parameters()
            if name != "alphas" and not name.startswith(cells)]


def copy_weights(source, target) -> None:
    """Give the package supernet ``target`` the parameters of ``source`` (either form to either)."""
    with torch.no_grad():
        target.alphas.copy_(source.alphas)
        for (name, cell), (other_name, other) in zip(search_cells(source), search_cells(target)):
            assert name == other_name
            for i, j in EDGES:
                for op in CONV_OPS:
                    (w, rows), (v, other_rows) = edge_conv(cell, i, j, op), edge_conv(other, i, j, op)
                    v[other_rows].copy_(w[rows])
        shared = dict(target.named_parameters())
        for name, p in skeleton_parameters(source):
            shared[name].copy_(p)


def xautodl_nb201(C=16, N=5, num_classes=10):
    """xautodl's NAS-Bench-201 DARTS supernet (``TinyNetworkDarts``), the code behind the
    benchmark's own DARTS results; its forward returns ``(features, logits)``.  Needs
    ``pip install --no-deps xautodl``."""
    from xautodl.models import get_cell_based_tiny_net, get_search_spaces

    return get_cell_based_tiny_net(dict(
        name="DARTS-V1", C=C, N=N, max_nodes=NUM_NODES, num_classes=num_classes,
        space=get_search_spaces("cell", "nas-bench-201"), affine=False, track_running_stats=False))


def xautodl_edge_conv(xnet, cell: str, i: int, j: int, op: str):
    """The convolution of operation ``op`` on edge i->j of cell ``cell`` (e.g. ``"cells.0"``)."""
    return xnet.get_submodule(cell).edges[f"{j}<-{i}"][NB201_OPS.index(op)].op[1]


def copy_weights_to_xautodl(net, xnet) -> None:
    """Give xautodl's ``TinyNetworkDarts`` the parameters of the package supernet ``net`` (either form).

    xautodl's search convolutions carry a bias (BN without affine cancels it); it is set to zero.
    """
    with torch.no_grad():
        xnet.arch_parameters.copy_(net.alphas)
        for name, cell in search_cells(net):
            for i, j in EDGES:
                for op in CONV_OPS:
                    weight, rows = edge_conv(cell, i, j, op)
                    target = xautodl_edge_conv(xnet, name, i, j, op)
                    target.weight.copy_(weight[rows])
                    target.bias.zero_()
        shared = dict(xnet.named_parameters())
        for name, p in skeleton_parameters(net):
            shared[xautodl_name(name)].copy_(p)


def xautodl_name(name: str) -> str:
    """The xautodl name of a skeleton parameter (its ReLUConvBN keeps the layers in ``.op``)."""
    return name.replace("conv_a.", "conv_a.op.").replace("conv_b.", "conv_b.op.")
