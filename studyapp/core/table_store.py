"""A note's tables stored once, and table cards that point into them.

A table card's full payload (:func:`studyapp.core.table_cards.table_cards`) copies its
table's heading path, header, a window of rows and the display forms of its cells, and
its distractors as text: about 1 KB per card, ~55 cards per note.  The importer stores
instead each note's tables once (``notes.tables_json``, :func:`encode_tables`) and a
compact payload per card (``{"v": 3, "t": <table>, "mode", "row", ...}``: its cell,
whether it may be recalled, its side columns, its presentations).
:func:`expand_payload` rebuilds exactly the full payload from the two, where a card is
loaded for display, so prompts, grading and every front end see the payload they
always did.  The distractors are derived there too (:class:`TablePools`, the rule the
import applied before: 1k notes import 1.3 CPU-s faster for ~0.1 ms per table card
shown).  A version-2 payload (databases imported before) still carries its pool as
cell coordinates (``"d"``, ``"dc"``) and is read as it is.  A payload without a
compact version (an older database, a retired card) is already full and is returned
as it is.

``notes.tables_json`` holds one JSON object per line, one line per stored table (keys
kept short: they are stored once per table of every note)::

    {"hp": heading path, "pk": path key (sibling keys), "l": first line in the body,
     "h": header, "r": rows (plain), "hd": header display forms, "rd": rows' display
     forms, "k": kind ids of the value cells (the pools' candidates, see
     :func:`~studyapp.core.table_pools.analyse_table`)}

``hd``/``rd`` are left out when every display form equals its plain form; inside
them ``None`` stands for "as the plain form" (a whole row in ``rd``, or one cell).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from studyapp.core.table_cards import COMPACT_VERSION, GRID_MAX_ROWS, _esc
from studyapp.core.table_pools import TablePools, analyse_table

__all__ = [
    "CARD_GENERATOR_VERSION",
    "encode_tables",
    "expand_payload",
    "is_compact",
    "load_tables",
    "table_at",
    "view_payload",
]

#: ``notes.parsed_version``: the card generator whose cards a note's rows hold.  A note
#: stored by an older generator is re-derived by the next import even when its file
#: is unchanged (card ids and schedules kept through the anchor upsert).
#: 1: full table-card payloads (before migration 0009); 2: tables stored once.
CARD_GENERATOR_VERSION = 2


def encode_tables(tables: Sequence[Mapping[str, Any]]) -> str:
    """``notes.tables_json`` of a note: one compact JSON object per line, one line per
    table (empty string when it has no table card).

    Lines, not one JSON array, so showing a card decodes only its own table (JSON never
    holds a raw line break: ``json.dumps`` escapes it).
    """
    return "\n".join(json.dumps(t, ensure_ascii=False, separators=(",", ":")) for t in tables)


@functools.lru_cache(maxsize=256)
def _decode_table(line: str) -> Mapping[str, Any]:
    table: Mapping[str, Any] = json.loads(line)
    return table


def load_tables(tables_json: str | None) -> tuple[Mapping[str, Any], ...]:
    """Every stored table of a note, decoded (memoised per table: a review shows many
    cards of one table).  Callers must not mutate the result."""
    if not tables_json:
        return ()
    return tuple(_decode_table(line) for line in tables_json.split("\n"))


def table_at(tables_json: str | None, index: int) -> Mapping[str, Any]:
    """Table ``index`` of ``notes.tables_json``, decoding only that line."""
    return _decode_table(_line(tables_json, index))


#: Compact payload versions :func:`expand_payload` reads: 2 stored each cell's pool as
#: coordinates (``"d"``, ``"dc"``), 3 (:data:`COMPACT_VERSION`) derives it.
_COMPACT_VERSIONS = frozenset({2, COMPACT_VERSION})


def is_compact(payload: Mapping[str, Any]) -> bool:
    return payload.get("v") in _COMPACT_VERSIONS


@functools.lru_cache(maxsize=64)
def _pools_of(line: str) -> TablePools:
    """The pools of one stored table, kept while its cards are shown (siblings are
    spread, but a browse, an export or a card re-rendered asks the same table again)."""
    return _pools(_decode_table(line))


def _pools(entry: Mapping[str, Any]) -> TablePools:
    rows: list[list[str]] = entry["r"]
    stored = entry.get("k")
    kind_ids = analyse_table(rows)[2] if stored is None else [[-1, *ids] for ids in stored]
    return TablePools(rows, kind_ids)


def _line(tables_json: str | None, index: int) -> str:
    if not tables_json:
        raise IndexError(f"no stored table {index}: the note has no tables")
    return tables_json.split("\n")[index]


def view_payload(
    payload_json: str, tables_json: str | None, *, distractors: bool = True
) -> dict[str, Any]:
    """A card's full payload from its stored ``payload_json`` and its note's ``tables_json``.

    ``distractors=False`` leaves a v3 card's pools empty (``"distractors": []``): for a
    caller that knows its presentation needs none (:func:`~studyapp.core.table_prompts.
    needs_distractors`), since deriving them is most of what expanding costs.
    """
    payload: dict[str, Any] = json.loads(payload_json)
    if not is_compact(payload):
        return payload
    return expand_view(payload, tables_json, distractors=distractors)


def expand_view(
    payload: dict[str, Any], tables_json: str | None, *, distractors: bool = True
) -> dict[str, Any]:
    """:func:`view_payload` of an already decoded compact payload (see :func:`is_compact`)."""
    line = _line(tables_json, int(payload["t"]))
    pools = (lambda: _pools_of(line)) if distractors else None
    return _expand(_decode_table(line), payload, pools)


def _undiff(plain: Sequence[str], diff: Sequence[str | None]) -> list[str]:
    return [plain[i] if d is None else d for i, d in enumerate(diff)]


def expand_payload(
    tables: Sequence[Mapping[str, Any]], compact: Mapping[str, Any]
) -> dict[str, Any]:
    """The full payload :func:`~studyapp.core.table_cards.table_cards` gives for the card
    whose compact payload is ``compact``, from its note's stored tables."""
    entry = tables[int(compact["t"])]
    return _expand(entry, compact, lambda: _pools(entry))


def _expand(
    entry: Mapping[str, Any], compact: Mapping[str, Any], pools: Callable[[], TablePools] | None
) -> dict[str, Any]:
    header: list[str] = entry["h"]
    rows: list[list[str]] = entry["r"]
    hd = entry.get("hd")
    header_display = list(header) if hd is None else _undiff(header, hd)
    r = int(compact["row"])
    rd = entry.get("rd")
    diff = None if rd is None else rd[r]
    row_display = rows[r] if diff is None else _undiff(rows[r], diff)
    mode = str(compact["mode"])
    lo = max(0, min(r - GRID_MAX_ROWS // 2, len(rows) - GRID_MAX_ROWS))
    label = rows[r][0]
    repeat = sum(1 for row in rows[: r + 1] if row[0] == label)  # as _numbered counts
    row_key = _esc(label) + (f"#{repeat}" if repeat > 1 else "")
    out: dict[str, Any] = {
        "mode": mode,
        "heading_path": list(entry["hp"]),
        "header": list(header),
        "header_display": header_display,
        "row_label": label,
        "row_label_display": row_display[0],
        "row": r,
        "grid": {
            "header": list(header),
            "rows": [list(row) for row in rows[lo : lo + GRID_MAX_ROWS]],
            "first_row": lo,
            "n_rows": len(rows),
        },
        "sibling_key": f"{entry['pk']}|{row_key}",
        "table_line": entry["l"],
    }

    def cell(e: Mapping[str, Any]) -> dict[str, Any]:
        c = int(e["c"])
        if "d" in e:  # version 2: the pool as the import found it
            where, in_col = e["d"], int(e["dc"])
        elif pools is None:
            where, in_col = [], 0
        else:
            _pool, where, in_col = pools().pool(r, c)
        return {
            "col": c,
            "column_label": header[c],
            "column_label_display": header_display[c],
            "cell": rows[r][c],
            "cell_display": row_display[c],
            "distractors": [rows[where[i]][where[i + 1]] for i in range(0, len(where), 2)],
            "column_distractors": in_col,
            "recall": bool(e["rc"]),
        }

    if mode == "row":
        cells = [cell(e) for e in compact["cells"]]
        out.update(
            col=1,  # a row card is a two-column comparison: its first value column
            cells=cells,
            answer=" ／ ".join(f"{e['column_label']}: {e['cell']}" for e in cells),
            answer_display=" ／ ".join(
                f"{e['column_label_display']}: {e['cell_display']}" for e in cells
            ),
            presentations=list(compact["p"]),
        )
        return out
    one = cell(compact)
    out.update(one)
    out.update(
        answer=one["cell"],
        answer_display=one["cell_display"],
        side_distractors=[header[c2] for c2 in compact.get("s", ())],
        presentations=list(compact["p"]),
    )
    return out
