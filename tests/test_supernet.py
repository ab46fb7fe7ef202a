"""The fast supernet against independent references: the plain per-edge supernet (outputs and
gradients for w and alpha, in float32 and float64), xautodl's TinyNetworkDarts when installed, and
the discrete network of a genotype under one-hot alphas."""

import pytest
import torch
import torch.nn.functional as F
from reference_nb201 import (
    PlainSupernet,
    copy_weights,
    copy_weights_to_xautodl,
    xautodl_edge_conv,
    xautodl_name,
    xautodl_nb201,
)

from sdarts_lite import NB201_OPS, NB201Genotype, discrete_network, supernet
from sdarts_lite.genotypes import EDGES


def batch(n=8, channels=3, size=16, classes=10):
    return torch.randn(n, channels, size, size), torch.randint(0, classes, (n,))


def test_api_shape():
    net = supernet("nb201", C=4, N=1, num_classes=7, in_channels=2)
    x, _ = batch(channels=2, size=8)
    assert net(x).shape == (8, 7)
    assert [tuple(p.shape) for p in net.arch_parameters()] == [(6, 5)]
    n_weights = sum(p.numel() for p in net.weight_parameters())
    assert n_weights + 30 == sum(p.numel() for p in net.parameters())
    assert isinstance(net.genotype(), NB201Genotype)


def test_unknown_space_is_refused():
    with pytest.raises(ValueError, match="space: unknown 'nb301'"):
        supernet("nb301")


@pytest.mark.parametrize("field, kwargs", [("C", dict(C=0)), ("N", dict(N=-1)),
                                           ("num_classes", dict(num_classes=1)),
                                           ("in_channels", dict(in_channels=0)),
                                           ("input_size", dict(input_size=2))])
def test_bad_geometry_names_the_field(field, kwargs):
    with pytest.raises(ValueError, match=field):
        supernet("nb201", **kwargs)


def assert_same_gradients(fast, reference, edge_conv, grad_of=lambda p: p.grad, name_of=lambda n: n,
                          rtol=1e-3, atol=1e-6):
    """Every gradient of ``fast`` equals ``reference``'s: the fused conv rows against the per-edge
    convs (``edge_conv(reference, cell_name, i, j, op)``), everything else by name."""
    ref_params = dict(reference.named_parameters())
    for name, module in fast.named_modules():
        if type(module).__name__ == "SearchCell":  # fused conv grads vs the per-edge ones
            for i, targets in enumerate(module.targets):
                for k, j in enumerate(targets):
                    rows = slice(k * module.C, (k + 1) * module.C)
                    for op, conv in (("nor_conv_1x1", module.conv1[i]), ("nor_conv_3x3", module.conv3[i])):
                        torch.testing.assert_close(grad_of(conv.weight)[rows],
                                                   grad_of(edge_conv(reference, name, i, j, op).weight),
                                                   rtol=rtol, atol=atol)
    for name, p in fast.named_parameters():
        if ".conv1." not in name and ".conv3." not in name:
            torch.testing.assert_close(grad_of(p), grad_of(ref_params[name_of(name)]), rtol=rtol, atol=atol)


def plain_edge_conv(plain, cell, i, j, op):
    return plain.get_submodule(cell).edges[EDGES.index((i, j))].ops[NB201_OPS.index(op)][1]


@pytest.mark.parametrize("C, N, size, activation", [(4, 2, 16, "softmax"), (3, 1, 12, "softmax"),  # odd
                                                     (4, 1, 16, "sigmoid")])
def test_fast_supernet_matches_plain_reference_outputs_and_gradients(C, N, size, activation):
    torch.manual_seed(1)
    fast = supernet("nb201", C=C, N=N, activation=activation)
    plain = PlainSupernet(C=C, N=N, activation=activation)
    with torch.no_grad():
        fast.alphas.normal_()
    copy_weights(fast, plain)
    x, y = batch(size=size)
    out_f, out_p = fast(x), plain(x)
    torch.testing.assert_close(out_f, out_p, rtol=1e-4, atol=1e-5)
    F.cross_entropy(out_f, y).backward()
    F.cross_entropy(out_p, y).backward()
    assert_same_gradients(fast, plain, plain_edge_conv)


def test_fast_supernet_is_the_same_function_in_float64():
    """In double precision the two agree to rounding: the same mathematics, not an approximation."""
    torch.manual_seed(2)
    fast, plain = supernet("nb201", C=3, N=1).double(), PlainSupernet(C=3, N=1).double()
    with torch.no_grad():
        fast.alphas.normal_()
    copy_weights(fast, plain)
    x, y = batch(size=12)
    x = x.double()
    out_f, out_p = fast(x), plain(x)
    torch.testing.assert_close(out_f, out_p, rtol=1e-10, atol=1e-12)
    F.cross_entropy(out_f, y).backward()
    F.cross_entropy(out_p, y).backward()
    assert_same_gradients(fast, plain, plain_edge_conv, rtol=1e-9, atol=1e-12)


def test_alpha_only_gradient_matches_plain_reference():
    """The bi-level alpha step asks autograd for the alpha gradient alone."""
    torch.manual_seed(3)
    fast, plain = supernet("nb201", C=4, N=1), PlainSupernet(C=4, N=1)
    with torch.no_grad():
        fast.alphas.normal_()
    copy_weights(fast, plain)
    x, y = batch()
    (g_f,) = torch.autograd.grad(F.cross_entropy(fast(x), y), [fast.alphas])
    (g_p,) = torch.autograd.grad(F.cross_entropy(plain(x), y), [plain.alphas])
    torch.testing.assert_close(g_f, g_p, rtol=1e-3, atol=1e-6)


def test_fast_supernet_matches_xautodl():
    """The benchmark's own search supernet (xautodl's TinyNetworkDarts), when installed."""
    pytest.importorskip("xautodl.models")
    torch.manual_seed(4)
    fast, xnet = supernet("nb201", C=4, N=2), xautodl_nb201(C=4, N=2)
    with torch.no_grad():
        fast.alphas.normal_()
    copy_weights_to_xautodl(fast, xnet)
    x, y = batch()
    out_f, (_, out_x) = fast(x), xnet(x)
    torch.testing.assert_close(out_f, out_x, rtol=1e-4, atol=1e-5)
    F.cross_entropy(out_f, y).backward()
    F.cross_entropy(out_x, y).backward()
    assert_same_gradients(fast, xnet, xautodl_edge_conv,
                          name_of=lambda n: "arch_parameters" if n == "alphas" else xautodl_name(n))


def onehot_pair(genotype: str, C=4, N=2, activation="softmax"):
    """A supernet whose mixing weights are one-hot on ``genotype``, and its ``discretize``d network:
    an independently built NB201Network (search-time BN) carrying the supernet's weights."""
    net = supernet("nb201", C=C, N=N, activation=activation)
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
def test_onehot_supernet_equals_discrete_network(genotype, activation):
    net, disc = onehot_pair(genotype, activation=activation)
    assert str(net.genotype()) == genotype
    assert torch.equal(net.edge_weights(), F.one_hot(torch.tensor(
        [NB201_OPS.index(op) for op in NB201Genotype.parse(genotype).ops]), len(NB201_OPS)).float())
    x, _ = batch()
    torch.testing.assert_close(net(x), disc(x), rtol=1e-5, atol=1e-5)


def test_discrete_network_leaves_out_none_and_counts_parameters():
    all_none = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    convs = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    a = sum(p.numel() for p in discrete_network(all_none, C=4, N=1).parameters())
    b = sum(p.numel() for p in discrete_network(convs, C=4, N=1).parameters())
    # one 3x3 conv (no bias) plus an affine BN per cell, cells of 4, 8 and 16 channels
    assert b - a == sum(c * c * 9 + 2 * c for c in (4, 8, 16))


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation: unknown 'relu'; allowed: softmax, sigmoid"):
        supernet("nb201", C=4, N=1, activation="relu")
