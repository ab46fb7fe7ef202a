"""One palette for every figure, drawing and widget: a colour and a readable name per optimizer (and
per group of a study), the colours that say "has parameters" and "parameter-free", and the
reference values figures draw as lines.  A colour means one thing wherever it appears.

Operations keep the colours their space declares (``SearchSpace.colours``): greens for operations
with parameters, warm colours for parameter-free ones, grey for ``none``, so an operation's line
and a cell's edge say the same thing.  Optimizers take the blues and purples, which no operation uses.
"""

from __future__ import annotations

from ..method.optimizers import OPTIMIZERS

# Each optimizer's readable name and colour are declared with it (OPTIMIZERS); a study's group
# "<optimizer>-steps" (as many steps as bi-level: study.py) takes its optimizer's; name -> (readable
# name, colour) of the groups that differ:
GROUPS = {"single-epochs": ("single-level, bi-level's epochs", "#64b5f6")}
# names notebooks and the README's figures give their runs
ALIASES = {"single-level": "single", "bi-level": "bilevel1", "bi-level (1st order)": "bilevel1"}
RELAXATIONS = {"softmax": ("softmax (DARTS)", "#37474f"), "sigmoid": ("sigmoid (FairDARTS)", "#f9a825")}
PARAMETERISED = "#2e7d32"   # an operation with weights: cell edges
PARAM_FREE = "#b71c1c"      # parameter-free: cell edges, the parameter-free share's line
NONE = "#9e9e9e"            # the `none` operation
DEAD = "#bdbdbd"            # a node or edge cut off from the input or the output (spaces.dead_parts)
REFERENCE = "#424242"       # reference lines
OTHERS = ["#1565c0", "#6a1b9a", "#00838f", "#5d4037", "#c2185b"]  # runs compared that are no optimizer

# NAS-Bench-201 CIFAR-10 test accuracy (%, mean over its seeds, 200 epochs): the best of its 15,625
# cells, and the all-skip cell that DARTS-V1 collapses to (Dong & Yang 2020, table 5).  A test
# holds both to the table where it is at hand.
NB201_OPTIMUM = 94.37
NB201_ALL_SKIP = 54.30
# CIFAR-10 accuracy of a uniformly random NAS-Bench-201 cell, (mean, 25th percentile, median, 75th
# percentile, numpy's): of all 15,625 cells, and of the 4,096 that a rule without `none` can derive
NB201_RANDOM = {False: (87.06, 87.62, 90.75, 92.19), True: (89.45, 88.42, 91.39, 92.63)}  # by exclude_none


def named(name: str) -> tuple[str, str] | None:
    """(readable name, colour) of an optimizer, study group or relaxation, or None."""
    if spec := OPTIMIZERS.get(name.removesuffix("-steps")):
        return spec.label, spec.colour
    return GROUPS.get(name) or RELAXATIONS.get(name)


def label(name: str) -> str:
    """The readable name of an optimizer, study group or relaxation (the name itself otherwise)."""
    known = None if name in ALIASES else named(name)
    return known[0] if known else name


def colour(name: str, k: int = 0) -> str:
    """The colour of an optimizer, study group or relaxation; the ``k``-th of ``OTHERS`` otherwise."""
    known = named(ALIASES.get(name, name))
    return known[1] if known else OTHERS[k % len(OTHERS)]


def uniform_share(ops: list[str] | tuple[str, ...], param_free: tuple[str, ...]) -> float:
    """The parameter-free share of alpha at its start (every weight equal) over ``ops``, the
    operations the share is read over: 3/5 = 0.60 under the softmax, 2/4 = 0.50 under the sigmoid,
    whose share leaves ``none`` out."""
    return sum(op in param_free for op in ops) / len(ops)


def chance_param_free_edges(edges: int, ops: tuple[str, ...], param_free: tuple[str, ...]) -> float:
    """Parameter-free edges of a cell whose every edge took one of ``ops`` (those that may win an
    edge) at random: 6 x 3/5 = 3.6 in NAS-Bench-201; 16 x 3/7 = 6.9 in DARTS, which never derives
    ``none``."""
    return edges * uniform_share(ops, param_free)
