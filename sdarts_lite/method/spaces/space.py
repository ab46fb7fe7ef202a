"""A search space as one object: everything the rest of the kit may ask of a space.

Each space's folder declares one ``SearchSpace`` in its ``__init__.py`` and ``spaces/__init__.py``
registers it by name, so a new space is a folder and a registry line; no code outside ``spaces/``
asks which space it has.  The builders import their modules when called, so that reading a
genotype (histories, plots) builds no model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchSpace:
    """A space's parts, by the same names in every space."""

    name: str
    ops: tuple[str, ...]                 # the operations: alpha's columns
    param_free: tuple[str, ...]          # the operations without weights
    edges: tuple[tuple[int, int], ...]   # alpha's rows as (from, to) edges, every alpha one after another
    genotype: type                       # its cells: .parse(text), str(), .num_edges, .num_param_free()
    recognises: Callable[[str], bool]    # whether a genotype's text is written in this space's form
    depth: str                           # what N (and a trained network's depth) counts
    colours: dict[str, str]              # a colour per operation, for plots: greens with weights,
                                         # warm without, grey for none (pictures/palette.py)
    check: Callable[[int, int], None]    # the space's rules on (N, image size), where a config enters
    supernet: Callable[..., Any]         # (C, N, num_classes, in_channels, image_size, activation, fused)
    network: Callable[..., Any]          # (genotype, C, depth, num_classes, in_channels, image_size,
                                         # auxiliary): the discrete network trained from scratch
    recipe: dict                         # training from scratch: SGD lr, nesterov, weight_decay; depth
    extras: bool = False                 # whether its networks take an auxiliary head and drop path
    derives_none: bool = True            # whether `none` may win an edge of a derived cell by default
                                         # (DARTS: no; SearchConfig.derivation sets it per search)
    derive: Callable[..., Any] | None = None  # (mixing weights, exclude_none) -> the derived genotype:
                                              # a record's cells derived again under another rule

    @property
    def num_alphas(self) -> int:
        """How many numbers alpha holds: one per edge and operation."""
        return len(self.edges) * len(self.ops)

    @property
    def derivable_ops(self) -> tuple[str, ...]:
        """The operations that may win an edge of a derived cell."""
        return tuple(op for op in self.ops if self.derives_none or op != "none")

    def __str__(self) -> str:
        return self.name
