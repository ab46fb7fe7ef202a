"""The DARTS-space supernets side by side: mapping tensors between the package's two forms (the
readable per-edge ``SearchCell`` and the ``FusedSearchCell``), and xautodl's ``NASNetworkDARTS``
for timing context (its operations differ: not the same function).
"""

from __future__ import annotations

import torch

from sdarts_lite.method.spaces.darts.genotypes import DARTS_EDGES, PRIMITIVES
from sdarts_lite.method.spaces.darts.supernet import FusedSearchCell, SearchCell


def edge_pairs(fused, plain):
    """(fused tensor, its rows, the plain tensor) for every op's tensor on every edge of two
    supernets (or two cells), one fused and one plain."""
    cells = [m for m in fused.modules() if isinstance(m, FusedSearchCell)]
    plain_cells = [m for m in plain.modules() if isinstance(m, SearchCell)]
    assert len(cells) == len(plain_cells)
    for cell, plain_cell in zip(cells, plain_cells):
        for i, j in DARTS_EDGES:
            for op in PRIMITIVES:
                theirs, ours = plain_cell.edge_tensors(i, j, op), cell.edge_tensors(i, j, op)
                assert ours.keys() == theirs.keys(), (i, j, op)
                for key, (t, rows) in ours.items():
                    yield t, rows, theirs[key][0]


@torch.no_grad()
def copy_plain_to_fused(plain, fused) -> None:
    """Give ``fused`` the plain module's parameters and BN statistics: each edge's op into its
    rows of the stacked tensors, the rest (stem, preprocessing, classifier, alphas) by name."""
    for t, rows, theirs in edge_pairs(fused, plain):
        t[rows].copy_(theirs)
    theirs = plain.state_dict()
    for name, t in fused.state_dict().items():
        if name in theirs:
            t.copy_(theirs[name])


def xautodl_darts(C=16, N=2, num_classes=10):
    """xautodl's DARTS-space search network (``NASNetworkDARTS``, N cells per stage: 3N cells),
    search-time BN (no affine, running statistics); forward returns ``(features, logits)``.  Its
    operations differ from DARTS' (1,343,258 parameters at C=16, N=2).  Needs
    ``pip install --no-deps xautodl``."""
    from xautodl.models import get_search_spaces
    from xautodl.models.cell_searchs import NASNetworkDARTS

    return NASNetworkDARTS(C, N, steps=4, multiplier=4, stem_multiplier=3, num_classes=num_classes,
                           search_space=get_search_spaces("cell", "darts"), affine=False,
                           track_running_stats=True)
