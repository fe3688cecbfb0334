"""``studyapp size`` and ``studyapp lint`` end to end, in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from studyapp.cli.main import main


def test_size_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["size", "llama-3-8b", "--format", "int4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "llama-3-8b" and data["format"] == "int4"
    assert data["params_total"] == 8_030_261_248
    assert data["weights_bytes"] == pytest.approx(8_030_261_248 * 4.15625 / 8)
    assert data["fits"] is True and data["gpus"] == 1
    assert isinstance(data["steps"], list) and data["steps"]
    assert all(key == key.lower() and " " not in key for key in data)


def test_size_text_and_not_fitting(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["size", "Llama3-70B", "--format", "bf16", "--device", "a100", "--gpus", "1", "--json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["fits"] is False and data["gpus_min"] == 2  # 80 GiB cards: two fit at 8K
    assert main(["size", "phi-3.5-mini", "--format", "q4_k_m", "--device", "iphone-15-pro"]) == 0
    out = capsys.readouterr().out
    assert "Worked steps" in out and "estimate" in out


def test_size_unknown_id_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["size", "lama-3-8b"]) == 2
    assert "llama-3-8b" in capsys.readouterr().err
    assert main(["size", "llama-3-8b", "--device", "a10O"]) == 2


def test_lint_dir(tmp_path: Path, seed_note: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(seed_note, tmp_path / seed_note.name)
    (tmp_path / "ok.md").write_text(
        "---\ntags: [量化]\n---\n# 7B 模型\n\nLlama-2-7B FP16 权重 13.5GB\n", encoding="utf-8"
    )
    (tmp_path / "broken.md").write_text("---\ntags: [unclosed\n---\n# x\n", encoding="utf-8")
    assert main(["lint", str(tmp_path), "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {"path", "line", "claim", "engine", "verdict"} <= set(rows[0])
    ok = [r for r in rows if r["path"] == "ok.md"]
    assert ok == [r for r in ok if r["verdict"] == "consistent"] and ok[0]["line"] == 6
    assert any(r["path"] == "broken.md" and r["verdict"] == "error" for r in rows)
    seed_rows = [r for r in rows if r["path"] == seed_note.name and r["verdict"] == "inconsistent"]
    assert any(r["claim"] == "单卡A100" for r in seed_rows)


def test_lint_clean_dir_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntags: []\n---\n# t\n\nGPT-3（175B 参数）FP16 → 350GB\n", encoding="utf-8"
    )
    assert main(["lint", str(tmp_path)]) == 0
    assert "2 consistent" in capsys.readouterr().out  # 175B count + 350GB size


def test_lint_not_checked_is_silent_unless_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntags: []\n---\n# t\n\nKV cache 每 token 128 KiB，8192 token 是 1.07 GB\n",
        encoding="utf-8",
    )
    assert main(["lint", str(tmp_path)]) == 0
    quiet = capsys.readouterr().out
    assert "not checked '" not in quiet and "1 not checked" in quiet
    assert main(["lint", str(tmp_path), "--all"]) == 0
    assert "not checked '1.07 GB'" in capsys.readouterr().out
