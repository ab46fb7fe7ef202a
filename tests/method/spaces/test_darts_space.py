"""The DARTS CNN space against independent references: DARTS' own printed genotypes, the
paper's parameter count, the discrete network under one-hot alphas (set by hand, and by the
supernet's own ``set_onehot`` and ``discretize``), and DARTS' derivation loop."""

from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sdarts_lite import Hyperparameters, make_optimizer
from sdarts_lite.method.spaces.darts.genotypes import (
    DARTS_EDGES,
    DARTS_V1,
    DARTS_V2,
    PRIMITIVES,
    DartsGenotype,
    derive_darts_genotype,
)
from sdarts_lite.method.spaces.darts.network import DartsNetwork, drop_path
from sdarts_lite.method.spaces.darts.supernet import DartsSupernet

pytestmark = pytest.mark.usefixtures("one_thread")


# DARTS' genotypes.py, typed in: the namedtuple whose str() our genotypes must print.
Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
PUBLISHED = {
    "DARTS_V1": Genotype(
        normal=[("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 0), ("sep_conv_3x3", 1),
                ("skip_connect", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 2)],
        normal_concat=[2, 3, 4, 5],
        reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 0),
                ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("avg_pool_3x3", 0)],
        reduce_concat=[2, 3, 4, 5]),
    "DARTS_V2": Genotype(
        normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
                ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
        normal_concat=[2, 3, 4, 5],
        reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
                ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
        reduce_concat=[2, 3, 4, 5]),
}
# Every non-none op in both cells, a stride-2 skip_connect (FactorizedReduce) among them.
ALL_OPS = DartsGenotype(
    normal=[("sep_conv_5x5", 0), ("dil_conv_5x5", 1), ("max_pool_3x3", 2), ("avg_pool_3x3", 0),
            ("skip_connect", 3), ("dil_conv_3x3", 1), ("sep_conv_3x3", 4), ("skip_connect", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("skip_connect", 0), ("sep_conv_3x3", 1), ("dil_conv_5x5", 0), ("avg_pool_3x3", 2),
            ("max_pool_3x3", 1), ("sep_conv_5x5", 3), ("dil_conv_3x3", 4), ("skip_connect", 1)],
    reduce_concat=[2, 3, 4, 5])


@pytest.mark.parametrize("name", ["DARTS_V1", "DARTS_V2"])
def test_published_genotypes_print_as_darts_does_and_round_trip(name):
    ours, theirs = {"DARTS_V1": DARTS_V1, "DARTS_V2": DARTS_V2}[name], PUBLISHED[name]
    assert str(ours) == str(theirs)
    assert DartsGenotype.parse(str(theirs)) == ours
    assert DartsGenotype(*theirs) == ours
    # the spelling of genotypes derived under Python 3
    ranged = str(theirs).replace("[2, 3, 4, 5]", "range(2, 6)")
    assert "range(2, 6)" in ranged and DartsGenotype.parse(ranged) == ours


def test_darts_v2_network_has_the_papers_parameter_count():
    # The paper's 3.3M (Table 1, C=36, 20 cells) is DARTS' count_parameters_in_MB, which leaves
    # out the auxiliary head's parameters (its train.py prints 3.349342 for DARTS_V2).
    net = DartsNetwork(DARTS_V2, C=36, layers=20, num_classes=10, in_channels=3, auxiliary=True)
    without_aux = sum(p.numel() for n, p in net.named_parameters() if not n.startswith("auxiliary_head"))
    assert abs(without_aux - 3.3e6) < 0.1e6
    assert without_aux == 3_349_342
    assert sum(p.numel() for p in net.parameters()) - without_aux > 0.4e6  # the head is not in 3.3M


def one_hot_alphas(cell):
    """Chosen edges: their op +1e4, the rest -1e4; other edges: all weight on none."""
    alphas = torch.full((len(DARTS_EDGES), len(PRIMITIVES)), -1e4)
    alphas[:, PRIMITIVES.index("none")] = 1e4
    for k, (op, i) in enumerate(cell):
        e = DARTS_EDGES.index((i, 2 + k // 2))
        alphas[e] = -1e4
        alphas[e, PRIMITIVES.index(op)] = 1e4
    return alphas


def by_node(cell):
    return [sorted(cell[2 * k:2 * k + 2], key=lambda oi: oi[1]) for k in range(4)]


@pytest.mark.parametrize("genotype", [DARTS_V2, ALL_OPS], ids=["DARTS_V2", "all_ops"])
def test_one_hot_supernet_computes_the_discrete_network(genotype):
    torch.manual_seed(0)
    sup = DartsSupernet(C=4, layers=4, num_classes=5, in_channels=2, fused=False)  # weights copied by hand
    net = DartsNetwork(genotype, C=4, layers=4, num_classes=5, in_channels=2, affine=False)
    with torch.no_grad():
        sup.alphas_normal.copy_(one_hot_alphas(genotype.normal))
        sup.alphas_reduce.copy_(one_hot_alphas(genotype.reduce))
    derived = sup.genotype()
    assert by_node(derived.normal) == by_node(genotype.normal)
    assert by_node(derived.reduce) == by_node(genotype.reduce)
    for part in ("stem", "classifier"):
        getattr(net, part).load_state_dict(getattr(sup, part).state_dict())
    for s_cell, d_cell in zip(sup.cells, net.cells):
        d_cell.preprocess0.load_state_dict(s_cell.preprocess0.state_dict())
        d_cell.preprocess1.load_state_dict(s_cell.preprocess1.state_dict())
        edges = genotype.reduce if s_cell.reduction else genotype.normal
        for k, (op, i) in enumerate(edges):
            mixed = s_cell.edges[DARTS_EDGES.index((i, 2 + k // 2))]
            d_cell.ops[k].load_state_dict(mixed.ops[PRIMITIVES.index(op)].state_dict())
    assert [c.reduction for c in sup.cells] == [False, True, True, False]
    x = torch.randn(6, 2, 8, 8)
    torch.testing.assert_close(sup(x), net(x), rtol=1e-4, atol=1e-5)
    with torch.no_grad():  # a live mixture is a different function: the check can fail
        sup.alphas_normal.normal_()
    assert not torch.allclose(sup(x), net(x), atol=1e-3)


def darts_parse(weights):
    """DARTS' model_search.py genotype()._parse, written as it is there."""
    gene, n, start = [], 2, 0
    none = PRIMITIVES.index("none")
    for i in range(4):
        W = weights[start:start + n]
        edges = sorted(range(i + 2), key=lambda x: -max(W[x][k] for k in range(len(W[x])) if k != none))[:2]
        for j in edges:
            k_best = None
            for k in range(len(W[j])):
                if k != none and (k_best is None or W[j][k] > W[j][k_best]):
                    k_best = k
            gene.append((PRIMITIVES[k_best], j))
        start, n = start + n, n + 1
    return gene


UNIFORM = [("max_pool_3x3", 0), ("max_pool_3x3", 1)] * 4
DERIVATION_TABLE = [
    # (what it shows, alpha entries {(from, to): {op: value}}, expected derived normal cell)
    ("uniform alphas: ties go to the lower inputs and the first op after none", {}, UNIFORM),
    ("none is never chosen, even where it is the largest",
     {(0, 2): {"none": 9.0}, (1, 2): {"none": 9.0, "sep_conv_5x5": 1.0}},
     [("sep_conv_5x5", 1), ("max_pool_3x3", 0)] + UNIFORM[2:]),
    ("strength is the softmax weight: none's share weakens an edge's large alpha",
     {(0, 3): {"none": 10.0, "max_pool_3x3": 5.0}, (1, 3): {"sep_conv_3x3": 3.0},
      (2, 3): {"dil_conv_5x5": 2.0}},
     UNIFORM[:2] + [("sep_conv_3x3", 1), ("dil_conv_5x5", 2)] + UNIFORM[4:]),
    ("the two strongest of five inputs, strongest first",
     {(4, 5): {"skip_connect": 4.0}, (3, 5): {"avg_pool_3x3": 3.0}, (0, 5): {"sep_conv_3x3": 2.0}},
     UNIFORM[:6] + [("skip_connect", 4), ("avg_pool_3x3", 3)]),
]


@pytest.mark.parametrize("entries, expected", [row[1:] for row in DERIVATION_TABLE],
                         ids=[row[0] for row in DERIVATION_TABLE])
def test_derivation_table(entries, expected):
    alphas = torch.zeros(len(DARTS_EDGES), len(PRIMITIVES))
    for edge, ops in entries.items():
        for op, value in ops.items():
            alphas[DARTS_EDGES.index(edge), PRIMITIVES.index(op)] = value
    g = derive_darts_genotype(alphas, alphas.flip(0))
    assert list(g.normal) == expected
    assert list(g.reduce) == darts_parse(F.softmax(alphas.flip(0), dim=-1).numpy())


def test_derivation_matches_darts_loop_on_random_alphas():
    gen = torch.Generator().manual_seed(0)
    for _ in range(50):
        a, b = torch.randn(2, len(DARTS_EDGES), len(PRIMITIVES), generator=gen) * 3
        g = derive_darts_genotype(a, b)
        assert list(g.normal) == darts_parse(F.softmax(a, dim=-1).numpy())
        assert list(g.reduce) == darts_parse(F.softmax(b, dim=-1).numpy())
        for cell in (g.normal, g.reduce):
            assert "none" not in {op for op, _ in cell}
            assert all(len({i for _, i in node}) == 2 for node in by_node(cell))


@pytest.mark.parametrize("text, match", [
    (str(DARTS_V2).replace("'dil_conv_3x3'", "'dil_conv_9x9'"),
     "normal edge 7: unknown operation 'dil_conv_9x9'"),
    (str(DARTS_V2).replace("('sep_conv_3x3', 1)", "('sep_conv_3x3', 2)", 1),
     r"normal edge 1 .*input 2 out of range for node 2 \(inputs 0..1\)"),
    (str(DARTS_V2).replace("('skip_connect', 2), ('skip_connect', 2), ", ""),
     "reduce: expected 8 edges .* got 6"),
    (str(DARTS_V2).replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 7]"), "normal_concat"),
    (str(DARTS_V2).replace(", reduce_concat=[2, 3, 4, 5]", ""), "lacks field.*reduce_concat"),
    (str(DARTS_V2).replace("reduce_concat=", "reduction_concat="),
     "unknown genotype field 'reduction_concat'"),
    (str(DARTS_V2)[:-10], "malformed genotype text"),
    ("__import__('os').getcwd()", "malformed genotype text"),
    (str(DARTS_V2).replace("normal=[", "normal=list([").replace("], normal_concat", "]), normal_concat"),
     "normal: not a literal"),
    ("Genotype([], [], [], [])", "by name"),
])
def test_malformed_genotypes_name_the_bad_part(text, match):
    with pytest.raises(ValueError, match=match):
        DartsGenotype.parse(text)


def tiny_supernet(fused=True):
    torch.manual_seed(3)
    return DartsSupernet(C=2, layers=2, num_classes=3, in_channels=1, reductions=(1,),  # normal, reduce
                         fused=fused)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
def test_supernet_interface(fused):
    net = tiny_supernet(fused)
    assert [tuple(a.shape) for a in net.arch_parameters()] == [(14, 8), (14, 8)]
    n_weights = sum(p.numel() for p in net.weight_parameters())
    assert n_weights + 2 * 14 * 8 == sum(p.numel() for p in net.parameters())
    w = net.edge_weights()
    assert w.shape == (28, 8)
    torch.testing.assert_close(w[14:], F.softmax(net.alphas_reduce, dim=-1))
    assert net(torch.randn(4, 1, 8, 8)).shape == (4, 3)
    assert isinstance(net.genotype(), DartsGenotype)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
@pytest.mark.parametrize("mode", ["single", "bilevel1", "bilevel2"])
def test_every_optimizer_steps_the_darts_supernet(mode, fused):
    net = tiny_supernet(fused)
    g = torch.Generator().manual_seed(5)
    make = lambda: (torch.randn(4, 1, 8, 8, generator=g), torch.randint(0, 3, (4,), generator=g))
    train, valid = make(), make()
    opt = make_optimizer(mode, net, epochs=5, hyper=Hyperparameters(arch_lr=0.01))
    alphas = [a.detach().clone() for a in net.arch_parameters()]
    weights = [w.detach().clone() for w in net.weight_parameters()]
    opt.step(*((train,) if mode == "single" else (train, valid)))  # single-level's step takes one batch
    assert all(not torch.equal(b, a) for b, a in zip(alphas, net.arch_parameters()))
    assert any(not torch.equal(b, w) for b, w in zip(weights, net.weight_parameters()))


def trained_supernet(genotype, fused=True):
    """A supernet with random weights, whose BN running statistics have seen a few batches, set
    one-hot on ``genotype``."""
    torch.manual_seed(1)
    sup = DartsSupernet(C=4, layers=4, num_classes=5, in_channels=2, fused=fused)  # normal, reduce x2, normal
    for p in sup.weight_parameters():  # no accidental agreement through default initialisation
        torch.nn.init.normal_(p.data, std=0.5)
    with torch.no_grad():
        for _ in range(3):
            sup(torch.randn(6, 2, 8, 8))
    sup.set_onehot(genotype)
    return sup


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
@pytest.mark.parametrize("genotype", [DARTS_V2, ALL_OPS], ids=["DARTS_V2", "all_ops"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_set_onehot_and_discretize_give_the_same_function(genotype, mode, fused):
    """In training mode (batch statistics) and in evaluation mode (the running statistics the
    discrete network must carry over), through normal and reduction cells."""
    sup = trained_supernet(genotype, fused)
    assert [c.reduction for c in sup.cells] == [False, True, True, False]
    w = sup.edge_weights()
    assert set(w.unique().tolist()) == {0.0, 1.0} and torch.equal(w.sum(1), torch.ones(28))
    derived = sup.genotype()
    assert by_node(derived.normal) == by_node(genotype.normal)
    assert by_node(derived.reduce) == by_node(genotype.reduce)
    net = sup.discretize(genotype)
    assert isinstance(net, DartsNetwork) and net.genotype == genotype
    assert any(b.abs().sum() > 0 for name, b in net.named_buffers() if "running_mean" in name)
    getattr(sup, mode)()
    getattr(net, mode)()
    x = torch.randn(6, 2, 8, 8)
    torch.testing.assert_close(sup(x), net(x), rtol=1e-4, atol=1e-5)
    with torch.no_grad():  # a live mixture is a different function: the check can fail
        sup.alphas_reduce.normal_()
    assert not torch.allclose(sup(x), net(x), atol=1e-3)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
def test_discretize_carries_the_running_statistics(fused):
    """Without them the evaluation-mode outputs differ: the check above can fail."""
    sup = trained_supernet(DARTS_V2, fused)
    net = sup.discretize(DARTS_V2)
    for name, buffer in net.named_buffers():
        if "running" in name:
            buffer.fill_(0.0 if "mean" in name else 1.0)
    sup.eval()
    net.eval()
    x = torch.randn(6, 2, 8, 8)
    assert not torch.allclose(sup(x), net(x), atol=1e-3)


@pytest.mark.parametrize("change, match", [
    (dict(normal_concat=[2, 3, 4]), "normal_concat: the supernet concatenates every intermediate node"),
    (dict(reduce_concat=[5, 4, 3, 2]), "reduce_concat"),
    (dict(normal=[("sep_conv_3x3", 0), ("skip_connect", 0)] + list(DARTS_V2.normal[2:])),
     "normal: node 2 takes input 0 twice"),
])
def test_genotypes_the_supernet_cannot_hold_are_refused(change, match):
    fields = {f: getattr(DARTS_V2, f) for f in ("normal", "normal_concat", "reduce", "reduce_concat")}
    genotype = DartsGenotype(**{**fields, **change})
    sup = tiny_supernet()
    with pytest.raises(ValueError, match=match):
        sup.set_onehot(genotype)
    if "concat" in match:
        with pytest.raises(ValueError, match=match):
            sup.discretize(genotype)


def test_auxiliary_head_on_cifar_sized_input_and_refused_on_digits():
    torch.manual_seed(0)
    net = DartsNetwork(DARTS_V2, C=4, layers=5, num_classes=7, in_channels=3, auxiliary=True)
    logits, aux = net.forward_aux(torch.randn(2, 3, 32, 32))
    assert logits.shape == aux.shape == (2, 7)
    net.eval()
    assert net.forward_aux(torch.randn(2, 3, 32, 32))[1] is None
    net.train()
    with pytest.raises(ValueError, match="auxiliary=False"):
        net.forward_aux(torch.randn(2, 3, 8, 8))


def test_drop_path_zeroes_whole_samples_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.ones(4000, 2, 3, 3)
    y = drop_path(x, 0.3)
    per_sample = y.flatten(1)
    assert torch.equal(per_sample.min(1).values, per_sample.max(1).values)  # one decision per sample
    kept = per_sample[:, 0] > 0
    torch.testing.assert_close(per_sample[kept, 0], torch.full((int(kept.sum()),), 1 / 0.7))
    assert abs(float(kept.float().mean()) - 0.7) < 0.03
    assert np.isclose(float(y.mean()), 1.0, atol=0.05)
