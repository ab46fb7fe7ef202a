"""The NAS-Bench-201 supernet's two forms against each other and against independent references:
the fused per-source-node cells against the readable per-edge MixedOps (outputs and gradients
for w and alpha, in float32 and float64), both against xautodl's TinyNetworkDarts (the
benchmark's own search code), and each against the discrete network of a genotype under one-hot
alphas."""

import inspect

import pytest
import torch
import torch.nn.functional as F
from reference_nb201 import (
    copy_weights,
    copy_weights_to_xautodl,
    edge_conv,
    search_cells,
    xautodl_edge_conv,
    xautodl_name,
    xautodl_nb201,
)

from sdarts_lite import (
    NB201_OPS,
    DartsSupernet,
    NB201Genotype,
    NB201Network,
    NB201Supernet,
    Supernet,
    supernet,
)
from sdarts_lite.method.spaces.nb201.genotypes import EDGES
from sdarts_lite.method.spaces.nb201.ops import ResNetBasicblock
from sdarts_lite.method.spaces.nb201.supernet import CONV_OPS, FusedSearchCell, SearchCell


def batch(n=8, channels=3, size=16, classes=10):
    return torch.randn(n, channels, size, size), torch.randint(0, classes, (n,))


@pytest.mark.parametrize("fused", [True, False])
def test_api_shape(fused):
    net = supernet("nb201", C=4, N=1, num_classes=7, in_channels=2, fused=fused)
    x, _ = batch(channels=2, size=8)
    assert net(x).shape == (8, 7)
    assert [tuple(p.shape) for p in net.arch_parameters()] == [(6, 5)]
    n_weights = sum(p.numel() for p in net.weight_parameters())
    assert n_weights + 30 == sum(p.numel() for p in net.parameters())
    assert isinstance(net.genotype(), NB201Genotype)
    cells = [type(m) for _, m in search_cells(net)]
    assert cells == [FusedSearchCell if fused else SearchCell] * 3  # one per stage, N=1


def test_unknown_space_is_refused():
    with pytest.raises(ValueError, match="space: unknown 'nb301'"):
        supernet("nb301")


def test_both_spaces_implement_the_supernet_protocol_with_its_signatures():
    """Every method of ``Supernet``, with the protocol's required parameters (an implementation may
    add optional ones, e.g. NB201's ``genotype(exclude_none=False)``)."""
    methods = [name for name in vars(Supernet) if not name.startswith("_")]
    assert set(methods) == {"arch_parameters", "weight_parameters", "edge_weights", "genotype",
                            "set_onehot", "discretize"}

    def required(f):
        params = inspect.signature(f).parameters.values()
        return [p.name for p in params if p.default is inspect.Parameter.empty]

    for cls in (NB201Supernet, DartsSupernet):
        for name in methods:
            assert required(getattr(cls, name)) == required(getattr(Supernet, name)), (cls.__name__, name)
    for net in (supernet("nb201", C=2, N=1), supernet("nb201", C=2, N=1, fused=False),
                supernet("darts", C=2, N=3), supernet("darts", C=2, N=3, fused=False)):
        assert isinstance(net, Supernet)


def test_both_spaces_check_an_image_size_against_their_reductions():
    supernet("darts", C=2, N=3, image_size=8)
    supernet("nb201", C=2, N=1, image_size=5)  # odd sizes reduce too (5 -> 3 -> 2)
    with pytest.raises(ValueError, match="image_size: the darts network halves images 2 time"):
        supernet("darts", C=2, N=3, image_size=6)
    with pytest.raises(ValueError, match="image_size: must be an integer of at least 4"):
        supernet("nb201", C=2, N=1, image_size=3)


@pytest.mark.parametrize("field, kwargs", [("C", dict(C=0)), ("N", dict(N=-1)),
                                           ("num_classes", dict(num_classes=1)),
                                           ("in_channels", dict(in_channels=0)),
                                           ("image_size", dict(image_size=2))])
def test_bad_geometry_names_the_field(field, kwargs):
    with pytest.raises(ValueError, match=field):
        supernet("nb201", **kwargs)


def assert_same_gradients(net, reference, edge_conv_grad, name_of=lambda n: n, rtol=1e-3, atol=1e-5):
    """Every gradient of the package supernet ``net`` (either form) equals ``reference``'s: each
    edge's conv gradient against ``edge_conv_grad(reference, cell_name, i, j, op)``, every other
    parameter by name (``name_of``: its name in ``reference``).  The float32 default allows what
    rounding does to a gradient element that sums larger terms of both signs: under
    ONEDNN_MAX_CPU_ISA=SSE41, fused and readable differed by 1.5e-6 on an element of 3.5e-5 (atol
    1e-6 failed there); the float64 test holds them to 1e-12."""
    ref_params = dict(reference.named_parameters())
    checked = 0
    for name, cell in search_cells(net):
        for i, j in EDGES:
            for op in CONV_OPS:
                weight, rows = edge_conv(cell, i, j, op)
                torch.testing.assert_close(weight.grad[rows], edge_conv_grad(reference, name, i, j, op),
                                           rtol=rtol, atol=atol)
                checked += 1
    cells = tuple(f"{name}." for name, _ in search_cells(net))
    for name, p in net.named_parameters():
        if not name.startswith(cells):
            torch.testing.assert_close(p.grad, ref_params[name_of(name)].grad, rtol=rtol, atol=atol)
            checked += 1
    assert checked > 2 * len(EDGES) * len(search_cells(net))  # the conv edges, alpha and the skeleton


def package_conv_grad(net, cell, i, j, op):
    weight, rows = edge_conv(net.get_submodule(cell), i, j, op)
    return weight.grad[rows]


def xautodl_conv_grad(xnet, cell, i, j, op):
    return xautodl_edge_conv(xnet, cell, i, j, op).weight.grad


def fused_and_plain(C, N, activation="softmax", seed=1):
    """A fused supernet with random alphas, and a readable one carrying the same parameters."""
    torch.manual_seed(seed)
    fused = supernet("nb201", C=C, N=N, activation=activation)
    plain = supernet("nb201", C=C, N=N, activation=activation, fused=False)
    with torch.no_grad():
        fused.alphas.normal_()
    copy_weights(fused, plain)
    return fused, plain


@pytest.mark.parametrize("C, N, size, activation", [(4, 2, 16, "softmax"), (3, 1, 12, "softmax"),  # odd
                                                     (4, 1, 16, "sigmoid")])
def test_fused_supernet_matches_the_readable_one_outputs_and_gradients(C, N, size, activation):
    fused, plain = fused_and_plain(C, N, activation)
    x, y = batch(size=size)
    out_f, out_p = fused(x), plain(x)
    torch.testing.assert_close(out_f, out_p, rtol=1e-4, atol=1e-5)
    F.cross_entropy(out_f, y).backward()
    F.cross_entropy(out_p, y).backward()
    assert_same_gradients(fused, plain, package_conv_grad)


def test_the_reduction_pool_rounds_up_on_odd_sizes_and_is_the_benchmarks_pool_on_even_ones():
    """Issue 16: the shortcut's 2x2 average pool gives the stride-2 convolution's ceil(n/2) side,
    its last row and column averaging only the pixels inside the image; on even sizes it is
    NAS-Bench-201's plain 2x2 pool, to float32 rounding (not bit for bit: under ONEDNN_MAX_CPU_ISA=SSE41
    the two calls can take kernels that sum the four pixels in another order)."""
    pool = ResNetBasicblock(2, 4).downsample[0]
    odd = torch.randn(1, 2, 5, 5)
    out = pool(odd)
    assert out.shape[-2:] == (3, 3)
    torch.testing.assert_close(out[..., 0, 0], odd[..., :2, :2].mean((-2, -1)))
    torch.testing.assert_close(out[..., 2, 0], odd[..., 4, :2].mean(-1))
    torch.testing.assert_close(out[..., 2, 2], odd[..., 4, 4])  # the corner window holds one pixel
    even = torch.randn(1, 2, 8, 8)
    torch.testing.assert_close(pool(even), F.avg_pool2d(even, 2), rtol=0, atol=1e-6)


@pytest.mark.parametrize("size, sides", [(5, [5, 3, 2]), (13, [13, 7, 4])])
def test_odd_image_sizes_search_and_both_forms_agree(size, sides):
    fused, plain = fused_and_plain(3, 1)
    shapes = []
    for _, cell in search_cells(fused):
        cell.register_forward_hook(lambda module, inputs, output: shapes.append(output.shape[-1]))
    x, y = batch(size=size)
    out_f, out_p = fused(x), plain(x)
    assert shapes == sides
    torch.testing.assert_close(out_f, out_p, rtol=1e-4, atol=1e-5)
    F.cross_entropy(out_f, y).backward()
    F.cross_entropy(out_p, y).backward()
    assert_same_gradients(fused, plain, package_conv_grad)


def test_fused_supernet_is_the_same_function_in_float64():
    """In double precision the two agree to rounding: the same mathematics, not an approximation."""
    fused, plain = fused_and_plain(3, 1, seed=2)
    fused, plain = fused.double(), plain.double()
    x, y = batch(size=12)
    x = x.double()
    out_f, out_p = fused(x), plain(x)
    torch.testing.assert_close(out_f, out_p, rtol=1e-10, atol=1e-12)
    F.cross_entropy(out_f, y).backward()
    F.cross_entropy(out_p, y).backward()
    assert_same_gradients(fused, plain, package_conv_grad, rtol=1e-9, atol=1e-12)


def test_alpha_only_gradient_matches_the_readable_supernet():
    """The bi-level alpha step asks autograd for the alpha gradient alone."""
    fused, plain = fused_and_plain(4, 1, seed=3)
    x, y = batch()
    (g_f,) = torch.autograd.grad(F.cross_entropy(fused(x), y), [fused.alphas])
    (g_p,) = torch.autograd.grad(F.cross_entropy(plain(x), y), [plain.alphas])
    torch.testing.assert_close(g_f, g_p, rtol=1e-3, atol=1e-6)


def test_a_different_alpha_is_a_different_function():
    """The comparisons above can fail: the same weights under other alphas give other logits."""
    fused, plain = fused_and_plain(4, 1, seed=5)
    with torch.no_grad():
        plain.alphas.normal_()
    x, _ = batch()
    assert not torch.allclose(fused(x), plain(x), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("fused", [True, False])
def test_supernet_matches_xautodl(fused):
    """The benchmark's own search supernet (xautodl's TinyNetworkDarts), when installed."""
    pytest.importorskip("xautodl.models")
    torch.manual_seed(4)
    net, xnet = supernet("nb201", C=4, N=2, fused=fused), xautodl_nb201(C=4, N=2)
    with torch.no_grad():
        net.alphas.normal_()
    copy_weights_to_xautodl(net, xnet)
    x, y = batch()
    out_n, (_, out_x) = net(x), xnet(x)
    torch.testing.assert_close(out_n, out_x, rtol=1e-4, atol=1e-5)
    F.cross_entropy(out_n, y).backward()
    F.cross_entropy(out_x, y).backward()
    assert_same_gradients(net, xnet, xautodl_conv_grad,
                          name_of=lambda n: "arch_parameters" if n == "alphas" else xautodl_name(n))


def onehot_pair(genotype: str, C=4, N=2, activation="softmax", fused=True):
    """A supernet whose mixing weights are one-hot on ``genotype``, and its ``discretize``d network:
    an independently built NB201Network (search-time BN) carrying the supernet's weights."""
    net = supernet("nb201", C=C, N=N, activation=activation, fused=fused)
    for p in net.weight_parameters():  # no accidental agreement through default initialisation
        torch.nn.init.normal_(p.data)
    net.set_onehot(genotype)
    return net, net.discretize(genotype)


@pytest.mark.parametrize("genotype", [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|",
    "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|",
])
@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
def test_onehot_supernet_equals_discrete_network(genotype, activation, fused):
    net, disc = onehot_pair(genotype, activation=activation, fused=fused)
    assert str(net.genotype(exclude_none=False)) == genotype
    if activation == "sigmoid":  # none learns nothing under the sigmoid, so it is never derived there
        assert "none" not in str(net.genotype())
    assert torch.equal(net.edge_weights(), F.one_hot(torch.tensor(
        [NB201_OPS.index(op) for op in NB201Genotype.parse(genotype).ops]), len(NB201_OPS)).float())
    x, _ = batch()
    torch.testing.assert_close(net(x), disc(x), rtol=1e-5, atol=1e-5)


def test_discrete_network_leaves_out_none_and_counts_parameters():
    all_none = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    convs = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    a = sum(p.numel() for p in NB201Network(all_none, C=4, N=1).parameters())
    b = sum(p.numel() for p in NB201Network(convs, C=4, N=1).parameters())
    # one 3x3 conv (no bias) plus an affine BN per cell, cells of 4, 8 and 16 channels
    assert b - a == sum(c * c * 9 + 2 * c for c in (4, 8, 16))


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation: unknown 'relu'; allowed: softmax, sigmoid"):
        supernet("nb201", C=4, N=1, activation="relu")
