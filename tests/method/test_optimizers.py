"""Each optimizer's step against a step written out by hand with torch's own optimizers, and
the second-order alpha gradient against exact autograd through the unrolled weight update."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from sdarts_lite import (
    Alternating,
    BiLevel,
    Hyperparameters,
    SingleLevel,
    SplitJoint,
    make_optimizer,
    supernet,
)

HYPER = Hyperparameters(w_lr=0.05, w_lr_min=0.001, momentum=0.9, nesterov=True, w_weight_decay=5e-4,
                        grad_clip=5.0, arch_lr=0.01, arch_betas=(0.5, 0.999), arch_weight_decay=1e-3)


def tiny(dtype=torch.float32):
    torch.manual_seed(3)
    return supernet("nb201", C=3, N=1, num_classes=4, in_channels=2).to(dtype)


def batches(dtype=torch.float32):
    g = torch.Generator().manual_seed(5)
    make = lambda: (torch.randn(6, 2, 8, 8, generator=g, dtype=dtype), torch.randint(0, 4, (6,), generator=g))
    return make(), make()


def reference_step(model, w_batch, a_batch, alpha_first: bool):
    """One step written plainly: Adam on alpha from ``a_batch``'s loss, clipped SGD on w from
    ``w_batch``'s; ``alpha_first``: alpha steps before w's gradient is taken (in turn), else both
    gradients are taken at the same point and applied together."""
    weights, alphas = model.weight_parameters(), model.arch_parameters()
    sgd = torch.optim.SGD(weights, lr=HYPER.w_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    adam = torch.optim.Adam(alphas, lr=HYPER.arch_lr, betas=(0.5, 0.999), weight_decay=1e-3)
    adam.zero_grad()
    F.cross_entropy(model(a_batch[0]), a_batch[1]).backward()
    alpha_grads = [p.grad.clone() for p in alphas]
    if alpha_first:
        adam.step()
    sgd.zero_grad()
    F.cross_entropy(model(w_batch[0]), w_batch[1]).backward()
    torch.nn.utils.clip_grad_norm_(weights, 5.0)
    if not alpha_first:
        for p, g in zip(alphas, alpha_grads):
            p.grad = g
        adam.step()
    sgd.step()


def assert_same_params(a, b):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=name)


def test_single_level_updates_w_and_alpha_from_the_same_batch_in_one_pass():
    model = tiny()
    ref = copy.deepcopy(model)
    batch, _ = batches()
    calls = []
    model.register_forward_pre_hook(lambda m, inp: calls.append(inp[0]))
    opt = make_optimizer("single", model, epochs=10, hyper=HYPER)
    assert isinstance(opt, SingleLevel)
    before = model.alphas.detach().clone()
    opt.step(batch)
    assert len(calls) == 1 and calls[0] is batch[0]  # one forward, on that batch
    assert not torch.equal(before, model.alphas)
    reference_step(ref, batch, batch, alpha_first=False)
    assert_same_params(model, ref)


def test_alternating_steps_alpha_then_w_on_the_same_batch():
    model = tiny()
    ref, together = copy.deepcopy(model), copy.deepcopy(model)
    batch, _ = batches()
    calls = []
    model.register_forward_pre_hook(lambda m, inp: calls.append(inp[0]))
    opt = make_optimizer("alternating", model, epochs=10, hyper=HYPER)
    assert isinstance(opt, Alternating)
    opt.step(batch)
    assert len(calls) == 2 and all(c is batch[0] for c in calls)  # two passes, both on that batch
    reference_step(ref, batch, batch, alpha_first=True)
    assert_same_params(model, ref)
    # the reference can tell: the same batch taken together (Single-DARTS) ends elsewhere
    reference_step(together, batch, batch, alpha_first=False)
    assert not all(torch.allclose(p, q, atol=1e-6) for p, q in zip(together.parameters(), model.parameters()))


def test_split_joint_takes_both_gradients_at_the_same_point_from_their_own_batches():
    model = tiny()
    ref, in_turn = copy.deepcopy(model), copy.deepcopy(model)
    train, valid = batches()
    opt = make_optimizer("split_joint", model, epochs=10, hyper=HYPER)
    assert isinstance(opt, SplitJoint)
    res = opt.step(train, valid)
    reference_step(ref, train, valid, alpha_first=False)
    assert_same_params(model, ref)
    assert res.count == len(train[1])  # the training batch's loss is the one reported for w
    # the reference can tell: in turn (DARTS-V1) the weights step from the updated alpha
    reference_step(in_turn, train, valid, alpha_first=True)
    assert not all(torch.allclose(p, q, atol=1e-6)
                   for p, q in zip(in_turn.weight_parameters(), model.weight_parameters()))


def test_single_level_takes_one_batch_and_bilevel_two():
    """The contract is in the signatures, so it holds under ``python -O`` too."""
    train, valid = batches()
    with pytest.raises(TypeError):
        make_optimizer("single", tiny(), epochs=10).step(train, valid)
    with pytest.raises(TypeError):
        make_optimizer("bilevel1", tiny(), epochs=10).step(train)


def test_bilevel_first_order_uses_validation_for_alpha_and_training_for_w():
    model = tiny()
    ref, swapped = copy.deepcopy(model), copy.deepcopy(model)
    train, valid = batches()
    opt = make_optimizer("bilevel1", model, epochs=10, hyper=HYPER)
    assert isinstance(opt, BiLevel) and opt.order == 1
    opt.step(train, valid)
    reference_step(ref, train, valid, alpha_first=True)
    assert_same_params(model, ref)
    # and the reference can tell: with the batches' roles swapped the result differs
    reference_step(swapped, valid, train, alpha_first=True)
    assert not torch.allclose(swapped.alphas, model.alphas)


def test_bilevel_never_lets_a_poisoned_batch_reach_the_other_side():
    model = tiny()
    train, valid = batches()
    poisoned = (torch.full_like(train[0], float("nan")), train[1])
    opt = make_optimizer("bilevel1", model, epochs=10, hyper=HYPER)
    opt.step(poisoned, valid)  # alpha is updated first, from the clean validation batch
    assert torch.isfinite(model.alphas).all()
    assert not all(torch.isfinite(p).all() for p in model.weight_parameters())


@pytest.mark.parametrize("mode", ["single", "alternating", "split_joint", "bilevel1"])
def test_the_step_reports_the_loss_alpha_descended_and_its_gradient_norm(mode):
    """Against autograd on a copy, before the step: single-level's alpha loss is the batch's loss,
    bi-level's is the validation batch's; the norm is that loss's alpha gradient's."""
    model = tiny()
    train, valid = batches()
    one_batch = mode in ("single", "alternating")
    alpha_batch = train if one_batch else valid
    ref = copy.deepcopy(model)
    loss = F.cross_entropy(ref(alpha_batch[0]), alpha_batch[1])
    grad = torch.autograd.grad(loss, ref.arch_parameters())[0]
    opt = make_optimizer(mode, model, epochs=10, hyper=HYPER)
    res = opt.step(train) if one_batch else opt.step(train, valid)
    assert res.alpha_loss == pytest.approx(loss.item(), rel=1e-6)
    assert res.alpha_grad_norm == pytest.approx(float(grad.norm()), rel=1e-5)
    assert res.count == 6 and 0 <= res.correct <= 6


class TinyMixture(torch.nn.Module):
    """A smooth two-edge mixture model: exact second derivatives exist everywhere, so the
    finite-difference Hessian-vector product has only its O(eps^2) error to show."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(4)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(5, 5) for _ in range(2))
        self.head = torch.nn.Linear(5, 3)
        self.alphas = torch.nn.Parameter(0.5 * torch.randn(2, 3))

    def forward(self, x):
        w = torch.softmax(self.alphas, dim=-1)
        for layer, (a, b, c) in zip(self.layers, w):
            x = a * torch.tanh(layer(x)) + b * x + c * torch.sigmoid(layer(x))
        return self.head(x)

    def weight_parameters(self):
        return [p for n, p in self.named_parameters() if n != "alphas"]

    def arch_parameters(self):
        return [self.alphas]


def test_second_order_alpha_gradient_matches_exact_autograd_of_the_unrolled_objective():
    model = TinyMixture().double()
    g = torch.Generator().manual_seed(6)
    train, valid = ((torch.randn(16, 5, generator=g, dtype=torch.float64),
                     torch.randint(0, 3, (16,), generator=g)) for _ in range(2))
    opt = make_optimizer("bilevel2", model, epochs=10, hyper=HYPER)
    opt.step(train, valid)  # one real step first, so SGD has a momentum buffer to unroll with
    xi = opt.w_lr
    names = [n for n, _ in model.named_parameters() if n != "alphas"]
    weights = model.weight_parameters()
    momentum = [opt.w_opt.state[p]["momentum_buffer"] for p in weights]

    def loss(params, alphas, batch):
        out = functional_call(model, {**dict(zip(names, params)), "alphas": alphas}, (batch[0],))
        return F.cross_entropy(out, batch[1])

    alphas = model.alphas.detach().clone().requires_grad_(True)
    w = [p.detach().clone().requires_grad_(True) for p in weights]
    g_train = torch.autograd.grad(loss(w, alphas, train), w, create_graph=True)
    unrolled = [p - xi * (g + 5e-4 * p + 0.9 * m) for p, g, m in zip(w, g_train, momentum)]
    exact = torch.autograd.grad(loss(unrolled, alphas, valid), alphas)[0]

    approx = opt.unrolled_alpha_grads(train, valid)[1][0]
    torch.testing.assert_close(approx, exact, rtol=1e-4, atol=1e-8)
    first_order = torch.autograd.grad(loss(w, alphas, valid), alphas)[0]
    assert (approx - first_order).abs().max() > 100 * (approx - exact).abs().max()
    for p, b in zip(weights, w):  # the weights are left as they were
        assert torch.equal(p, b.detach())


def test_an_unknown_optimizer_or_an_order_its_step_lacks_is_refused():
    with pytest.raises(ValueError, match="optimizer: unknown 'trilevel'; allowed: single, alternating"):
        make_optimizer("trilevel", tiny(), epochs=1)
    with pytest.raises(ValueError, match="order: unknown 2"):
        SingleLevel(tiny(), epochs=1, order=2)  # a class called directly checks its own arguments
    with pytest.raises(ValueError, match="order: unknown 3"):
        BiLevel(tiny(), epochs=1, order=3)
