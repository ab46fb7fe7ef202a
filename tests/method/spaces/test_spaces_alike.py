"""The two spaces look alike: the same parts under the same names, the same public methods, the
same per-edge tensor name, so that learning one teaches the other."""

import inspect

import pytest
import torch

import sdarts_lite as sl
from sdarts_lite.method.spaces.darts import network as darts_network
from sdarts_lite.method.spaces.darts import supernet as darts_supernet
from sdarts_lite.method.spaces.nb201 import network as nb201_network
from sdarts_lite.method.spaces.nb201 import supernet as nb201_supernet


def public(cls) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, callable) if not name.startswith("_")}


@pytest.mark.parametrize("part", ["NB201Supernet/DartsSupernet", "SearchCell", "FusedSearchCell",
                                  "NB201Network/DartsNetwork"])
def test_both_spaces_parts_have_the_same_public_methods(part):
    nb201_name, _, darts_name = part.partition("/")
    modules = (nb201_supernet, darts_supernet) if "Network" not in part else (nb201_network, darts_network)
    nb201_cls, darts_cls = getattr(modules[0], nb201_name), getattr(modules[1], darts_name or nb201_name)
    assert public(nb201_cls) == public(darts_cls)


def test_genotype_takes_exclude_none_in_both_spaces():
    for space, N in (("nb201", 1), ("darts", 3)):
        net = sl.supernet(space, C=2, N=N)
        with torch.no_grad():
            for alpha in net.arch_parameters():
                alpha.zero_()
                alpha[:, sl.get_space(space).ops.index("none")] = 5.0
        kept = str(net.genotype(exclude_none=False))
        assert "none" in kept and "none" not in str(net.genotype(exclude_none=True)), space


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_a_registered_space_declares_every_part(space):
    s = sl.get_space(space)
    assert set(s.param_free) < set(s.ops) and set(s.colours) == set(s.ops)
    assert len(s.edges) == sum(a.shape[0] for a in sl.supernet(space, C=2, N=3).arch_parameters())
    assert s.recognises(str(sl.parse_genotype(str(sl.supernet(space, C=2, N=3).genotype()))))
    assert s.depth and set(s.recipe) == {"lr", "nesterov", "weight_decay", "depth"}
