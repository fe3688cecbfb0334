"""Tables stored once: a compact table-card payload expands to exactly the full payload.

The full payload (``table_cards``, what every card carried before migration 0009) is
what prompts, grading, distractors and every front end read; the importer now stores
``compact_table_cards``' tables once per note and compact payloads per card.  These
tests pin that ``expand_payload`` gives back the same dict for every card of the
bundled notes, the test notes and generated corpus notes, after a JSON round trip
(what the database holds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studyapp.core.cards import cards_for_note, compact_cards_for_note
from studyapp.core.model import NoteError, ParsedNote, Table
from studyapp.core.notefile import parse_note
from studyapp.core.table_cards import compact_table_cards, table_cards
from studyapp.core.table_store import (
    encode_tables,
    expand_payload,
    is_compact,
    load_tables,
    view_payload,
)
from tests.conftest import DATA, REPO, seed_paths
from tests.unit.test_bench_generator import _generate


def _bundled() -> list[Path]:
    paths = sorted((REPO / "notes").rglob("*.md"))
    for folder in sorted(DATA.glob("*notes*")):
        paths.extend(sorted(folder.rglob("*.md")))
    paths.extend(sorted((DATA / "tables").rglob("*.md")))
    return [*paths, *seed_paths()]


def _assert_equivalent(parsed: ParsedNote) -> int:
    full = table_cards(parsed)
    tables, compact = compact_table_cards(parsed)
    assert [(c.kind, c.anchor, c.title, c.sibling_key) for c in compact] == [
        (c.kind, c.anchor, c.title, c.sibling_key) for c in full
    ]
    stored = encode_tables(tables)
    for old, new in zip(full, compact, strict=True):
        assert is_compact(new.payload)
        payload_json = json.dumps(new.payload, ensure_ascii=False)
        assert view_payload(payload_json, stored) == old.payload, old.anchor
        assert old.sibling_key == old.payload["sibling_key"]
    return len(full)


def test_bundled_and_test_notes_expand_to_the_full_payload() -> None:
    cards = 0
    for path in _bundled():
        rel = path.name
        try:
            parsed = parse_note(rel, path.read_bytes())
        except NoteError:
            continue
        cards += _assert_equivalent(parsed)
        # The note card is unchanged and first; the table cards are the same list.
        full, (_tables, compact) = cards_for_note(parsed), compact_cards_for_note(parsed)
        assert compact[0] == full[0]
        assert [c.anchor for c in compact] == [c.anchor for c in full]
    assert cards > 300  # the bundled notes alone have hundreds of table cards


def test_generated_corpus_notes_expand_to_the_full_payload(tmp_path: Path) -> None:
    gen = _generate()
    cards = 0
    for path in gen.generate(tmp_path, 60, seed=7):
        cards += _assert_equivalent(parse_note(path.name, path.read_bytes()))
    assert cards > 1000


def _table(rows: list[list[str]], display: list[list[str]] | None = None) -> Table:
    header = ("项目", "A", "B", "C")
    return Table(
        header=header,
        rows=tuple(tuple(r) for r in rows),
        header_display=("**项目**", "A", "B", "C"),
        rows_display=tuple(tuple(r) for r in (display or rows)),
        heading_path=("标题", "表"),
        start_line=3,
        end_line=3 + len(rows) + 2,
    )


@pytest.mark.parametrize("n_rows", [2, 5, 9])
def test_display_forms_and_windows_of_any_table(n_rows: int) -> None:
    rows = [[f"r{i}", f"{i} GB", f"{i * 3}%", "x" if i % 2 else "y"] for i in range(n_rows)]
    display = [[f"**r{i}**", *r[1:]] if i % 3 == 0 else r for i, r in enumerate(rows)]
    note = ParsedNote(
        path="n.md",
        meta=parse_note("n.md", b"# t\n").meta,
        title="标题",
        sections=(),
        answer=None,
        tables=(_table(rows, display), _table(rows)),
        body="",
        body_line_offset=0,
    )
    assert _assert_equivalent(note) > 0
    tables, _cards = compact_table_cards(note)
    assert "rd" in tables[0] and "rd" not in tables[1]
    assert tables[0]["hd"] == ["**项目**", None, None, None]


def test_a_full_payload_is_read_as_it_is() -> None:
    legacy = {"mode": "cell", "answer": "x", "v": 1}
    assert view_payload(json.dumps(legacy), None) == legacy
    assert view_payload('{"question": "q"}', "") == {"question": "q"}
    assert load_tables(None) == () and load_tables("") == ()
    assert expand_payload is not None
