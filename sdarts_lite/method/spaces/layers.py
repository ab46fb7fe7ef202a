"""What every space's networks are built from: the shared operations (ReLU-Conv-BN, identity,
zero), the relaxed edge and cell of DARTS eq. 1-2, and the architecture parameters alpha.

    MixedOp        one edge:  o_bar(x) = sum_o w_o(alpha) * o(x)                          (eq. 1)
    SearchCell     node j:    x_j = sum_{i<j} o_bar_(i,j)(x_i)                            (eq. 2)
    Relaxed        alpha, one row per edge, and its mixing weights w (``mixing.py``)

Each space's ``supernet.py`` builds its readable cell from these; its fused cell computes the same
sum faster, and the tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import EllipsisType

import torch
from torch import nn

from ...base.guards import positive_int
from ..mixing import RELAX, check_activation


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d -> BatchNorm (NAS-Bench-201's ``nor_conv``, DARTS' preprocessing)."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int = 1,
                 affine: bool = True, track_running_stats: bool = True):
        # A conv bias in front of a BN is cancelled by the BN's mean subtraction: none is kept.
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(C_in, C_out, kernel, stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(C_out, affine=affine, track_running_stats=track_running_stats),
        )


class Identity(nn.Module):
    """``skip_connect`` on a stride-1 edge."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Zero(nn.Module):
    """``none`` on a search edge: its input (subsampled on a stride-2 edge) times zero, as the
    reference search codes compute it."""

    def __init__(self, stride: int = 1):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


class MixedOp(nn.Module):
    """One edge: sum_o w_o * o(x) over the space's operations (DARTS eq. 1)."""

    def __init__(self, ops: Iterable[nn.Module]):
        super().__init__()
        self.ops = nn.ModuleList(ops)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return sum(w * op(x) for w, op in zip(weights, self.ops))


class SearchCell(nn.Module):
    """A cell whose edges (i, j) are MixedOps: each node after the inputs sums the edges from every
    earlier node (DARTS eq. 2).  ``inputs`` are modules registered first (DARTS' preprocessing)."""

    def __init__(self, edges: Iterable[tuple[int, int]], ops: tuple[str, ...],
                 mixed_op: Callable[[int, int], MixedOp], **inputs: nn.Module):
        super().__init__()
        for name, module in inputs.items():
            setattr(self, name, module)
        self.edge_list, self.op_names = tuple(edges), ops
        self.edges = nn.ModuleList(mixed_op(i, j) for i, j in self.edge_list)

    def node_states(self, inputs: list[torch.Tensor], weights: torch.Tensor) -> list[torch.Tensor]:
        """The input nodes, then every other node in order; ``weights``: one row per edge."""
        states = list(inputs)
        for j in sorted({to for _, to in self.edge_list}):
            states.append(sum(self.edges[e](states[i], weights[e])
                              for e, (i, to) in enumerate(self.edge_list) if to == j))
        return states

    def edge_tensors(self, i: int, j: int, op: str) -> dict[str, tuple[torch.Tensor, EllipsisType]]:
        """``op``'s parameters and BN statistics on edge i->j by its state-dict keys, each as the
        tensor holding it and its rows there (all of them)."""
        module = self.edges[self.edge_list.index((i, j))].ops[self.op_names.index(op)]
        return {key: (t, ...) for key, t in module.state_dict(keep_vars=True).items()}


def check_widths(C: int, depth_name: str, depth: int, in_channels: int, num_classes: int) -> None:
    """Refuse sizes no skeleton can build, naming the field."""
    for name, value in (("C", C), (depth_name, depth), ("in_channels", in_channels)):
        positive_int(name, value)
    positive_int("num_classes", num_classes, minimum=2)


class Relaxed:
    """The architecture parameters of a supernet (mixed into each space's ``nn.Module``): alpha
    matrices of edges x operations, started near zero (uniform mixing weights), and what the
    optimizers and searches read from them."""

    alpha_names: tuple[str, ...]
    activation: str
    channels_last = True  # fused cells take their input channels-last; not under vmap (seeds trained
                          # together, ``together.py``), which cannot ask a tensor for that layout

    def relax(self, rows: int, ops: int, activation: str, names: tuple[str, ...] = ("alphas",)) -> None:
        """Register one ``rows`` x ``ops`` alpha per name, after every weight (so that the weights
        are drawn from the seeded generator first)."""
        self.activation = check_activation(activation)
        self.alpha_names = names
        for name in names:
            setattr(self, name, nn.Parameter(1e-3 * torch.randn(rows, ops)))

    def arch_parameters(self) -> list[nn.Parameter]:
        """alpha: what the architecture optimizer (Adam) updates."""
        return [getattr(self, name) for name in self.alpha_names]

    def weight_parameters(self) -> list[nn.Parameter]:
        """w: every other parameter, what the weight optimizer (SGD) updates."""
        return [p for name, p in self.named_parameters() if name not in self.alpha_names]

    def edge_weights(self) -> torch.Tensor:
        """The mixing weights, softmax (or sigmoid) of each alpha row, the alphas one after another."""
        return torch.cat([RELAX[self.activation](a) for a in self.arch_parameters()])

    def search_cells(self) -> list[tuple[str, nn.Module]]:
        """``(name, cell)`` of every search cell (readable or fused: what ``edge_tensors`` reads)."""
        return [(name, m) for name, m in self.named_modules() if hasattr(m, "edge_tensors")]
