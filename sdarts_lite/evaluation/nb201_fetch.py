"""Getting the NAS-Bench-201 table once: ``python -m sdarts_lite fetch nb201``.

The default source is the CSV of all 15,625 cells published in the public repository
v-tao/nats-bench-landscape, derived from NATS-Bench (Dong et al., TPAMI 2021; its topology
space is NAS-Bench-201's cells), pinned by commit and checked against its sha256.  Other
sources: a CSV in the same layout, from a URL or a file; or the official NATS-Bench topology
file (or folder), read through its own package (``pip install nats_bench``) and written out in
that layout.  Every source is checked before anything is written (its columns, numbers, cell
strings and canonical forms), then the table goes atomically to ``default_path()`` (under
``root=``: ``<root>/nb201/nats_bench.csv``), where ``load_benchmark()`` finds it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import urllib.request
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit

from tqdm.auto import tqdm

from ..base.files import write_atomically
from ..method.spaces.nb201.genotypes import NB201Genotype
from .nb201_table import (
    FETCH,
    NB201Benchmark,
    canonical_form,
    default_path,
    read_csv,
    read_official,
    write_csv,
)

COMMIT = "312680307c44fd111146b2be0d0148194fbb2ca8"  # of v-tao/nats-bench-landscape
SOURCE_URL = f"https://raw.githubusercontent.com/v-tao/nats-bench-landscape/{COMMIT}/nats_bench.csv"
SHA256 = "cb5d777ec3368be83c8f9b3aa4d520696051cb0eb8d94b8f85b519f9ea4afa3e"  # of that file
NUM_CELLS = 15_625  # 5 operations on 6 edges
URL_SCHEMES = ("http", "https", "file")


def fetch_table(source: str | os.PathLike | None = None, root: str | os.PathLike | None = None,
                sha256: str | None = None, progress: bool = True) -> tuple[Path, NB201Benchmark]:
    """Get the table from ``source`` (default: ``SOURCE_URL``, expected to hash to ``SHA256``),
    check it, and write it to ``<root>/nb201/nats_bench.csv`` (default root: the datasets',
    $SDARTS_DATA else ``~/.cache/sdarts-lite``); return that path and the table.

    ``source``: an http(s) or file URL, or a path, of a CSV in the layout of ``nats_bench.csv``;
    or a path not ending in ``.csv``, read as the official NATS-Bench topology file.  ``sha256``:
    the hash the CSV must have (a mismatch is refused, naming both); when the file already there
    has it, nothing is fetched.  A table without 15,625 cells is written with a one-line warning."""
    if source is None:
        source, sha256 = SOURCE_URL, sha256 or SHA256
    source = str(source)
    dest = (Path(root) / "nb201" / "nats_bench.csv") if root is not None else default_path()
    if sha256 and dest.is_file() and file_sha256(dest) == sha256.lower():
        return dest, read_csv(dest)
    scheme = urlsplit(source).scheme
    if "://" in source and scheme not in URL_SCHEMES:
        raise ValueError(f"nb201: cannot read {source}: a URL must be {', '.join(URL_SCHEMES)}")
    if scheme not in URL_SCHEMES and not Path(source).exists():
        raise FileNotFoundError(f"nb201: {source} does not exist")
    official = scheme not in URL_SCHEMES and Path(source).suffix.lower() != ".csv"
    if official and sha256:
        raise ValueError(f"nb201: sha256 checks a CSV file; {source} is read as the official NATS-Bench "
                         "topology file")
    read = check_table(read_official(Path(source)), source) if official else None  # before writing
    dest.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> NB201Benchmark:
        if read is not None:
            write_csv(read, tmp)
            return read
        if scheme in URL_SCHEMES:
            download(source, tmp, progress)
        else:
            shutil.copyfile(source, tmp)
        if sha256 and (got := file_sha256(tmp)) != sha256.lower():
            raise ValueError(f"nb201: {source} has sha256 {got}, expected {sha256.lower()}; not written (a "
                             "changed or damaged file: fetch it again, or give the right hash)")
        return check_table(read_csv(tmp, name=source), source)

    table = write_atomically(dest, write)
    if len(table) != NUM_CELLS:
        print(f"warning: {source} holds {len(table)} cells, not NAS-Bench-201's {NUM_CELLS:,}; ranks count "
              "only these", file=sys.stderr)
    table.source = str(dest)
    return dest, table


def check_table(table: NB201Benchmark, source: str) -> NB201Benchmark:
    """Refuse a table whose cells are not written in the benchmark's string form, repeat, or
    carry a canonical form other than the benchmark's (``canonical_form``)."""
    uniques = table.classes[table.class_of]
    for r, arch in enumerate(table.archs):
        where = f"nb201: {source}, cell {r + 1}"
        try:
            written = str(NB201Genotype.parse(arch))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        if written != arch:
            raise ValueError(f"{where}: {arch!r} is not in the benchmark's form {written!r}")
        if uniques[r] != canonical_form(arch):
            raise ValueError(f"{where} ({arch}): UniqueString {uniques[r]!r} is not its canonical form "
                             f"{canonical_form(arch)!r}")
    if len(table.row) != len(table):
        raise ValueError(f"nb201: {source} lists {len(table) - len(table.row)} cell(s) twice")
    if not len(table):
        raise ValueError(f"nb201: {source} holds no cells")
    return table


def download(url: str, to: Path, progress: bool) -> None:
    """``url`` into the file ``to``, with a progress bar of its bytes."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(to, "wb") as out:
            size = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc="nb201", disable=not progress) as bar:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
    except OSError as err:  # urllib's URLError and HTTPError, timeouts, a full disk
        reason = err if isinstance(err, HTTPError) else getattr(err, "reason", None) or err
        raise OSError(f"nb201: could not download {url} ({reason}); offline, download it elsewhere and "
                      f"give the file: {FETCH} --from FILE") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
