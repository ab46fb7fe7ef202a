"""What a search leaves behind: plain records, saved as JSON, read by plots and widgets.  A record
holds its operations' and edges' names and imports no space: what its cells measure (parameter-free
edges, operations reaching the output) is read through its space in ``analysis/measures.py``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..base.files import write_atomically
from ..method.mixing import inert_ops


@dataclass
class StepRecord:
    """Mixing weights every few steps (``log_every``): the fine-grained alpha trajectory."""

    epoch: int
    step: int
    mixing: list[list[float]]  # the mixing weights, as EpochRecord's


@dataclass
class EpochRecord:
    """One epoch: the mixing weights (softmax, or sigmoid, of alpha; one row per alpha row: 6 x 5
    for NAS-Bench-201, 28 x 8 for DARTS), losses, accuracies, derived cell, time.  The measures
    below read each row as shares of the edge's total weight (``History.shares``).

    ``train_*`` averages the batches that updated w; ``valid_*`` is the supernet on the held-out
    split, which no update ever sees (the same split for every optimizer, so they compare).  How much
    signal alpha got: ``alpha_loss`` averages the loss alpha descended (single-level: the same
    batches as w; bi-level: the validation batches; second order: at the unrolled weights),
    ``alpha_grad_norm`` the norm of its gradient, and ``alpha_step`` is how far alpha moved in
    the epoch (the Euclidean norm of the change of every alpha together).  Why it moved there:
    ``lambda_max``, the largest eigenvalue of the Hessian in alpha of the loss on fixed held-out
    batches (None in epochs not measured).
    """

    epoch: int
    mixing: list[list[float]]  # the mixing weights: alpha through the softmax (or sigmoid), not alpha
    train_loss: float
    train_acc: float
    valid_loss: float
    valid_acc: float
    genotype: str
    seconds: float
    w_lr: float
    alpha_loss: float
    alpha_grad_norm: float
    alpha_step: float
    lambda_max: float | None = None         # the held-out loss's sharpness in alpha (sharpness.py)
    eigenvalues: list[float] | None = None  # its whole Hessian spectrum, ascending (NAS-Bench-201)


@dataclass
class History:
    """The plain record of one search: its configuration, one EpochRecord per epoch, StepRecords
    every ``log_every`` steps, the derived genotype; saved and loaded as JSON."""

    config: dict
    ops: list[str]          # the columns of the mixing weights: the space's operations
    edges: list[list[int]]  # their rows: the space's edges, (from, to) nodes
    epochs: list[EpochRecord] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    genotype: str = ""
    stopped: bool = False  # ended early by the caller (a Stop button), not by the epoch count
    steps_per_epoch: int = 0  # places a StepRecord within its epoch
    early_stop: dict | None = None  # where DARTS-ES stopped, why, and the cell it kept

    @property
    def learned_ops(self) -> list[str]:
        """The operations whose weights the search sets: all of them, but under the sigmoid not
        ``none``, whose weight never moves (``mixing.inert_ops``)."""
        inert = inert_ops(self.config.get("activation", "softmax"))
        return [op for op in self.ops if op not in inert]

    def shares(self, mixing: list[list[float]]) -> list[list[float]]:
        """Each row of mixing weights as the shares of its ``learned_ops`` in their total: the
        softmax weights themselves, and under the sigmoid, whose rows do not sum to 1, the one
        reading that plots and measures share."""
        cols = [self.ops.index(op) for op in self.learned_ops]
        return [[row[c] / sum(row[c] for c in cols) for c in cols] for row in mixing]

    def decisiveness(self) -> list[float]:
        """Per epoch, the mean over edges of the largest share: 1/5 (1/8 for DARTS) while alpha is
        uniform under the softmax, 1 once every edge has decided.  Under the sigmoid several
        operations can all hold weights near 1, so it stays lower: compare it within a relaxation."""
        return [sum(map(max, rows)) / len(rows) for rows in map(self.shares, (r.mixing for r in self.epochs))]

    def lambda_max(self) -> tuple[list[int], list[float]]:
        """The epochs (1-based) where lambda_max was measured, and its values there."""
        measured = [(r.epoch + 1, r.lambda_max) for r in self.epochs if r.lambda_max is not None]
        return [e for e, _ in measured], [v for _, v in measured]

    def to_dict(self) -> dict:
        """Plain lists and dicts, as written to ``history.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """The inverse of ``to_dict``; records written before issue 36 call the mixing weights ``alphas``."""
        renamed = lambda r: {("mixing" if k == "alphas" else k): v for k, v in r.items()}  # noqa: E731
        return cls(**{**d, "epochs": [EpochRecord(**renamed(r)) for r in d["epochs"]],
                        "steps": [StepRecord(**renamed(r)) for r in d["steps"]]})

    def save(self, path: str | os.PathLike) -> None:
        """Write JSON atomically (a temporary file, then a rename)."""
        write_atomically(Path(path), lambda tmp: tmp.write_text(json.dumps(self.to_dict(), indent=1)))

    @classmethod
    def load(cls, path: str | os.PathLike) -> History:
        """Read a ``history.json``."""
        return cls.from_dict(json.loads(Path(path).read_text()))
