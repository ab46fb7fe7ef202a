"""The DARTS-space supernet's fused per-source-node cells against the readable per-edge MixedOps,
the independent reference: the same parameters; the same outputs, gradients for w (every stacked
tensor's rows against its edge's op) and for alpha, and BN running statistics, on random inputs
and random alphas, through normal and reduction cells, in training and in evaluation mode, in
float64 to rounding; in float32 (the channels-last oneDNN path) the logits and alpha's gradient;
and the same steps of every optimizer.  Weights are mapped through ``reference_darts``."""

import copy

import pytest
import torch
import torch.nn.functional as F
from reference_darts import copy_plain_to_fused, edge_pairs, xautodl_darts

from sdarts_lite import Hyperparameters, make_optimizer, supernet
from sdarts_lite.method.spaces.darts import stacked
from sdarts_lite.method.spaces.darts.supernet import DartsSupernet, FusedSearchCell, SearchCell

pytestmark = pytest.mark.usefixtures("one_thread")

TIGHT = dict(rtol=1e-9, atol=1e-12)  # float64: the same sum, rounded differently


@pytest.fixture(params=[0, 10**6], ids=["grouped-pointwise", "dense-pointwise"])
def pointwise(request, monkeypatch):
    """Both ways the stacked pointwise convs run: grouped by edge, and dense block-diagonal."""
    monkeypatch.setattr(stacked, "DENSE_MAX", request.param)


def mapped(fused, plain, grads=False):
    """(fused tensor, the plain tensor it must equal): every parameter and BN statistic, or every
    parameter's gradient; checks that they cover every tensor of ``fused``."""
    pairs, covered = [], set()
    for t, rows, theirs in edge_pairs(fused, plain):
        covered.add(id(t))
        if not grads or isinstance(t, torch.nn.Parameter):
            pairs.append(((t.grad if grads else t)[rows], theirs.grad if grads else theirs))
    theirs = plain.state_dict(keep_vars=True)
    for name, t in fused.state_dict(keep_vars=True).items():
        if id(t) not in covered:
            covered.add(id(t))
            if not grads or isinstance(t, torch.nn.Parameter):
                pairs.append((t.grad if grads else t, theirs[name].grad if grads else theirs[name]))
    assert covered == {id(t) for t in fused.state_dict(keep_vars=True).values()}
    return pairs


def assert_same(fused, plain, grads=False, **tol):
    for ours, theirs in mapped(fused, plain, grads):
        torch.testing.assert_close(ours, theirs, **tol)


@torch.no_grad()
def randomise(plain):
    """Random alphas, weights and BN running statistics (so that evaluation mode tests them)."""
    for name, p in plain.named_parameters():
        p.normal_(0, 1 if name.startswith("alphas") else 0.3)
    for name, b in plain.named_buffers():
        if name.endswith("running_mean"):
            b.normal_(0, 0.5)
        elif name.endswith("running_var"):
            b.uniform_(0.5, 2)


def pair(dtype=torch.float64, **kwargs):
    """A plain supernet with random everything, and a fused one carrying the same."""
    plain = DartsSupernet(fused=False, **kwargs).to(dtype)
    randomise(plain)
    fused = DartsSupernet(**kwargs).to(dtype)
    copy_plain_to_fused(plain, fused)
    return fused, plain


def forward_backward(model, x, y):
    out = model(x)
    F.cross_entropy(out, y).backward()
    return out


def test_the_fused_supernet_has_the_plain_ones_parameters():
    fused, plain = supernet("darts", N=8), supernet("darts", N=8, fused=False)
    assert isinstance(fused.cells[0], FusedSearchCell) and isinstance(plain.cells[0], SearchCell)
    n = sum(p.numel() for p in fused.parameters())
    assert n == sum(p.numel() for p in plain.parameters()) == 1_930_842  # DARTS' 1,930,618 + 224 alphas
    assert n - sum(p.numel() for p in fused.weight_parameters()) == 2 * 14 * 8
    fused, plain = pair(C=4, layers=3)
    assert_same(fused, plain, rtol=0, atol=0)  # the copy reached every tensor, exactly


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_training_mode_same_outputs_gradients_and_statistics_float64(pointwise, activation):
    fused, plain = pair(C=4, layers=3, activation=activation)  # normal, reduction, reduction
    x, y = torch.randn(4, 3, 16, 16, dtype=torch.float64), torch.randint(0, 10, (4,))
    torch.testing.assert_close(forward_backward(fused, x, y), forward_backward(plain, x, y), **TIGHT)
    assert_same(fused, plain, grads=True, **TIGHT)  # alphas, stem, classifier, every edge's ops
    assert_same(fused, plain, **TIGHT)  # the running statistics moved alike


def test_evaluation_mode_after_training_forwards_float64(pointwise):
    fused, plain = pair(C=4, layers=4)  # normal, reduction, reduction, normal
    for _ in range(3):  # move the running statistics away from the copied ones
        x = torch.randn(4, 3, 16, 16, dtype=torch.float64) * 2 + 0.5
        torch.testing.assert_close(fused(x), plain(x), **TIGHT)
    assert_same(fused, plain, **TIGHT)
    before = copy.deepcopy(fused.state_dict())
    fused.eval(), plain.eval()
    x, y = torch.randn(3, 3, 16, 16, dtype=torch.float64), torch.randint(0, 10, (3,))
    torch.testing.assert_close(forward_backward(fused, x, y), forward_backward(plain, x, y), **TIGHT)
    assert_same(fused, plain, grads=True, **TIGHT)
    assert all(torch.equal(t, before[name]) for name, t in fused.state_dict().items())


@pytest.mark.parametrize("reduction, reduction_prev", [(False, False), (True, False), (False, True),
                                                       (True, True)])
def test_one_cell_normal_or_reduction_in_both_modes(pointwise, reduction, reduction_prev):
    """Output, the gradients of the mixing weights and of every weight, and the running
    statistics, in training then evaluation mode."""
    shape = (6, 10, 4, reduction, reduction_prev)  # C_prev_prev, C_prev, C
    plain, fused = SearchCell(*shape).double(), FusedSearchCell(*shape).double()
    randomise(plain)
    copy_plain_to_fused(plain, fused)
    size = 32 if reduction_prev else 16
    s0 = torch.randn(4, 6, size, size, dtype=torch.float64)
    s1 = torch.randn(4, 10, 16, 16, dtype=torch.float64)
    weights = F.softmax(torch.randn(14, 8, dtype=torch.float64), dim=-1)
    for mode in ("train", "eval"):
        outs, grads = [], []
        for cell in (fused, plain):
            getattr(cell, mode)()
            cell.zero_grad()
            w = weights.clone().requires_grad_()
            out = cell(s0.contiguous(memory_format=torch.channels_last) if cell is fused else s0, s1, w)
            (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view(out.shape)).sum().backward()
            outs.append(out)
            grads.append(w.grad)
        torch.testing.assert_close(outs[0], outs[1], **TIGHT)
        torch.testing.assert_close(grads[0], grads[1], **TIGHT)
        assert_same(fused, plain, grads=True, **TIGHT)
        assert_same(fused, plain, **TIGHT)


@pytest.mark.parametrize("size", [16, 12])  # 12: 3x3 maps after two reductions, dilated convs as such
def test_float32_channels_last_path_logits_and_alpha_gradient(size):
    """float32, the oneDNN channels-last path: the logits in both modes, and the alpha gradient
    alone (as the bi-level alpha step asks for it) against float64, norm-relative.  Elementwise
    float32 gradients are not compared: where a max-pool's two largest inputs, or a ReLU's input
    and zero, lie within float32 rounding of each other, float32 and float64 take different
    branches (the plain form too), and gradients differ by up to 1e-2 here and there."""
    fused, plain = pair(torch.float32, C=8, layers=5)
    reference = DartsSupernet(C=8, layers=5, fused=False).double()
    reference.load_state_dict(plain.state_dict())
    x, y = torch.randn(8, 3, size, size), torch.randint(0, 10, (8,))
    exact = alpha_gradient(reference, x.double(), y)
    for model in (fused, plain):
        assert (alpha_gradient(model, x, y).double() - exact).norm() < 1e-3 * exact.norm()
    for mode in ("train", "eval"):
        fused.train(mode == "train"), plain.train(mode == "train")
        with torch.no_grad():
            torch.testing.assert_close(fused(x), plain(x), rtol=1e-4, atol=1e-5)


def alpha_gradient(model, x, y):
    grads = torch.autograd.grad(F.cross_entropy(model(x), y), model.arch_parameters())
    return torch.cat([g.flatten() for g in grads])


def test_a_different_alpha_is_a_different_function():
    """The comparisons above can fail: the same weights under other alphas give other logits."""
    fused, plain = pair(C=4, layers=3)
    with torch.no_grad():
        plain.alphas_reduce.normal_()
    x = torch.randn(4, 3, 16, 16, dtype=torch.float64)
    assert not torch.allclose(fused(x), plain(x), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("mode", ["single", "bilevel1", "bilevel2"])
def test_every_optimizer_takes_the_same_step_on_both_forms(mode):
    """Two steps (momentum and Adam state included; order 2 shifts the weights in place and back)."""
    fused, plain = pair(C=4, layers=3)
    g = torch.Generator().manual_seed(5)
    make = lambda: (torch.randn(4, 3, 16, 16, generator=g, dtype=torch.float64),
                    torch.randint(0, 10, (4,), generator=g))
    batches = [make() for _ in range(4)]
    for model in (fused, plain):
        opt = make_optimizer(mode, model, epochs=5, hyper=Hyperparameters(arch_lr=0.01))
        for k in (0, 2):
            opt.step(*batches[k:k + (1 if mode == "single" else 2)])
    assert_same(fused, plain, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(fused.edge_weights(), plain.edge_weights(), rtol=1e-8, atol=1e-10)
    assert str(fused.genotype()) == str(plain.genotype())


def test_xautodl_darts_is_a_different_network_of_the_size_the_benchmark_names():
    """The benchmark's context row: xautodl's NASNetworkDARTS has other operations, so another
    parameter count than the DARTS supernet (not equal math)."""
    pytest.importorskip("xautodl.models")
    net = xautodl_darts()
    assert sum(p.numel() for p in net.parameters()) == 1_343_258
    assert net(torch.randn(2, 3, 32, 32))[1].shape == (2, 10)
