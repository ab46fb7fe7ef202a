"""The two install routes agree, and the repository keeps the shape the README promises."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def extra(project: dict, name: str) -> list[str]:
    """An extra's requirements, the package's own extras it names (``sdarts-lite[docs]``) unfolded."""
    out = []
    for r in project["optional-dependencies"][name]:
        own = re.fullmatch(r"sdarts-lite\[(\w+)\]", r)
        out += extra(project, own[1]) if own else [r]
    return out


def test_environment_yml_and_pyproject_declare_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {name_of(r): r.replace(" ", "") for r in project["dependencies"] + extra(project, "test")}
    env = (ROOT / "environment.yml").read_text().splitlines()
    start = env.index("  - pip:")
    conda = [line.strip()[2:] for line in env[start + 1:] if line.strip().startswith("- ")]
    listed = {name_of(r): r.replace(" ", "") for r in conda if not r.startswith("-e")}
    assert listed == declared
    assert any(line.strip() == "- -e ." for line in env[start + 1:])


def test_torch_is_a_range_not_a_pin():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = [d for d in deps if name_of(d) == "torch"]
    assert torch == ["torch>=2.3"]
    assert not any("==" in d for d in deps)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


BUILD_ONLY = {"nbconvert", "nbclient", "nbformat", "latex2mathml", "kaleido", "jinja2"}


def test_the_package_needs_no_build_tool():
    """The book, the README's figures and the notebooks' outputs live in tools/: no module of the
    installed package imports what they need, and the package declares it only in the docs extra."""
    from tests.test_layers import imports, modules

    for module in modules():
        used = {name.split(".")[0] for name in imports(ROOT, module)}
        assert not used & BUILD_ONLY, f"{module} imports {sorted(used & BUILD_ONLY)}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not {name_of(r) for r in project["dependencies"]} & BUILD_ONLY
    assert {"nbconvert", "latex2mathml", "kaleido"} <= {name_of(r) for r in extra(project, "docs")}
