"""Many searches, one question: does bi-level DARTS drift to parameter-free operations where
single-level does not?  A study runs every (mode, seed) pair, in parallel local processes or on a
Ray cluster, and summarises each mode over seeds.

Each run writes ``OUT/<mode>/seed<k>/history.json`` (and its checkpoint); a rerun skips the runs
whose history is complete and resumes the others.  Every run uses the same number of torch
threads (``threads``), so parallel and serial studies give bit-identical results on CPU.  Local
worker processes die with the study (``die_with_parent``), so a study killed even by SIGKILL and
run again ends as an uninterrupted one does.  A study returns its summary and the runs'
histories; plots and reports are the caller's (the CLI writes ``report.html``).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import torch
from tqdm.auto import tqdm

from .checkpoint import config_differences
from .checks import non_negative_int, one_of, positive_int
from .config import BUDGETS, SearchConfig, make_config
from .history import History
from .optimizers import STUDY_MODES
from .runtime import check_device
from .search import search
from .summary import contrasts, measures, summarise

BACKENDS = ("local", "ray")


class StudyResult(NamedTuple):
    """What a study returns: its summary (as in ``summary.json``) and the histories of its runs
    (group -> one per seed, in seed order)."""

    summary: dict
    histories: dict[str, list[History]]


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def die_with_parent(parent: int) -> None:
    """A local worker's initializer: end this worker when the study process ``parent`` ends, even by
    SIGKILL, so that no orphan goes on writing into the folders a rerun resumes from (nor idles on
    forever).  On Linux the kernel kills the worker at once (``prctl(PR_SET_PDEATHSIG)``; the pool's
    processes are started by the thread that calls ``study``, which outlives them); elsewhere a
    thread checks every second whether the parent is still there."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the lines above took effect
        os._exit(1)


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def run_one(config: dict, out: str, threads: int, device: str | None = None, resume: bool = True) -> dict:
    """One search (resumed if a checkpoint exists and ``resume``), summarised.  Runs in a worker process."""
    torch.set_num_threads(threads)
    history = search(SearchConfig(**config), out=out, resume=resume, device=device, progress=False)
    return {"out": out, "history": history.to_dict()}


def finished(config: SearchConfig, out: Path) -> History | None:
    """The run's history if it completed all its epochs, else None; a finished run made with
    other settings is refused, not mixed into the study."""
    path = out / "history.json"
    if not path.is_file():
        return None
    try:
        history = History.load(path)
    except (TypeError, KeyError, ValueError):
        raise ValueError(f"out: {out} holds a run this version cannot read; choose another --out") from None
    differ = config_differences(history.config, config)
    if differ:
        raise ValueError(f"out: {out} holds a run with other settings ({differ}); choose another --out")
    done = len(history.epochs) == config.epochs or history.early_stop is not None
    return history if done and not history.stopped else None


def run_folder(out: Path, mode: str, budget: str | None, seed: int) -> Path:
    """Where a study keeps one run: ``out/<group>/seed<seed>``, the group being the mode
    (``STUDY_MODES``) and, for single-level, its budget (``single-steps``, ``bilevel1``)."""
    group = f"{mode}-{budget}" if STUDY_MODES[mode][0] == "single" else mode
    return Path(out) / group / f"seed{seed}"


def plan_runs(modes, budgets, seeds: range, preset: str | None, out: Path, overrides: dict) -> dict:
    """Every run of a study: ``{(group, seed): (config, folder)}``.  A single-level mode runs once
    per budget (groups ``single-steps``, ``single-epochs``); bi-level, which the budget does not
    change, once (groups ``bilevel1``, ``bilevel2``)."""
    plan = {}
    for mode in modes:
        mode_name, order = STUDY_MODES[mode]
        for budget in budgets if mode_name == "single" else [None]:
            settings = {**overrides, **({"budget": budget} if budget else {})}
            for seed in seeds:
                config = make_config(preset, mode=mode_name, order=order, seed=seed, **settings)
                folder = run_folder(out, mode, budget, seed)
                plan[(folder.parent.name, seed)] = (config, folder)
    return plan


def study(modes: list[str] | tuple[str, ...] = ("single", "bilevel1", "bilevel2"), seeds: int = 10,
          preset: str | None = "digits", out: str | os.PathLike = "runs/study", backend: str = "local",
          workers: int | None = None, threads: int = 1, nb201: str | os.PathLike | None = None,
          ray_address: str | None = None, device: str | None = None, progress: bool = True,
          first_seed: int = 0, budgets: list[str] | tuple[str, ...] = BUDGETS, **overrides) -> StudyResult:
    """Run every (mode, budget, seed) search; return the study's summary (also written to
    ``out/summary.json``) and the runs' histories: ``summary, runs = study(...)``.
    ``histories(summary, out)`` reads the runs back later.

    ``seeds`` runs seeds ``first_seed`` .. ``first_seed + seeds - 1``; single-level runs under
    each of ``budgets`` (``SearchConfig.budget``); ``workers`` processes (default: cores //
    threads) run at once locally; ``backend="ray"`` sends the runs to a Ray cluster instead
    (``ray_address``, default: a local Ray).  ``nb201``: a NAS-Bench-201 table to look the
    derived cells up in.  ``device``: where each search runs (default: CUDA when present; on one
    GPU, ``workers=1``).
    """
    unknown = [m for m in modes if m not in STUDY_MODES]
    if unknown or not modes:
        raise ValueError(f"modes: unknown {', '.join(unknown) or '(none given)'}; "
                         f"allowed: {', '.join(STUDY_MODES)}")
    unknown = [b for b in budgets if b not in BUDGETS]
    if unknown or not budgets:
        raise ValueError(f"budgets: unknown {', '.join(unknown) or '(none given)'}; "
                         f"allowed: {', '.join(BUDGETS)}")
    one_of("backend", backend, BACKENDS)
    positive_int("seeds", seeds)
    non_negative_int("first_seed", first_seed)
    positive_int("threads", threads)
    if workers is not None:
        positive_int("workers", workers)
    check_device(device)  # here, not in every worker
    lookup = None
    if nb201 is not None:
        from .lookup import load_benchmark

        lookup = load_benchmark(nb201)
    out = Path(out)
    seed_range = range(first_seed, first_seed + seeds)
    plan = plan_runs(modes, budgets, seed_range, preset, out, overrides)
    histories = {key: h for key, (config, path) in plan.items() if (h := finished(config, path))}
    todo = [key for key in plan if key not in histories]
    bar = tqdm(total=len(plan), initial=len(histories), disable=not progress, desc="study", unit="run")
    jobs = [(asdict(plan[k][0]), str(plan[k][1]), threads, device) for k in todo]
    for k, result in _execute(jobs, backend, workers, threads, ray_address):
        histories[todo[k]] = History.from_dict(result["history"])
        bar.update(1)
    bar.close()

    groups = list(dict.fromkeys(group for group, _ in plan))
    runs = {g: [measures(histories[(g, s)], lookup) for s in seed_range] for g in groups}
    reference = next((g for g in groups if g.startswith("bilevel")), None)
    summary = {"preset": preset, "overrides": overrides, "seeds": seeds, "first_seed": first_seed,
               "budgets": list(budgets),
               "config": {g: asdict(plan[(g, first_seed)][0]) for g in groups},
               "summary": summarise(runs), "runs": runs,
               "contrasts": contrasts(runs, reference) if reference else {}}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return StudyResult(summary, {g: [histories[(g, s)] for s in seed_range] for g in groups})


def histories(summary: dict, out: str | os.PathLike) -> dict[str, list[History]]:
    """The histories of a study's runs, read back from ``out`` (group -> one per seed)."""
    return {g: [History.load(Path(out) / g / f"seed{r['seed']}" / "history.json") for r in records]
            for g, records in summary["runs"].items()}


def side_by_side(runs: dict[str, tuple[SearchConfig, Path]], device: str | None = None,
                 progress: bool = True) -> dict[str, History]:
    """Searches at once, each in its own worker process on one torch thread, as many at a time as
    there are cores: bit-identical to running them one after another on one thread (``compare``
    and ``make demo``).  One bar counts the epochs of all, read from the ``history.json`` each
    search writes into its folder at every epoch end."""
    check_device(device)
    names = list(runs)
    jobs = [(asdict(config), str(path), 1, device, False) for config, path in runs.values()]
    bar = tqdm(total=sum(config.epochs for config, _ in runs.values()), disable=not progress,
               desc=" and ".join(names), unit="epoch")

    def tick():
        bar.n = sum(_epochs_written(path) for _, path in runs.values())
        bar.refresh()

    found = {}
    try:
        for k, result in _execute(jobs, "local", None, 1, None, tick):
            found[names[k]] = History.from_dict(result["history"])
            tick()
    finally:
        bar.close()
    return {name: found[name] for name in names}


def _epochs_written(folder: Path) -> int:
    try:
        return len(json.loads((folder / "history.json").read_text())["epochs"])
    except (OSError, ValueError, KeyError):  # not written yet
        return 0


def _execute(jobs: list[tuple], backend: str, workers: int | None, threads: int, ray_address: str | None,
             tick: Callable[[], None] | None = None):
    """Yield ``(index, result of run_one)`` for every job, as each finishes; call ``tick`` about
    every second while local workers run."""
    if backend == "ray" and jobs:
        try:
            import ray
        except ImportError:
            raise ValueError("backend: Ray is not installed (pip install 'sdarts-lite[ray]')") from None
        if not ray.is_initialized():
            ray.init(address=ray_address, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(num_cpus=threads)(run_one)
        pending = {remote.remote(*job): k for k, job in enumerate(jobs)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(done[0]), ray.get(done[0])
        return
    workers = min(workers or max(1, (os.cpu_count() or 1) // threads), max(1, len(jobs)))
    if workers == 1:
        previous = torch.get_num_threads()
        try:
            for k, job in enumerate(jobs):
                yield k, run_one(*job)
        finally:
            torch.set_num_threads(previous)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(run_one, *job): k for k, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            if tick:
                tick()
            for future in done:
                yield futures[future], future.result()
