"""Every notebook's figures are in the repository, rendered (``make gallery``), drawn from the
notebooks as they are now: committed notebooks keep only checked outputs, so this is what a reader
browsing the repository sees."""

import re
from pathlib import Path

import pytest
from PIL import Image

from tools.book import source_hash

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "notebooks" / "figures"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def sections():
    """Per notebook named in the gallery: the hash it was drawn from and its figures."""
    text = (GALLERY / "README.md").read_text()
    parts = re.split(r"^## \[.*?\]\(\.\./([\w.]+)\)$", text, flags=re.M)
    return {name: (re.search(r"drawn from sources (\w+)", body)[1], re.findall(r"\]\(([\w.]+)\)", body))
            for name, body in zip(parts[1::2], parts[2::2])}


def test_the_gallery_has_every_notebook_drawn_from_its_current_sources():
    drawn = sections()
    assert sorted(drawn) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert drawn[path.name][0] == source_hash(path), f"{path.name} changed since: make gallery"
        assert drawn[path.name][1], f"{path.name} shows no figure"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_figure_is_a_valid_drawing_and_every_file_is_listed(path):
    names = sections()[path.name][1]
    for name in names:
        file = GALLERY / name
        assert name.startswith(path.stem[:2] + "_") and file.exists(), name
        if name.endswith(".png"):
            with Image.open(file) as image:
                image.verify()
            with Image.open(file) as image:
                assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 20, f"{name}: blank"
        else:
            assert file.read_text().lstrip().startswith(("<?xml", "<svg")), name
    on_disk = {p.name for p in GALLERY.glob(path.stem[:2] + "_*")}
    assert on_disk == set(names)
