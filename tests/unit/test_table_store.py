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
from studyapp.core.table_pools import TablePools, analyse_table
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


def _as_version_2(parsed: ParsedNote) -> tuple[str, list[tuple[str, dict[str, object]]]]:
    """The note's compact cards as the version-2 generator stored them: each asked cell
    with its pool as cell coordinates (``"d"``) and its column share (``"dc"``)."""
    tables, compact = compact_table_cards(parsed)
    out: list[tuple[str, dict[str, object]]] = []
    for card in compact:
        payload = json.loads(json.dumps(card.payload, ensure_ascii=False))
        entry = tables[payload["t"]]
        pools = TablePools(entry["r"], analyse_table(entry["r"])[2])
        cells = payload["cells"] if payload["mode"] == "row" else [payload]
        for cell in cells:
            _pool, where, in_col = pools.pool(payload["row"], cell["c"])
            cell.update(d=where, dc=in_col)
        payload["v"] = 2
        out.append((card.anchor, payload))
    return encode_tables(tables), out


def test_version_2_payloads_with_stored_pools_still_expand_the_same() -> None:
    """A database imported before the pools moved to review time keeps its v2 payloads
    until their note changes: they must show exactly what a v3 payload derives."""
    parsed = parse_note("kv.md", (REPO / "notes/推理优化/kv-cache-估算.md").read_bytes())
    full = {c.anchor: c.payload for c in table_cards(parsed)}
    stored, old = _as_version_2(parsed)
    assert old and any(p.get("d") or any(c.get("d") for c in p.get("cells", [])) for _a, p in old)
    for anchor, payload in old:
        assert is_compact(payload)
        assert view_payload(json.dumps(payload, ensure_ascii=False), stored) == full[anchor]
    # Tables stored without their kind ids (as version 2 wrote them) classify on load.
    bare = "\n".join(
        json.dumps({k: v for k, v in json.loads(line).items() if k != "k"}, ensure_ascii=False)
        for line in stored.split("\n")
    )
    _tables, compact = compact_table_cards(parsed)
    for card in compact:
        assert view_payload(json.dumps(card.payload, ensure_ascii=False), bare) == full[card.anchor]


def test_version_3_payloads_store_no_pool() -> None:
    parsed = parse_note("kv.md", (REPO / "notes/推理优化/kv-cache-估算.md").read_bytes())
    _tables, compact = compact_table_cards(parsed)
    assert compact and all(c.payload["v"] == 3 for c in compact)
    text = json.dumps([c.payload for c in compact])
    assert '"d"' not in text and '"dc"' not in text


def _one_table_note(header: tuple[str, ...], rows: list[list[str]]) -> ParsedNote:
    return ParsedNote(
        path="n.md",
        meta=parse_note("n.md", b"# t\n").meta,
        title="标题",
        sections=(),
        answer=None,
        tables=(
            Table(
                header=header,
                rows=tuple(tuple(r) for r in rows),
                header_display=header,
                rows_display=tuple(tuple(r) for r in rows),
                heading_path=("标题",),
                start_line=1,
                end_line=len(rows) + 3,
            ),
        ),
        body="",
        body_line_offset=0,
    )


def test_the_pool_of_a_long_cell_decides_its_recall() -> None:
    """A cell over TYPED_MAX_CHARS is recalled only as a choice, so only with a
    distractor: the import asks TablePools for the first one instead of the pool."""
    long_a, long_b = "甲" * 50, "乙乙乙" + "丙" * 45
    header = ("模型", "说明", "大小")
    with_other = [["r0", long_a, "1 GB"], ["r1", long_b, "2 GB"], ["r2", "短", "3 GB"]]
    note = _one_table_note(header, with_other)
    assert _assert_equivalent(note) > 0
    cards = {(c.payload["row"], c.payload["c"]): c.payload for c in compact_table_cards(note)[1]}
    assert cards[(0, 1)]["rc"] == 1 and cards[(0, 1)]["p"] == ["recall"]
    pools = TablePools(with_other, analyse_table(with_other)[2])
    assert pools.has_distractor(0, 1) and pools.pool(0, 1)[0] == [long_b, "短"]

    alone = [["r0", long_a, "1 GB"], ["r1", "2", "2 GB"], ["r2", "3", "3 GB"]]
    note = _one_table_note(header, alone)
    assert _assert_equivalent(note) > 0
    cards = {(c.payload["row"], c.payload["c"]): c.payload for c in compact_table_cards(note)[1]}
    assert not TablePools(alone, analyse_table(alone)[2]).has_distractor(0, 1)
    assert (0, 1) not in cards  # no text distractor, too long to type, no side column
    assert (1, 1) in cards and (0, 2) in cards
