"""A third search space costs one folder and one registry line: a toy space, two operations on one
edge, declared here as a space's folder declares one and registered, is searched for an epoch by
both optimizers, from the API and the command line, and read back by the records and pictures,
without a line of the package changed."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn

import sdarts_lite as sl
from sdarts_lite.analysis.measures import measures
from sdarts_lite.frontends.cli import main
from sdarts_lite.method.spaces import REGISTRY
from sdarts_lite.method.spaces.layers import Identity, MixedOp, Relaxed, ReLUConvBN, SearchCell, check_widths

OPS = ("skip_connect", "nor_conv_1x1")
EDGES = ((0, 1),)


@dataclass(frozen=True)
class ToyGenotype:
    """One edge, one operation; written ``toy:<op>``."""

    op: str

    @classmethod
    def parse(cls, text: str | ToyGenotype) -> ToyGenotype:
        if isinstance(text, cls):
            return text
        if not text.startswith("toy:") or text[4:] not in OPS:
            raise ValueError(f"a toy cell is toy:<op>, op one of {OPS}, got {text!r}")
        return cls(text[4:])

    def __str__(self) -> str:
        return f"toy:{self.op}"

    num_edges = 1

    def num_param_free(self) -> int:
        return int(self.op == "skip_connect")

    def diagram(self) -> dict:
        return {"": {"nodes": [("0", "in", "circle"), ("1", "out", "circle")],
                     "edges": [("0", "1", self.op)]}}


def toy_op(name: str, C: int) -> nn.Module:
    if name == "skip_connect":
        return Identity()
    return ReLUConvBN(C, C, 1, affine=False, track_running_stats=False)


class ToyNetwork(nn.Module):
    """The discrete network of a toy genotype: stem -> its operation -> global pool -> linear."""

    def __init__(self, genotype, C, N, num_classes, in_channels, image_size=None, auxiliary=False):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, C, 3, padding=1, bias=False)
        self.op = toy_op(ToyGenotype.parse(genotype).op, C)
        self.classifier = nn.Linear(C, num_classes)

    def forward(self, x):
        return self.classifier(self.op(self.stem(x)).mean(dim=(2, 3)))


class ToySupernet(Relaxed, nn.Module):
    """stem -> one cell of one MixedOp edge -> global pool -> linear."""

    def __init__(self, C, N, num_classes, in_channels, image_size=None, activation="softmax", fused=True):
        super().__init__()
        check_widths(C, "N", N, in_channels, num_classes)
        self.stem = nn.Conv2d(in_channels, C, 3, padding=1, bias=False)
        self.cell = SearchCell(EDGES, OPS, lambda i, j: MixedOp(toy_op(name, C) for name in OPS))
        self.classifier = nn.Linear(C, num_classes)
        self.relax(len(EDGES), len(OPS), activation)

    def forward(self, x):
        h = self.cell.node_states([self.stem(x)], self.edge_weights())[-1]
        return self.classifier(h.mean(dim=(2, 3)))

    def genotype(self, exclude_none=None):
        return ToyGenotype(OPS[int(self.alphas[0].argmax())])

    @torch.no_grad()
    def set_onehot(self, genotype):
        self.alphas.fill_(-1e4)
        self.alphas[0, OPS.index(ToyGenotype.parse(genotype).op)] = 1e4

    @torch.no_grad()
    def discretize(self, genotype):
        genotype = ToyGenotype.parse(genotype)
        net = ToyNetwork(genotype, self.stem.out_channels, 1, self.classifier.out_features,
                         self.stem.in_channels)
        net.stem.load_state_dict(self.stem.state_dict())
        net.classifier.load_state_dict(self.classifier.state_dict())
        tensors = self.cell.edge_tensors(0, 1, genotype.op)
        net.op.load_state_dict({k: t[rows] for k, (t, rows) in tensors.items()})
        return net


def check(N: int, image_size: int) -> None:
    if N != 1:
        raise ValueError(f"N: the toy space has one cell, got {N}")


TOY = sl.SearchSpace(
    name="toy", ops=OPS, param_free=("skip_connect",), edges=EDGES, genotype=ToyGenotype,
    recognises=lambda text: text.startswith("toy:"), depth="one cell", check=check,
    colours={"skip_connect": "#d62728", "nor_conv_1x1": "#1f77b4"},
    supernet=lambda C, N, classes, channels, size, activation, fused: ToySupernet(C, N, classes, channels,
                                                                                  size, activation),
    network=ToyNetwork, recipe=dict(lr=0.1, nesterov=True, weight_decay=5e-4, depth=1))


@pytest.fixture
def toy_space():
    sl.register(TOY)  # the registry line
    yield TOY
    REGISTRY.pop("toy")


@pytest.mark.parametrize("mode", ["single", "bilevel1"])
def test_a_registered_toy_space_is_searched_for_an_epoch(toy_space, mode, tmp_path, one_thread):
    h = sl.search(preset="digits", space="toy", optimizer=mode, C=4, N=1, epochs=1, sharpness_every=1,
                  sharpness_spectrum=True, out=tmp_path, progress=False)
    assert h.ops == list(OPS) and h.edges == [[0, 1]]
    assert len(h.epochs) == 1 and len(h.epochs[0].mixing) == 1 and len(h.epochs[0].mixing[0]) == 2
    assert h.epochs[0].alpha_step > 0  # alpha moved
    assert h.epochs[0].lambda_max is not None and len(h.epochs[0].eigenvalues) == 2  # its 2x2 Hessian
    assert isinstance(sl.parse_genotype(h.genotype), ToyGenotype) and sl.space_of(h.genotype) is TOY
    record = measures(sl.History.load(tmp_path / "history.json"))
    assert record["edges"] == 1 and record["param_free_edges"] == int(h.genotype == "toy:skip_connect")
    assert f"label={ToyGenotype.parse(h.genotype).op}" in sl.cell_graph(h.genotype).source
    sl.alpha_figure(h)  # the plots read its history as any other


def test_the_toy_space_s_rules_are_checked_where_a_config_is_made(toy_space):
    with pytest.raises(ValueError, match="N: the toy space has one cell"):
        sl.make_config("digits", space="toy", N=2)


def test_the_command_line_offers_and_searches_the_toy_space(toy_space, tmp_path, one_thread, capsys):
    assert main(["search", "--space", "toy", "--C", "4", "--N", "1", "--epochs", "1",
                 "--sharpness-every", "0",
                 "--quiet", "--out", str(tmp_path)]) == 0
    assert "genotype: toy:" in capsys.readouterr().out
    assert json.loads((tmp_path / "history.json").read_text())["config"]["space"] == "toy"


def test_without_its_registry_line_the_space_is_refused():
    with pytest.raises(ValueError, match="space: unknown 'toy'; allowed: nb201, darts"):
        sl.make_config("digits", space="toy")


@pytest.mark.parametrize("op", OPS)
def test_the_toy_supernet_one_hot_is_its_discrete_network(toy_space, op):
    net = sl.supernet("toy", C=4, N=1, num_classes=3, in_channels=1)
    net.set_onehot(f"toy:{op}")
    x = torch.randn(8, 1, 6, 6)
    torch.testing.assert_close(net(x), net.discretize(f"toy:{op}")(x))
