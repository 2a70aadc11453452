"""The layers of docs/architecture.md hold: the import-linter contracts of pyproject.toml name
every module, pass on the code as it is, and fail on an import that runs back up."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("orgdesign", "teams", "pipelines")
LINT = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]
# Not code that a layer could hold: the project's settings, app configs, migrations and the
# packages themselves (whose __init__ holds only a docstring).
UNLAYERED = {"orgdesign.settings", "orgdesign.settings_test"}


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def layered_names() -> list[str]:
    names = []
    for layer in contracts()["layers"]["layers"]:
        names += [name.strip() for name in layer.replace("|", ":").split(":") if name.strip()]
    return names


def code_modules() -> set[str]:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    return {
        module for module in graph.modules
        if ".migrations" not in module and not module.endswith(".apps")
        and module not in UNLAYERED and not graph.find_children(module)
    }


def test_every_module_is_in_exactly_one_layer():
    names = layered_names()
    assert len(names) == len(set(names)), "a module is named in two layers"

    def layer_of(module):
        return [name for name in names if module == name or module.startswith(f"{name}.")]

    assert {module: layer_of(module) for module in code_modules()
            if len(layer_of(module)) != 1} == {}


def test_every_subpackage_of_the_project_says_what_it_owns():
    packages = [path.parent for path in (ROOT / "orgdesign").glob("*/__init__.py")
                if path.parent.name != "migrations"]
    assert {package.name for package in packages} >= {
        "access", "analysis", "api", "csvio", "history", "jobs", "scenarios", "web",
    }
    assert [package.name for package in packages
            if len((package / "__init__.py").read_text().strip()) < 60] == []
    # At the top of the project package: its configuration only.
    assert {path.name for path in (ROOT / "orgdesign").glob("*.py")} == {
        "__init__.py", "settings.py", "settings_test.py", "urls.py", "wsgi.py", "asgi.py",
        "production.py",
    }


def lint(cwd: Path) -> subprocess.CompletedProcess:
    # Wide enough that no message is folded.
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(LINT, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_contracts_hold_on_the_code():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(("module", "imports", "chain"), [
    # A model that calls a service.
    ("teams/models.py", "from teams import services", "teams.models -> teams.services"),
    # The engine that reaches for a page.
    ("orgdesign/analysis/findings.py", "from orgdesign.scenarios import views",
     "orgdesign.analysis.findings -> orgdesign.scenarios.views"),
    # A service that reaches for the web plumbing.
    ("teams/sync.py", "from orgdesign.web import errors", "teams.sync -> orgdesign.web.errors"),
    # A door that imports another door's internals.
    ("pipelines/matrix_views.py", "from teams import people_views",
     "pipelines.matrix_views -> teams.people_views"),
    # A page that loads a design itself instead of asking the keeper.
    ("teams/chart_views.py", "from orgdesign.analysis import loader",
     "teams.chart_views -> orgdesign.analysis.loader"),
])
def test_an_import_that_runs_back_up_breaks_a_contract(copy_of_the_code, module, imports, chain):
    path = copy_of_the_code / module
    path.write_text(path.read_text() + f"\n{imports}  # noqa\n")
    result = lint(copy_of_the_code)
    assert result.returncode == 1
    assert "1 broken." in result.stdout
    assert chain in result.stdout


def test_shared_test_helpers_live_outside_the_test_modules():
    """A helper two test modules need is in a module of its own under tests/ (CONTRIBUTING.md),
    so running one test module never needs another."""
    pattern = re.compile(r"^\s*(from|import) tests\.test_", re.M)
    importing = sorted(path.name for path in (ROOT / "tests").glob("*.py")
                       if pattern.search(path.read_text()))
    assert importing == []
