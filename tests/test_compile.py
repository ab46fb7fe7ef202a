"""``search(compile=True)``: the optimizer's steps run through torch.compile.  Checked against the
eager supernet: the same loss and gradients for w and alpha on one batch, and a whole search (whose
evaluation and lambda_max stay eager) that ends where the eager one does, up to rounding that Adam's
normalised steps amplify (about 1e-3 in the mixing weights after 2 epochs, against 1e-2 moved)."""

import numpy as np
import pytest
import torch
from torch._dynamo.utils import counters

from sdarts_lite import search, supernet
from sdarts_lite.optimizers import loss_and_grads

TINY = dict(preset="digits", C=4, N=1, epochs=2, batch_size=64, curvature=1, progress=False)


def test_compiled_supernet_has_the_eager_loss_and_gradients():
    torch.manual_seed(0)
    model = supernet("nb201", 4, 1, 10, 1, 8)
    batch = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
    params = model.weight_parameters() + model.arch_parameters()
    loss, logits, grads = loss_and_grads(model, batch, params)
    c_loss, c_logits, c_grads = loss_and_grads(torch.compile(model), batch, params)
    torch.testing.assert_close(c_logits, logits, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(c_loss, loss, rtol=1e-5, atol=1e-6)
    for c, g in zip(c_grads, grads):
        torch.testing.assert_close(c, g, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("mode", ["single", "bilevel"])
def test_compiled_search_ends_where_the_eager_one_does(mode):
    torch._dynamo.reset()  # forget graphs traced by other tests, so that the count below is this search's
    counters.clear()
    compiled = search(mode=mode, compile=True, **TINY)
    assert counters["stats"]["unique_graphs"] >= 1  # the steps did go through dynamo
    eager = search(mode=mode, **TINY)
    start = np.full((6, 5), 0.2)
    for c, e in zip(compiled.epochs, eager.epochs):
        moved = np.abs(np.array(e.alphas) - start).max()
        apart = np.abs(np.array(c.alphas) - np.array(e.alphas)).max()
        assert moved > 5e-3 and apart < 0.25 * moved  # rounding, not a different search
        assert c.train_loss == pytest.approx(e.train_loss, rel=1e-3)
        assert c.lambda_max == pytest.approx(e.lambda_max, rel=0.05)  # measured eagerly, on drifted weights


def test_compile_must_be_a_bool():
    with pytest.raises(ValueError, match="compile"):
        search(compile="yes", **TINY)
