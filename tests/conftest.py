"""Shared fixtures: paths to fixture notes and to the user's seed note when ../shared is present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Notes the tests create are written back at once; without this every write-back would
# wait out the 2 s quiet period that protects an editor's in-place save.  The tests of
# that protection (tests/db/test_hardening.py) set the real period back.
os.environ.setdefault("STUDYAPP_TEST_WRITE_QUIET_S", "0")

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_DIR = REPO.parent / "shared" / "seeds"


def seed_paths() -> list[Path]:
    return sorted(SEED_DIR.glob("*.md")) if SEED_DIR.is_dir() else []


def copy_seeds(target: Path) -> list[Path]:
    """Copy the seed notes into ``target`` as ordinary writable files (shared/ is read-only)."""
    copies = []
    for seed in seed_paths():
        dst = target / seed.name
        dst.write_bytes(seed.read_bytes())
        copies.append(dst)
    return copies


@pytest.fixture
def seed_note() -> Path:
    """The user's real note, read from ../shared/seeds (skipped where it is absent)."""
    paths = seed_paths()
    if not paths:
        pytest.skip("../shared/seeds not present")
    return paths[0]


@pytest.fixture
def sample_notes_dir() -> Path:
    return REPO / "notes"


@pytest.fixture
def notes_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample notes (never the seed: a fresh clone has none)."""
    import shutil

    target = tmp_path / "notes"
    shutil.copytree(REPO / "notes", target)
    return target


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the long reliability variants (e.g. 200 SIGKILLs)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long variant: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
