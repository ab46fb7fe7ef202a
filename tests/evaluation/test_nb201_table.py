"""The NAS-Bench-201 lookup against the benchmark's own numbers and strings, read here directly
with the csv module."""

import csv
import functools
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from sdarts_lite import NB201Genotype
from sdarts_lite.evaluation.nb201_table import COLUMNS, ENV_VAR, FETCH, canonical_form, load_benchmark

ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
# node 1 feeds only none edges, so its operation changes nothing: the same function
CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
REWRITE = "|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"


@functools.lru_cache
def bench(path: Path):
    return load_benchmark(path)


@functools.lru_cache
def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_known_cells(nb201_csv):
    b = bench(nb201_csv)
    assert len(b) == 15_625 and b.num_classes == 6_466
    skip = b.query(ALL_SKIP)
    assert round(skip.accuracy["cifar10"], 2) == 54.30
    best = b.query(NB201Genotype.parse(BEST))
    assert round(best.accuracy["cifar10"], 2) == 94.37
    assert best.rank["cifar10"] == 1 and best.percentile["cifar10"] == 100.0
    assert skip.rank["cifar10"] > 6_000


def test_isomorphic_rewrite_gets_its_class_mean(nb201_csv):
    table = {r["ArchitectureString"]: r for r in rows(nb201_csv)}
    assert table[CELL]["UniqueString"] == table[REWRITE]["UniqueString"]
    raw = [float(table[c]["CIFAR10TestAccuracy200Epochs"]) for c in (CELL, REWRITE)]
    assert raw[0] != raw[1]  # trained separately: the per-cell numbers differ
    members = [float(r["CIFAR10TestAccuracy200Epochs"]) for r in rows(nb201_csv)
               if r["UniqueString"] == table[CELL]["UniqueString"]]
    a, b = bench(nb201_csv).query(CELL), bench(nb201_csv).query(REWRITE)
    assert a.accuracy == b.accuracy and a.rank == b.rank and a.unique == b.unique
    assert a.members == len(members) >= 2
    assert a.accuracy["cifar10"] == pytest.approx(np.mean(members), abs=1e-9)


def test_rank_and_percentile_count_classes(nb201_csv):
    members = defaultdict(list)
    for r in rows(nb201_csv):
        members[r["UniqueString"]].append(float(r["CIFAR100TestAccuracy200Epochs"]))
    means = [np.mean(v) for v in members.values()]
    res = bench(nb201_csv).query(ALL_SKIP)
    mine = res.accuracy["cifar100"]
    assert res.rank["cifar100"] == 1 + sum(m > mine + 1e-9 for m in means)
    at_or_below = sum(m <= mine + 1e-9 for m in means)
    assert res.percentile["cifar100"] == pytest.approx(100 * at_or_below / len(means))


def test_canonical_form_reproduces_the_benchmarks_unique_strings(nb201_csv):
    for r in rows(nb201_csv):
        assert canonical_form(r["ArchitectureString"]) == r["UniqueString"], r["ArchitectureString"]


def test_all_accuracies_for_a_histogram(nb201_csv):
    b = bench(nb201_csv)
    cells = b.accuracies("cifar10")
    assert cells.shape == (15_625,)
    np.testing.assert_array_equal(cells, [float(r["CIFAR10TestAccuracy200Epochs"]) for r in rows(nb201_csv)])
    assert b.accuracies("ImageNet16-120", per="class").shape == (6_466,)
    with pytest.raises(ValueError, match="dataset: unknown 'svhn'"):
        b.accuracies("svhn")


def test_wrong_columns_are_named(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("CIFAR10TestAccuracy200Epochs,ArchString,UniqueString\n94.0,|x|,0\n")
    with pytest.raises(ValueError) as err:
        load_benchmark(path)
    for missing in set(COLUMNS) - {"CIFAR10TestAccuracy200Epochs", "UniqueString"}:
        assert missing in str(err.value)
    assert "CIFAR10TestAccuracy200Epochs" not in str(err.value)


def test_no_path_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("SDARTS_DATA", str(tmp_path))  # where nothing was fetched
    with pytest.raises(FileNotFoundError, match=ENV_VAR) as err:
        load_benchmark()
    assert "\n" not in str(err.value) and FETCH in str(err.value)


def test_path_from_the_environment(monkeypatch, nb201_csv, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(nb201_csv))
    assert len(load_benchmark()) == 15_625
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent.csv"))
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        load_benchmark()


def test_official_api_agrees_with_the_table(nb201_csv):
    """Only where the official package and its topology file are installed (slow: reads all cells)."""
    pytest.importorskip("nats_bench")
    path = Path(os.environ.get("TORCH_HOME", Path.home() / ".torch")) / "NATS-tss-v1_0-3ffb9-simple"
    if not path.exists():
        pytest.skip(f"NATS-Bench topology file not found at {path}")
    official, table = load_benchmark(path), bench(nb201_csv)
    for cell in (ALL_SKIP, BEST, CELL):
        assert official.query(cell).accuracy == pytest.approx(table.query(cell).accuracy, abs=0.01)
