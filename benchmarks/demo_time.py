"""How long ``make demo`` takes from a fresh clone, install included (pip's cache as it is):
clones this repository's HEAD into a temporary folder, runs ``make demo`` there, and writes the
time and the CPU to ``assets/times.json`` (the README's times block reads it: ``make figures``).
Not a test: run it on an idle machine, ``python benchmarks/demo_time.py``."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from tools.notebook_outputs import TIMES, machine

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "sdarts-lite"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        started = time.perf_counter()
        subprocess.run(["make", "demo"], cwd=clone, check=True)
        seconds = time.perf_counter() - started
    path = ROOT / TIMES
    times = json.loads(path.read_text()) if path.exists() else {}
    times["demo"] = {"seconds": round(seconds, 1), "machine": machine()}
    path.write_text(json.dumps(times, indent=1) + "\n")
    print(f"make demo from a fresh clone: {seconds:.0f} s ({machine()}); written to {path}")


if __name__ == "__main__":
    main()
