"""The benchmark corpus generator is deterministic and its notes parse like real ones."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import yaml

from studyapp.core.cards import cards_for_note
from studyapp.core.notefile import parse_note

GENERATE = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_generate", module)
    spec.loader.exec_module(module)
    return module


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    gen = _generate()
    a = gen.generate(tmp_path / "a", 12, seed=3)
    b = gen.generate(tmp_path / "b", 12, seed=3)
    c = gen.generate(tmp_path / "c", 12, seed=4)
    assert [p.relative_to(tmp_path / "a") for p in a] == [p.relative_to(tmp_path / "b") for p in b]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]
    # A note does not depend on how many others were generated.
    assert gen.note_text(5, 3) == a[5].read_text(encoding="utf-8")


def test_notes_are_shaped_like_the_seed_and_parse(tmp_path: Path) -> None:
    gen = _generate()
    paths = gen.generate(tmp_path, 8)
    assert len({p.read_bytes() for p in paths}) == 8  # unique content hashes
    for path in paths:
        rel = path.relative_to(tmp_path).as_posix()
        assert rel.count("/") >= 2  # nested folders
        data = path.read_bytes()
        assert gen.MIN_BYTES <= len(data) <= gen.MAX_BYTES + 2048
        text = data.decode("utf-8")
        front = yaml.safe_load(text.split("---\n")[1])
        assert list(front) == [
            "created",
            "last_reviewed",
            "next_review",
            "review_count",
            "difficulty",
            "mastery_level",
            "tags",
            "related_outlines",
        ]
        assert isinstance(front["created"], str) and isinstance(front["next_review"], str)
        assert isinstance(front["tags"], list) and front["tags"]
        assert "\n```" in text
        parsed = parse_note(rel, data)
        assert not parsed.warnings
        assert parsed.title and parsed.answer is not None and parsed.answer.title == "面试标准答案"
        assert any(s.title == "详细讲解" for s in parsed.sections)
        assert len(parsed.tables) >= 1
        for table in parsed.tables:
            assert 3 <= len(table.rows) <= 8 and 3 <= len(table.header) <= 4
        cards = cards_for_note(parsed)
        assert cards[0].kind == "note" and any(c.kind == "table" for c in cards)
