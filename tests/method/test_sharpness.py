"""The Hessian of the held-out loss in alpha against independent references: central finite
differences of the alpha gradient, and torch's own ``autograd.functional.hessian``; Lanczos
against the exact top eigenvalue; DARTS-ES on made-up lambda_max sequences."""

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from sdarts_lite import History, load_dataset, make_config, search, supernet
from sdarts_lite.method.sharpness import (
    Sharpness,
    early_stop_epoch,
    exact_hessian,
    hessian_vector_products,
    lanczos_top,
    loss_gradient,
    power_step,
)


def tiny(space="nb201", seed=1, scale=0.7):
    torch.manual_seed(seed)
    net = supernet(space, C=3 if space == "nb201" else 2, N=1 if space == "nb201" else 3, num_classes=4,
                   in_channels=1).double()
    with torch.no_grad():
        for a in net.arch_parameters():
            a.copy_(scale * torch.randn_like(a))  # away from uniform, so the Hessian has structure
    g = torch.Generator().manual_seed(2)
    x = torch.randn(6, 1, 8, 8, generator=g, dtype=torch.float64)
    return net, [(x, torch.randint(0, 4, (6,), generator=g))]


def test_exact_hessian_equals_central_differences_of_the_gradient():
    net, batches = tiny()
    h = exact_hessian(net, batches)
    alphas = net.alphas
    eps, columns = 1e-5, []
    for k in range(alphas.numel()):
        with torch.no_grad():
            alphas.view(-1)[k] += eps
        plus = loss_gradient(net, batches).detach()
        with torch.no_grad():
            alphas.view(-1)[k] -= 2 * eps
        minus = loss_gradient(net, batches).detach()
        with torch.no_grad():
            alphas.view(-1)[k] += eps
        columns.append((plus - minus) / (2 * eps))
    torch.testing.assert_close(h, torch.stack(columns, dim=1), rtol=1e-5, atol=1e-8)
    assert h.abs().max() > 1e-3  # not trivially zero


def test_hessian_vector_products_equal_autograd_functional_hessian():
    net, [(x, y)] = tiny()
    params = {**dict(net.named_parameters()), **dict(net.named_buffers())}
    loss = lambda a: F.cross_entropy(functional_call(net, {**params, "alphas": a}, (x,)), y)  # noqa: E731
    reference = torch.autograd.functional.hessian(loss, net.alphas.detach()).reshape(30, 30)
    gradient = loss_gradient(net, [(x, y)])
    v = torch.randn(3, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    products = hessian_vector_products(net, gradient, v)
    torch.testing.assert_close(products, v @ reference, rtol=1e-7, atol=1e-10)
    torch.testing.assert_close(exact_hessian(net, [(x, y)]), reference, rtol=1e-7, atol=1e-10)


def test_measuring_changes_nothing_in_the_model_or_the_search():
    net, batches = tiny()
    net.float()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    lam, spectrum = Sharpness([(x.float(), y) for x, y in batches], spectrum=True)(net)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # BN statistics put back
    assert all(p.grad is None for p in net.parameters())
    assert len(spectrum) == 30 and spectrum == sorted(spectrum) and lam == spectrum[-1]
    small = dict(optimizer="bilevel1", C=4, N=1, epochs=2, progress=False)
    measured, unmeasured = search(sharpness_every=1, **small), search(sharpness_every=0, **small)
    assert [r.mixing for r in measured.epochs] == [r.mixing for r in unmeasured.epochs]
    assert [r.valid_loss for r in measured.epochs] == [r.valid_loss for r in unmeasured.epochs]
    assert all(r.lambda_max is not None for r in measured.epochs)
    assert all(r.lambda_max is None for r in unmeasured.epochs)


@pytest.mark.parametrize("lambdas, expected", [
    ([1.0] * 10, None),                                  # flat: never
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.3, 1.4, 2.0], (6, 1)),  # 1 / 1.3 = 0.77 at epoch 5; 1 / 1.4 = 0.71 at 6
    ([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], (5, 0)),             # 0.5 / 1.0 at the first epoch it can look back 5
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.2, 1.2, 1.2], None),  # grew, but never by 1 / 0.75 within 5 epochs
    ([3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], None),     # shrinking is not a reason to stop
    ([None, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5], (6, 1)),      # unmeasured epochs are not compared
    ([1.0, 1.0, 1.0, 1.0, 1.0, -0.5, 2.0], (6, 1)),      # a non-positive lambda_max never stops by itself
])
def test_darts_es_stops_where_lambda_grew_too_fast_and_keeps_k_epochs_before(lambdas, expected):
    assert early_stop_epoch(lambdas) == expected


def test_an_early_stopped_search_keeps_the_cell_of_five_epochs_before_and_says_why(tmp_path):
    """Bi-level with a large alpha learning rate: lambda_max doubles within the first six epochs."""
    settings = dict(optimizer="bilevel1", C=4, N=1, epochs=12, arch_lr=0.03, early_stop=True, out=tmp_path)
    h = search(progress=False, **settings)
    stop = h.early_stop
    assert stop["epoch"] == len(h.epochs) - 1 < 11 and stop["kept_epoch"] == stop["epoch"] - 5
    assert h.genotype == stop["genotype"] == h.epochs[stop["kept_epoch"]].genotype
    lam = h.lambda_max()[1]
    assert lam[stop["kept_epoch"]] / lam[stop["epoch"]] < 0.75 and "< 0.75" in stop["reason"]
    assert History.load(tmp_path / "history.json").early_stop == stop
    again = search(resume=True, progress=False, **settings)
    assert again.epochs == h.epochs and again.early_stop == stop  # a stopped search stays stopped


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_lanczos_finds_the_exact_top_eigenvalue_and_a_warm_start_needs_fewer_products(space):
    net, batches = tiny(space)
    top = float(torch.linalg.eigvalsh(exact_hessian(net, batches))[-1])
    gradient = loss_gradient(net, batches)
    hvp = lambda v: hessian_vector_products(net, gradient, v.to(gradient)).detach()  # noqa: E731
    g = torch.Generator().manual_seed(0)
    start = torch.randn(len(gradient), dtype=torch.float64, generator=g).numpy()
    found, vector, cold = lanczos_top(hvp, len(gradient), start=start)
    assert found == pytest.approx(top, rel=1e-2)  # the 1%
    again, _, warm = lanczos_top(hvp, len(gradient), start=vector)
    assert again == pytest.approx(top, rel=1e-2) and warm < cold


def test_lanczos_finds_the_largest_eigenvalue_not_the_largest_in_magnitude():
    g = torch.Generator().manual_seed(4)
    q, _ = torch.linalg.qr(torch.randn(12, 12, dtype=torch.float64, generator=g))
    h = q @ torch.diag(torch.linspace(-3.0, 1.5, 12, dtype=torch.float64)) @ q.T
    found, vector, _ = lanczos_top(lambda v: h @ v, 12, start=torch.ones(12, dtype=torch.float64).numpy())
    assert found == pytest.approx(1.5, rel=1e-2)  # not -3, the largest in magnitude
    assert abs(float(torch.from_numpy(vector) @ q[:, -1])) == pytest.approx(1.0, rel=1e-2)
    small = torch.tensor([[1.0, 2.0], [2.0, -3.0]], dtype=torch.float64)  # too small for ARPACK
    found, _, products = lanczos_top(lambda v: small @ v, 2)
    assert found == pytest.approx(float(torch.linalg.eigvalsh(small)[-1]), rel=1e-12) and products == 2


def test_sharpness_without_the_spectrum_matches_the_exact_value_and_starts_warm():
    net, batches = tiny()
    exact, spectrum = Sharpness(batches, spectrum=True)(net)
    lanczos = Sharpness(batches, method="lanczos")
    first, none = lanczos(net)
    cold = lanczos.products
    second, _ = lanczos(net)
    assert none is None and len(spectrum) == 30
    assert first == pytest.approx(exact, rel=1e-2) and second == pytest.approx(exact, rel=1e-2)
    assert lanczos.products <= cold < 30  # fewer products than the exact Hessian's 30


def test_a_search_measures_on_its_first_sharpness_size_held_out_images_within_1_percent_by_lanczos(tmp_path):
    """Lanczos, warm-started from epoch to epoch, against the exact spectrum of the same searches
    (measuring changes nothing, so both see the same weights); the exact value recomputed from the
    final checkpoint on the held-out images taken by hand."""
    settings = dict(preset="digits", optimizer="bilevel1", C=4, N=1, epochs=4, sharpness_every=1,
                    sharpness_size=96, batch_size=32, progress=False)
    exact = search(sharpness_spectrum=True, out=tmp_path, **settings)
    lanczos = search(sharpness_method="lanczos", **settings)
    assert all(len(r.eigenvalues) == 30 and r.eigenvalues[-1] == r.lambda_max for r in exact.epochs)
    assert all(r.eigenvalues is None for r in lanczos.epochs)
    for by_eigh, by_lanczos in zip(exact.epochs, lanczos.epochs):
        assert by_lanczos.lambda_max == pytest.approx(by_eigh.lambda_max, rel=1e-2)
    data = load_dataset("digits")
    net = supernet("nb201", 4, 1, data.num_classes, data.in_channels, data.image_size)
    net.load_state_dict(torch.load(tmp_path / "checkpoint.pt", weights_only=False)["model"])
    mean, std = (torch.tensor(v).view(1, -1, 1, 1) * 255 for v in (data.mean, data.std))
    x, y = (data.test_x[:96].float() - mean) / std, data.test_y[:96]
    again, _ = Sharpness(zip(x.split(32), y.split(32)), spectrum=True)(net)
    assert again == pytest.approx(exact.epochs[-1].lambda_max, rel=1e-5)


@pytest.mark.parametrize("settings, message", [
    (dict(preset="darts-digits", sharpness_spectrum=True), "at most 64 alphas; darts has 224"),
    (dict(preset="digits", sharpness_size=1), "sharpness_size: must be an integer of at least 2"),
])
def test_the_sharpness_sample_and_spectrum_are_checked_when_a_config_is_made(settings, message):
    with pytest.raises(ValueError, match=message):
        make_config(**settings)


def test_a_power_step_equals_the_exact_hessian_applied_to_its_vector():
    """v . H v, H v / |H v| and the residual against the exact Hessian, alpha left as it was."""
    net, batches = tiny()
    h = exact_hessian(net, batches)
    v = torch.randn(30, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    v /= v.norm()
    before = net.alphas.detach().clone()
    gradient = loss_gradient(net, batches)
    value, vector, residual = power_step(lambda u: hessian_vector_products(net, gradient, u).detach(), v)
    assert torch.equal(net.alphas.detach(), before)
    assert value == pytest.approx(float(v @ h @ v), rel=1e-9)
    torch.testing.assert_close(vector, (h @ v) / (h @ v).norm(), rtol=1e-9, atol=1e-12)
    assert residual == pytest.approx(float((h @ v - value * v).norm()), rel=1e-9)


def test_power_measurements_stay_on_lambda_max_where_a_negative_eigenvalue_is_larger_in_magnitude():
    """On a fixed model whose Hessian has an eigenvalue below -lambda_max (where plain power
    iteration would leave lambda_max for it): every measurement within 2% of the exact lambda_max,
    the guard sending the drifting ones back to Lanczos."""
    net, batches = tiny(seed=12, scale=2.0)
    spectrum = torch.linalg.eigvalsh(exact_hessian(net, batches))
    exact = spectrum[-1].item()
    assert spectrum[0] < -exact  # the case the guard is for
    meter = Sharpness(batches)
    counts = []
    for _ in range(12):
        value, _ = meter(net)
        counts.append(meter.products)
        assert value == pytest.approx(exact, rel=2e-2)
    assert counts[0] > 1 and 1 in counts  # Lanczos first, then single power steps while they hold
    with pytest.raises(ValueError, match="method"):
        Sharpness(batches, method="arnoldi")
