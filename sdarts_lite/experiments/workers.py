"""Where a study's searches run: worker processes on this machine, or a Ray cluster.

Every run uses the same number of torch threads (``threads``), so parallel and serial runs give
bit-identical results on CPU.  Local worker processes die with the process that started them
(``die_with_parent``), so a study killed even by SIGKILL and run again ends as an uninterrupted
one does.
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
from multiprocessing import get_context
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..base.device import check_device
from ..run.config import SearchConfig
from ..run.history import History
from ..run.search import search

BACKENDS = ("local", "ray")


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
    history = search(SearchConfig.from_dict(config), out=out, resume=resume, device=device, progress=False)
    return {"out": out, "history": history.to_dict()}


def side_by_side(runs: dict[str, tuple[SearchConfig, Path]], device: str | None = None,
                 progress: bool = True) -> dict[str, History]:
    """Searches at once, each in its own worker process on one torch thread, as many at a time as
    there are cores: bit-identical to running them one after another on one thread (``compare``
    and ``make demo``).  One bar counts the epochs of all, read from the ``history.json`` each
    search writes into its folder at every epoch end."""
    check_device(device)
    names = list(runs)
    jobs = [(config.to_dict(), str(path), 1, device, False) for config, path in runs.values()]
    bar = tqdm(total=sum(config.epochs for config, _ in runs.values()), disable=not progress,
               desc=" and ".join(names), unit="epoch")

    def tick():
        bar.n = sum(_epochs_written(path) for _, path in runs.values())
        bar.refresh()

    found = {}
    try:
        for k, result in execute(jobs, "local", None, 1, None, tick):
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


def execute(jobs: list[tuple], backend: str, workers: int | None, threads: int, ray_address: str | None,
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
