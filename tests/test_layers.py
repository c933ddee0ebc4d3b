"""The three layers stay apart: the engine and the runs never load the user interface, the user
interface reaches torch only through the engine, and no piece of code grows past a screenful."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lenet_tui"
UI_LIBRARIES = ("textual", "textual_plotext", "plotext")


def modules(*layers: str) -> list[str]:
    """Every module of the given subpackages of lenet_tui, as dotted names."""
    names = []
    for layer in layers:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def loaded_after_importing(names: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after importing `names`."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def user_interface(loaded: set[str]) -> set[str]:
    return {m for m in loaded if m.split(".")[0] in UI_LIBRARIES or m.startswith("lenet_tui.ui")}


def test_the_engine_the_runs_and_the_headless_front_end_load_no_user_interface():
    names = [*modules("engine", "runs"), "lenet_tui.headless", "lenet_tui.cli"]
    assert len(names) > 15  # every module, not an empty list that passes trivially
    assert user_interface(loaded_after_importing(names)) == set()


def test_the_engine_knows_nothing_of_run_folders():
    loaded = loaded_after_importing(modules("engine"))
    assert "lenet_tui.engine.training" in loaded
    assert {m for m in loaded if m.startswith("lenet_tui.runs")} == set()


def test_the_user_interface_reaches_torch_only_through_the_engine():
    """The dashboard renders what the run driver yields; it never trains or calls autograd."""
    offenders = []
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "torch"]
    assert offenders == []


def test_no_function_is_longer_than_sixty_lines_and_the_app_stays_small():
    long, app_lines = [], None
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} {lines}")
            elif isinstance(node, ast.ClassDef) and node.name == "LenetApp":
                app_lines = node.end_lineno - node.lineno + 1
    assert long == []
    assert app_lines is not None and app_lines < 200
