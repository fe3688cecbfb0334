"""A non-editable install works: migrations and sample notes ship inside the wheel.

Builds the wheel, unpacks it into a temp folder and runs ``python -m studyapp``
from there (dependencies from the current environment), in a folder far from the
repo, with a fresh user data dir: the first run copies the sample notes out of the
package, migrates a new database and imports them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"wheel build failed: {proc.stderr[-2000:]}")
    wheel = next(out.glob("studyapp-*.whl"))
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert any(n.startswith("studyapp/_migrations/versions/0001_") for n in names)
        assert any(n.startswith("studyapp/_sample_notes/") and n.endswith(".md") for n in names)
        assert any(
            n.startswith("studyapp/core/sizing/data/") and n.endswith(".json") for n in names
        )
        zf.extractall(site)
    return site


def test_installed_wheel_migrates_and_imports_sample_notes(
    wheel_site: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(wheel_site),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
    }
    for key in ("STUDYAPP_DB", "STUDYAPP_NOTES", "STUDYAPP_TODAY"):
        env.pop(key, None)
    proc = subprocess.run(
        [sys.executable, "-m", "studyapp", "--today", "2026-11-25", "import", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    bundled = list((REPO / "notes").rglob("*.md"))
    assert report["imported"] == len(bundled)
    probe = subprocess.run(
        [sys.executable, "-c", "import studyapp.db.engine as e; print(e.migrations_dir())"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(wheel_site) in probe.stdout
    user_notes = tmp_path / "data" / "studyapp" / "notes"
    assert len(list(user_notes.rglob("*.md"))) == len(bundled)
