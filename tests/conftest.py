import os
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

from sdarts_lite.evaluation.nb201_table import ENV_VAR, FETCH, find_table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent / "references"))  # the independent oracles
# the NAS-Bench-201 table: $SDARTS_NB201, else the one `python -m sdarts_lite fetch nb201` wrote, else the
# reference copy beside the repository
NB201_CSV = find_table() or ROOT.parent / "shared" / "nb201" / "nats_bench.csv"

# Hypothesis profiles (tests/base/test_guard_properties.py): "ci", the default, draws the same examples on
# every run (derandomized, no example database), few enough that the property tests take about a
# minute on 2 CPU cores; "dev" draws ten times as many, new ones each run:
# HYPOTHESIS_PROFILE=dev make test (or pytest tests/base/test_guard_properties.py).
_QUIET = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=30, derandomize=True, database=None, print_blob=True, **_QUIET)
settings.register_profile("dev", max_examples=300, **_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def nb201_csv() -> Path:
    if not NB201_CSV.is_file():
        pytest.skip(f"NAS-Bench-201 table not found at {NB201_CSV} ({FETCH}, or set {ENV_VAR})")
    return NB201_CSV


@pytest.fixture(scope="session")
def path_without_dot(tmp_path_factory) -> str:
    """A PATH on which graphviz's ``dot`` is hidden, as on a machine where only pip installed
    things: one folder of links to every other program on PATH."""
    folder = tmp_path_factory.mktemp("bin")
    for directory in os.environ["PATH"].split(os.pathsep):
        for program in sorted(Path(directory).glob("*")) if Path(directory).is_dir() else []:
            link = folder / program.name
            runnable = program.is_file() and os.access(program, os.X_OK)
            if program.name != "dot" and runnable and not link.exists():
                link.symlink_to(program)
    return str(folder)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def one_thread():
    """For tiny networks: a second OpenMP thread only adds overhead, and on a busy 2-core
    machine spinning threads make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
