"""The two search spaces, each with the same parts under the same names (after quark0/darts'
``operations.py``, ``genotypes.py``, ``model_search.py``, ``model.py``):

    genotypes.py   the operations, the edges, the Genotype class: parse, format, derive (no model code)
    ops.py         the operations as modules, built by name (darts: also stacked over a node's edges)
    supernet.py    MixedOp, SearchCell (readable), FusedSearchCell (fast, tested equal), the supernet
                   (DARTS eq. 1-2)
    network.py     the macro skeleton, the discrete cell, the discrete network of a genotype

``nb201``: NAS-Bench-201, one 4-node cell, 6 edges x 5 operations.  ``darts``: the DARTS CNN
space, normal and reduction cells, 14 edges x 8 operations each.  These packages import nothing
on import, so that reading a genotype builds no model.
"""
