"""procedure/ is the pure core: no files, no environment, no network, no clock, none of our own
outer layers. Read from its source (AST), so a new module is covered without being listed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "procedure"
MODULES = sorted(CORE.rglob("*.py"))

# modules whose import alone means I/O (or a layer the core must not know)
FORBIDDEN_MODULES = {
    "os",
    "io",
    "pathlib",
    "shutil",
    "subprocess",
    "socket",
    "tempfile",
    "glob",
    "sqlite3",
    "httpx",
    "requests",
    "urllib",
    "http",
    "asyncio",
    "time",
    "yaml",
    "prefect",
    "clients",
    "tasks",
    "flows",
    "relctl",
    "sandbox",
    "scripts",
}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}
# attribute calls that read a file, the environment or the clock on any object
FORBIDDEN_METHODS = {
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "exists",
    "is_file",
    "is_dir",
    "stat",
    "iterdir",
    "getenv",
    "now",
    "utcnow",
    "today",
}


def problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        found += [
            f"line {node.lineno}: import {n}" for n in names if n.split(".")[0] in FORBIDDEN_MODULES
        ]
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno}: {func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_METHODS:
                found.append(f"line {node.lineno}: .{func.attr}()")
        if isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append(f"line {node.lineno}: .environ")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_does_no_io(path: Path) -> None:
    assert problems(path) == []


@pytest.mark.parametrize(
    "source",
    [
        "import os\n",
        "from pathlib import Path\n",
        "import httpx\n",
        "from tasks.settings import current_policy\n",
        "x = open('policy.yaml')\n",
        "from datetime import datetime\nnow = datetime.now()\n",
        "def f(p):\n    return p.read_text()\n",
        "import sys\nv = sys.modules['os'].environ\n",
    ],
)
def test_the_scan_catches_each_kind(tmp_path: Path, source: str) -> None:
    module = tmp_path / "bad.py"
    module.write_text(source)
    assert problems(module)


def test_the_scan_covers_the_whole_core() -> None:
    assert {p.name for p in MODULES} >= {"policy.py", "android.py", "incidents.py", "evaluate.py"}
