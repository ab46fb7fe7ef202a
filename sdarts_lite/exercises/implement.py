"""The implement exercises: the student writes a function, and its check runs it beside the kit's own
implementation on seeded random inputs (the same inputs on every machine).
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import torch
from torch import nn

from ..analysis.measures import share_of_param_free
from ..analysis.stats import permutation_test
from ..method.hyperparameters import Hyperparameters
from ..method.mixing import mixing_weights
from ..method.optimizers import get_optimizer, make_optimizer
from ..method.sharpness import ES_RATIO, ES_WINDOW, early_stop_epoch, lanczos_top
from ..method.spaces import dead_parts, get_space, param_free_ops
from ..method.spaces.darts.genotypes import DARTS_EDGES, PRIMITIVES, derive_cell
from ..method.spaces.layers import MixedOp
from ..method.spaces.nb201.genotypes import EDGES, NB201_OPS, derive_genotype
from ..method.spaces.nb201.ops import search_op
from ..method.supernet import supernet
from ..pictures.palette import chance_param_free_edges
from .checking import Differs, call, exercise, number, same_values


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- 01: the relaxation
@exercise("01.1", "the mixed operation", "implement")
def check_mixed_op(mixed_op) -> str:
    """``mixed_op(x, weights, ops)``: sum_o weights[o] * ops[o](x) (DARTS eq. 1)."""
    torch.manual_seed(0)
    ops = nn.ModuleList(search_op(name, 4) for name in NB201_OPS)
    kit, g = MixedOp(ops), generator()
    with torch.no_grad():
        for k in range(6):
            x = torch.randn(2, 4, 6, 6, generator=g)
            weights = torch.softmax(3 * torch.randn(len(ops), generator=g), 0)
            where = (f"input {k + 1} of 6 (x of shape {tuple(x.shape)}, weights "
                     f"{np.round(weights.numpy(), 3)})")
            same_values(call(mixed_op, x, weights, ops, where=where), kit(x, weights), where,
                        "the kit's MixedOp")
    return ("yours equals the kit's MixedOp (method/spaces/layers.py) on 6 random inputs, "
            "over NAS-Bench-201's 5 operations")


ALPHA_SHAPES = ((6, 5), (5, 5), (14, 8), (1, 8))  # a square one: softmax over the wrong axis shows


def check_weights(fn, activation: str) -> str:
    g = generator(1)
    for k, shape in enumerate(ALPHA_SHAPES):
        alphas = 2 * torch.randn(shape, generator=g)
        where = f"alphas of shape {shape} (input {k + 1} of {len(ALPHA_SHAPES)})"
        same_values(call(fn, alphas.clone(), where=where), mixing_weights(alphas, activation), where,
                    f"the kit's mixing_weights(alphas, {activation!r})")
    return (f"yours equals the kit's mixing_weights(alphas, {activation!r}) (method/mixing.py) on alphas "
            f"of shapes {', '.join(map(str, ALPHA_SHAPES))}: one row per edge")


@exercise("01.2", "softmax mixing weights", "implement")
def check_softmax_weights(softmax_weights) -> str:
    """``softmax_weights(alphas)``: per row (edge), exp(alpha_o) / sum_o' exp(alpha_o')."""
    return check_weights(softmax_weights, "softmax")


@exercise("01.3", "sigmoid mixing weights", "implement")
def check_sigmoid_weights(sigmoid_weights) -> str:
    """``sigmoid_weights(alphas)``: every alpha on its own, 1 / (1 + exp(-alpha))."""
    return check_weights(sigmoid_weights, "sigmoid")


@exercise("01.4", "the weight of an operation one ahead", "predict")
def check_one_ahead(softmax: float, sigmoid: float) -> str:
    """The weight of the operation whose alpha is 1 on an edge whose four other alphas are 0."""
    alphas = torch.tensor([[0.0, 0.0, 0.0, 0.0, 1.0]])
    for name, answer in (("softmax", softmax), ("sigmoid", sigmoid)):
        kit = float(mixing_weights(alphas, name)[0, -1])
        if abs(number(answer, f"your {name} weight") - kit) > 0.01:
            raise Differs(f"under the {name} it gets {kit:.3f}, you predicted {number(answer, name):.3f}")
    return ("softmax: e / (e + 4) = 0.405, more than twice each other's 0.149, since the five share one "
            "unit; sigmoid: 1 / (1 + 1/e) = 0.731, and the others keep their 0.5: no competition")


# ---------------------------------------------------------------- 02: the two ways to step
STEP_HYPER = Hyperparameters(arch_lr=0.01, grad_clip=1e9)  # no clipping: the student's step needs none


def step_pairs(steps: int = 3):
    g = generator(2)

    def batch():
        return torch.randn(8, 1, 8, 8, generator=g), torch.randint(0, 3, (8,), generator=g)
    return [(batch(), batch()) for _ in range(steps)]


def check_step(step, optimizer: str, kit_name: str) -> str:
    torch.manual_seed(0)
    model = supernet("nb201", C=4, N=1, num_classes=3, in_channels=1, image_size=8)
    kit_model, your_model = copy.deepcopy(model), copy.deepcopy(model)
    kit = make_optimizer(optimizer, kit_model, epochs=1, hyper=STEP_HYPER)
    yours = make_optimizer(optimizer, your_model, epochs=1, hyper=STEP_HYPER)  # the same SGD and Adam
    start = [p.detach().clone() for p in your_model.parameters()]
    for k, (batch, held_out) in enumerate(step_pairs()):
        kit.step(batch, held_out) if get_optimizer(optimizer).uses_split else kit.step(batch)
        where = f"step {k + 1} of 3"
        call(step, your_model, yours.w_opt, yours.a_opt, batch, held_out, where=where)
        if k == 0 and all(torch.equal(p, s) for p, s in zip(your_model.parameters(), start)):
            raise Differs("nothing moved: your step changed neither w nor alpha (did it call "
                          "w_opt.step() and alpha_opt.step()?)")
        for name, part in (("alpha", "arch_parameters"), ("w", "weight_parameters")):
            for p, q in zip(getattr(your_model, part)(), getattr(kit_model, part)()):
                same_values(p, q.detach(), f"{where}, {name} of shape {tuple(p.shape)}", kit_name,
                            rtol=1e-4, atol=1e-6)
    return (f"after 3 steps on a small supernet, every w and alpha equals {kit_name}'s "
            "(method/optimizers.py)")


@exercise("02.1", "the single-level step", "implement")
def check_single_level_step(single_level_step) -> str:
    """``single_level_step(model, w_opt, alpha_opt, batch, held_out)``: w and alpha descend the loss
    of ``batch`` together (Single-DARTS)."""
    return check_step(single_level_step, "single", "the kit's SingleLevel")


@exercise("02.2", "the first-order bi-level step", "implement")
def check_first_order_step(first_order_step) -> str:
    """``first_order_step(model, w_opt, alpha_opt, batch, held_out)``: alpha descends the loss of
    ``held_out`` at the current w, then w the loss of ``batch`` at the new alpha (DARTS-V1)."""
    return check_step(first_order_step, "bilevel1", "the kit's bilevel1 (BiLevel, order 1)")


# ---------------------------------------------------------------- 03: counting collapse
@exercise("03.1", "the parameter-free share", "implement")
def check_param_free_share(share) -> str:
    """``share(alphas, ops)``: the mean over edges of the softmax weight on parameter-free operations."""
    g = generator(3)
    for k, space in enumerate(("nb201", "darts", "nb201")):
        ops = get_space(space).ops
        alphas = 2 * torch.randn(len(get_space(space).edges), len(ops), generator=g)
        where = f"{space} alphas of shape {tuple(alphas.shape)} (input {k + 1} of 3)"
        kit = share_of_param_free(mixing_weights(alphas.double()).tolist(), list(ops))
        mine = number(call(share, alphas.clone(), ops, where=where), f"your share on {where}")
        if abs(mine - kit) > 1e-5:
            raise Differs(f"on {where}: yours is {mine:.4f}, the kit's share_of_param_free gives {kit:.4f} "
                          f"(the parameter-free operations of every space: {', '.join(param_free_ops())})")
    return ("yours equals the kit's share_of_param_free (analysis/measures.py) in both spaces: the weights, "
            "not the alphas, on " + ", ".join(param_free_ops()))


@exercise("03.2", "the chance number of parameter-free edges", "implement")
def check_chance_param_free_edges(chance) -> str:
    """``chance(num_edges, ops, param_free, derives_none)``: the parameter-free edges of a cell whose
    every edge took, at random, one of the operations that may win an edge."""
    cases = [(6, NB201_OPS, get_space("nb201").param_free, True),
             (16, PRIMITIVES, get_space("darts").param_free, False),
             (4, ("none", "conv", "pool"), ("none", "pool"), False),
             (10, ("none", "conv", "pool", "skip"), ("none", "pool", "skip"), True)]
    for k, (edges, ops, free, derives_none) in enumerate(cases):
        derivable = tuple(op for op in ops if derives_none or op != "none")
        kit = chance_param_free_edges(edges, derivable, free)
        where = f"{edges} edges, ops {ops}, derives_none={derives_none} (case {k + 1} of {len(cases)})"
        mine = number(call(chance, edges, ops, free, derives_none, where=where), f"your chance on {where}")
        if abs(mine - kit) > 1e-9:
            raise Differs(f"on {where}: yours is {mine:.4f}, the kit's gives {kit:.4f}")
    return ("yours equals the kit's chance_param_free_edges (pictures/palette.py): 6 x 3/5 = 3.6 in "
            "NAS-Bench-201, 16 x 3/7 = 6.9 in DARTS, which never derives `none`")


# ---------------------------------------------------------------- 04: deriving and reading cells
@exercise("04.1", "deriving a genotype, with and without `none`", "implement")
def check_derive(derive) -> str:
    """``derive(alphas, ops, allow_none)``: per edge (row), the operation with the largest alpha,
    ``none`` left out when ``allow_none`` is False."""
    g = generator(4)
    none = NB201_OPS.index("none")
    for k in range(8):
        alphas = torch.randn(len(EDGES), len(NB201_OPS), generator=g)
        alphas[k % len(EDGES), none] += 3  # `none` wins some edge where it may
        for allow_none in (True, False):
            kit = derive_genotype(alphas, exclude_none=not allow_none).ops
            where = f"alphas {k + 1} of 8 with allow_none={allow_none}"
            mine = call(derive, alphas.clone(), NB201_OPS, allow_none, where=where)
            if isinstance(mine, str):
                raise Differs(f"on {where}: yours returned the text {mine!r}; return one operation name "
                              "per edge, as a list")
            try:
                mine = tuple(mine)
            except TypeError:
                raise Differs(f"on {where}: yours returned {type(mine).__name__}, not one op per "
                              "edge") from None
            if mine != kit:
                raise Differs(f"on {where}:\n    yours    {list(mine)}\n    the kit's {list(kit)} "
                              "(derive_genotype)")
    return ("yours equals the kit's derive_genotype (method/spaces/nb201/genotypes.py) on 8 alphas, "
            "with `none` allowed (NAS-Bench-201's rule) and left out (the DARTS paper's)")


def cell_part(ops: tuple[str, ...]) -> dict:
    return {"nodes": [(str(n), str(n), "circle") for n in range(4)],
            "edges": [(str(i), str(j), op) for (i, j), op in zip(EDGES, ops)]}


@exercise("04.2", "the dead nodes of a cell", "implement")
def check_dead_nodes(dead_nodes) -> str:
    """``dead_nodes(edges)``: of a NAS-Bench-201 cell given as (from, to, op) edges (node 0 the input,
    3 the output), the nodes no path of operations other than ``none`` joins to both."""
    cells = list(itertools.product(("none", "skip_connect"), repeat=len(EDGES)))  # every wiring
    for ops in cells:
        kit = {int(n) for n in dead_parts(cell_part(ops))[0]}
        edges = [(i, j, op) for (i, j), op in zip(EDGES, ops)]
        where = f"the cell {edges}"
        mine = call(dead_nodes, edges, where=where)
        try:
            mine = {int(n) for n in mine}
        except (TypeError, ValueError):
            raise Differs(f"on {where}: yours returned {mine!r}, not a set of node numbers") from None
        if mine != kit:
            raise Differs(f"on {where}:\n    yours: dead nodes {sorted(mine)}, the kit's dead_parts: "
                          f"{sorted(kit)}")
    return (f"yours equals the kit's dead_parts (method/spaces/__init__.py) on all {len(cells)} wirings "
            "of a cell by `none` and skip_connect")


# ---------------------------------------------------------------- 06: the DARTS space
@exercise("06.1", "the DARTS derivation", "implement")
def check_darts_derivation(derive_darts_cell) -> str:
    """``derive_darts_cell(weights)``: for each node 2-5, its two inputs whose edges' strongest
    operation other than ``none`` weighs most, each as (operation, input), strongest first."""
    g = generator(6)
    none = PRIMITIVES.index("none")
    for k in range(8):
        weights = torch.softmax(2 * torch.randn(len(DARTS_EDGES), len(PRIMITIVES), generator=g), -1)
        weights[k::3, none] += 0.5  # a strong `none` must change neither the edges nor their ops
        kit = derive_cell(weights)
        where = f"weights {k + 1} of 8"
        mine = call(derive_darts_cell, weights.clone(), where=where)
        try:
            mine = [(str(op), int(i)) for op, i in mine]
        except (TypeError, ValueError):
            raise Differs(f"on {where}: yours returned {mine!r}, not a list of (operation, input) "
                          "pairs") from None
        if mine != kit:
            raise Differs(f"on {where}:\n    yours    {mine}\n    the kit's {kit} (derive_cell)")
    return ("yours equals the kit's derive_cell (method/spaces/darts/genotypes.py) on 8 weight "
            "matrices with strong `none` edges: two inputs per node, strongest first, never `none`")


# ---------------------------------------------------------------- 07: more than luck?
@exercise("07.1", "a permutation test", "implement")
def check_permutation_test(test) -> str:
    """``test(a, b)``: the two-sided p-value of mean(b) - mean(a), every split of the pooled values
    into groups of len(a) and len(b) counted."""
    rng = np.random.default_rng(7)
    cases = [([2, 3, 3, 2, 1], [5, 6, 5, 4, 6]), ([5, 6, 5, 4], [2, 3, 1, 2]),
             ([1, 2, 2], [2, 1, 3, 2, 2]), ([2, 2, 3, 2, 2, 1], [2, 3, 1, 2, 2, 2]),
             ([0.1, 0.2, 0.7, 0.4, 0.3], [0.3, 0.6, 0.2, 0.9, 0.1])]  # float sums: ties need a tolerance
    cases += [(np.round(rng.normal(0, 1, 5), 3).tolist(), np.round(rng.normal(shift, 1, 6), 3).tolist())
              for shift in (0, 2)]
    for k, (a, b) in enumerate(cases):
        kit = permutation_test(a, b)
        where = f"a = {a}, b = {b} (case {k + 1} of {len(cases)})"
        mine = number(call(test, list(a), list(b), where=where), f"your p on {where}")
        if abs(mine - kit) > 1e-6:
            raise Differs(f"on {where}: your p is {mine:.5f}, the kit's permutation_test gives {kit:.5f}")
    return (f"yours equals the kit's permutation_test (analysis/stats.py) on {len(cases)} pairs of groups, "
            "ties and a negative difference among them")


# ---------------------------------------------------------------- 08: sharpness
def symmetric(eigenvalues: list[float], seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(len(eigenvalues), len(eigenvalues), generator=generator(seed),
                                       dtype=torch.float64))
    return q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T


@exercise("08.1", "the largest eigenvalue from Hessian-vector products", "implement")
def check_top_eigenvalue(top_eigenvalue) -> str:
    """``top_eigenvalue(hvp, n)``: the largest (not the largest in magnitude) eigenvalue of the
    symmetric n x n matrix H that ``hvp(v) = H v`` multiplies by."""
    spectra = {"a positive definite H": list(np.linspace(0.1, 3.0, 30)),
               "an H whose most negative eigenvalue is larger in magnitude":
                   [-4.0, *np.linspace(-1, 1.5, 29)],
               "an H with two close top eigenvalues": [*np.linspace(-0.5, 0.5, 28), 0.96, 1.0]}
    for k, (what, values) in enumerate(spectra.items()):
        h = symmetric(values, seed=k)
        kit = lanczos_top(lambda v, h=h: h @ v.to(h.dtype), len(values), start=np.ones(len(values)),
                          tol=1e-8, krylov=12)[0]  # more Krylov vectors than a search uses: near-exact
        where = f"{what} (30 x 30)"
        mine = number(call(top_eigenvalue, lambda v, h=h: h @ torch.as_tensor(v, dtype=h.dtype), len(values),
                           where=where), f"your value on {where}")
        if abs(mine - kit) > 0.01 * abs(kit):
            raise Differs(f"on {where}: yours is {mine:.4f}, the kit's lanczos_top gives {kit:.4f} "
                          "(within 1% passes)")
    return ("yours is within 1% of the kit's lanczos_top (method/sharpness.py) on 3 symmetric matrices, "
            "one whose largest eigenvalue is not its largest in magnitude")


@exercise("08.2", "the DARTS-ES stopping rule", "implement")
def check_early_stop(early_stop) -> str:
    """``early_stop(lambdas)``: the first epoch i with lambdas[i - 5] / lambdas[i] < 0.75, and the
    epoch i - 5 whose alphas DARTS-ES keeps, as (i, i - 5); None when it never fires (entries of
    ``None``: epochs not measured, which cannot decide)."""
    rng = np.random.default_rng(8)
    series = [np.round(0.2 * 1.08 ** np.arange(30), 4).tolist(),        # grows 8% an epoch
              np.round(0.2 + 0.001 * np.arange(30), 4).tolist(),        # flat: never fires
              [None if e % 5 else round(0.2 * 1.04 ** e, 4) for e in range(30)],  # every fifth epoch, slow
              [None if e % 5 else (0.2 if e < 20 else 0.5) for e in range(30)],  # every fifth, a jump
              np.round(0.3 + rng.uniform(0, 0.05, 30), 4).tolist() + [0.9] * 5]  # a late jump
    for k, lambdas in enumerate(series):
        kit = early_stop_epoch(lambdas)
        shown = ", ".join("None" if v is None else f"{v:g}" for v in lambdas[:8])
        where = f"series {k + 1} of {len(series)} ({len(lambdas)} epochs: {shown}, ...)"
        mine = call(early_stop, list(lambdas), where=where)
        try:
            mine = None if mine is None else tuple(int(v) for v in mine)
        except (TypeError, ValueError):
            raise Differs(f"on {where}: yours returned {mine!r}, not None or (stop epoch, kept "
                          "epoch)") from None
        if mine != kit:
            raise Differs(f"on {where}:\n    yours gives {mine}, the kit's early_stop_epoch {kit}")
    return (f"yours equals the kit's early_stop_epoch (method/sharpness.py; k = {ES_WINDOW}, ratio "
            f"{ES_RATIO}) on {len(series)} series, one that never fires and two measured every fifth epoch")

