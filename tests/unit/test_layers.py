"""The layering rules of ARCHITECTURE.md, checked in fresh interpreters.

Core must import neither Textual nor SQLAlchemy; the database and service layers
must not import Textual; the TUI talks only to services, never to ``studyapp.db``.  Each module is imported in its own subprocess, so one
module's imports cannot hide another's.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import studyapp.core
import studyapp.db
import studyapp.services
import studyapp.tui


def _modules(package: object) -> list[str]:
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    return sorted(
        m.name
        for m in pkgutil.walk_packages(package.__path__, prefix)  # type: ignore[attr-defined]
    )


def _loaded_after_import(module: str) -> set[str]:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


CORE = _modules(studyapp.core)
LOWER = _modules(studyapp.db) + _modules(studyapp.services)


def test_core_has_modules() -> None:
    assert "studyapp.core.srs" in CORE and "studyapp.core.notefile" in CORE


@pytest.mark.parametrize("module", CORE)
def test_core_is_ui_and_db_free(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "textual" not in loaded, f"{module} pulls in textual"
    assert "sqlalchemy" not in loaded, f"{module} pulls in sqlalchemy"


@pytest.mark.parametrize("module", LOWER)
def test_db_and_services_do_not_import_the_tui(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "textual" not in loaded, f"{module} pulls in textual"


def test_core_reads_no_clock() -> None:
    """Logic gets today/now injected: no datetime.now/date.today in core."""
    import pathlib

    root = pathlib.Path(studyapp.core.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if any(
            s in p.read_text(encoding="utf-8")
            for s in ("date.today()", "datetime.now(", "time.time()")
        )
    ]
    assert offenders == []


TUI = _modules(studyapp.tui)


def test_tui_does_not_import_the_database_layer() -> None:
    """The TUI reaches data through services: no ``studyapp.db`` or ORM import in its source.

    Checked on the source (services import the db, so ``sys.modules`` cannot tell who
    imported it); ``sqlalchemy`` is forbidden too, so a query cannot sneak back in.
    """
    import ast
    import pathlib

    root = pathlib.Path(studyapp.tui.__file__).parent
    offenders: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name == "sqlalchemy" or name.startswith(("sqlalchemy.", "studyapp.db")):
                    offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []
    assert "studyapp.tui.app" in TUI
