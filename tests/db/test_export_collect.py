"""What the Anki export collects does not depend on its shortcut around distractors.

A table card's pool is derived when its payload is expanded; the export expands
without it unless the card's exported prompt reads it (``needs_distractors``).
Expanding every card in full must give the same items, field for field.
"""

from __future__ import annotations

import pytest

from studyapp.core import table_prompts
from studyapp.services import export_anki
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes

LONG = "".join(
    f"| 维度{i} | {'边缘端需要在功耗与内存之间仔细权衡' * 3}{i} | {'云端可以依靠更大的显存与带宽扩展' * 3}{i} |\n"
    for i in range(4)
)
#: A comparison whose cells are too long to type: exported as choices, with distractors.
LONG_NOTE = f"# 长单元格\n\n## 答案\n\n见表。\n\n| 维度 | 边缘 | 云端 |\n|---|---|---|\n{LONG}"


def test_export_items_are_the_same_with_every_pool_derived(
    coll: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    (coll.notes_dir / "长单元格.md").write_text(LONG_NOTE, encoding="utf-8")
    import_notes(coll)
    fast = export_anki.collect(coll)
    asked: list[bool] = []
    real = table_prompts.needs_distractors

    def spy(payload, seed, typed=False):  # type: ignore[no-untyped-def]
        asked.append(real(payload, seed, typed))
        return asked[-1]

    monkeypatch.setattr(export_anki, "needs_distractors", spy)
    assert export_anki.collect(coll) == fast
    assert True in asked and False in asked  # both paths ran on the bundled notes
    monkeypatch.setattr(export_anki, "needs_distractors", lambda *_a, **_k: True)
    full = export_anki.collect(coll)
    assert full == fast
    assert sum(1 for item in full if item.model == "table") > 100
