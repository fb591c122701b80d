"""What ships: the product wheel holds no sandbox code and needs no sandbox-only dependency; the
sandbox is its own package (packages/relorch-sandbox) with its sample Worker; every import in
the tree is declared by the pyproject of the code that makes it, and the product's runtime
dependencies have upper bounds."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "packages" / "relorch-sandbox"
PRODUCT = ("procedure", "clients", "tasks", "flows", "relctl")
DEV_TREE = ("tests", "scripts", "bench")
OURS = {*PRODUCT, *DEV_TREE, "sandbox"}
SANDBOX_ONLY = {"uvicorn", "starlette", "python-multipart", "graphql-core"}
# Lower bound only, on purpose: its major versions follow a calendar and the API we use (PEM
# keys, RSA signing) is stable; requirements/*.lock pins the exact version.
UNBOUNDED_OK = {"cryptography"}
# A build copies the tree without what is not source (and what a build writes into it).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    ".state",
    "build",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".wrangler",
)


def name_of(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def build_wheel(project: Path, out: Path) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(project), "-w", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def requires_dist(wheel: zipfile.ZipFile) -> list[str]:
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    lines = wheel.read(metadata).decode().splitlines()
    return [
        line.removeprefix("Requires-Dist: ") for line in lines if line.startswith("Requires-Dist: ")
    ]


@pytest.fixture(scope="module")
def product_wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("src") / "repo"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    return build_wheel(source, tmp_path_factory.mktemp("wheel"))


def test_product_wheel_has_no_sandbox_and_no_sandbox_dependency(
    product_wheel: zipfile.ZipFile,
) -> None:
    tops = {name.split("/")[0] for name in product_wheel.namelist()}
    assert {"procedure", "clients", "tasks", "flows", "relctl"} <= tops
    assert "sandbox" not in tops and not any("sample-worker" in n for n in product_wheel.namelist())
    runtime = [r for r in requires_dist(product_wheel) if "extra ==" not in r]
    assert {name_of(r) for r in runtime} & SANDBOX_ONLY == set()
    assert {"prefect", "httpx", "tenacity"} <= {name_of(r) for r in runtime}


def test_product_runtime_dependencies_have_upper_bounds(product_wheel: zipfile.ZipFile) -> None:
    runtime = [r for r in requires_dist(product_wheel) if "extra ==" not in r]
    unbounded = [r for r in runtime if "<" not in r and name_of(r) not in UNBOUNDED_OK]
    assert unbounded == []


def test_sandbox_wheel_ships_the_sample_worker(tmp_path: Path) -> None:
    source = tmp_path / "relorch-sandbox"
    shutil.copytree(SANDBOX, source, ignore=NOT_SOURCE)
    wheel = build_wheel(source, tmp_path / "wheel")
    names = set(wheel.namelist())
    assert {
        "sandbox/server.py",
        "sandbox/sample-worker/wrangler.toml",
        "sandbox/sample-worker/src/index.js",
    } <= names
    assert {name_of(r) for r in requires_dist(wheel)} >= SANDBOX_ONLY


def imports(folder: Path) -> dict[str, Path]:
    """Top-level module → one file importing it, for every absolute import but the standard
    library's."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names:
                    found.setdefault(top, path)
    return found


def declared(pyproject: Path, *extras: str) -> set[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return {name_of(r) for r in requirements}


def test_every_import_is_declared_where_it_is_made() -> None:
    product = declared(ROOT / "pyproject.toml")
    sandbox = declared(SANDBOX / "pyproject.toml")
    dev = declared(ROOT / "pyproject.toml", "dev") | sandbox
    distributions = importlib.metadata.packages_distributions()
    scopes = [(ROOT / f, product) for f in PRODUCT] + [(SANDBOX / "sandbox", sandbox)]
    scopes += [(ROOT / f, dev) for f in DEV_TREE]
    undeclared = []
    for folder, allowed in scopes:
        for module, path in imports(folder).items():
            if module in OURS:
                continue
            # a namespace (`google`) is shared by several distributions: one declared is enough
            names = {name_of(d) for d in distributions.get(module, [module])}
            if not names & allowed:
                undeclared.append(
                    f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(names))})"
                )
    assert undeclared == []


def test_no_product_module_imports_the_sandbox() -> None:
    for folder in PRODUCT:
        assert "sandbox" not in imports(ROOT / folder), folder
