"""A note's tables stored once, and table cards that point into them.

A table card's full payload (:func:`studyapp.core.table_cards.table_cards`) copies its
table's heading path, header, a window of rows and the display forms of its cells, and
its distractors as text: about 1 KB per card, ~55 cards per note.  The importer stores
instead each note's tables once (``notes.tables_json``, :func:`encode_tables`) and a
compact payload per card (``{"v": 2, "t": <table>, "mode", "row", ...}``: its cell,
its distractors as cell coordinates, its side columns, its presentations).
:func:`expand_payload` rebuilds exactly the full payload from the two, where a card is
loaded for display, so prompts, grading and every front end see the payload they
always did.  A payload without ``"v": 2`` (an older database, a retired card) is
already full and is returned as it is.

Stored table (keys kept short: they are stored once per table of every note)::

    {"hp": heading path, "pk": path key (sibling keys), "l": first line in the body,
     "h": header, "r": rows (plain), "hd": header display forms, "rd": rows' display
     forms}

``hd``/``rd`` are left out when every display form equals its plain form; inside
them ``None`` stands for "as the plain form" (a whole row in ``rd``, or one cell).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from studyapp.core.table_cards import COMPACT_VERSION, GRID_MAX_ROWS, _numbered

__all__ = [
    "CARD_GENERATOR_VERSION",
    "encode_tables",
    "expand_payload",
    "is_compact",
    "load_tables",
    "view_payload",
]

#: ``notes.parsed_version``: the card generator whose cards a note's rows hold.  A note
#: stored by an older generator is re-derived by the next import even when its file
#: is unchanged (card ids and schedules kept through the anchor upsert).
#: 1: full table-card payloads (before migration 0008); 2: tables stored once.
CARD_GENERATOR_VERSION = 2


def encode_tables(tables: Sequence[Mapping[str, Any]]) -> str:
    """``notes.tables_json`` of a note (empty string when it has no table card)."""
    return json.dumps(tables, ensure_ascii=False, separators=(",", ":")) if tables else ""


@functools.lru_cache(maxsize=64)
def load_tables(tables_json: str | None) -> tuple[Mapping[str, Any], ...]:
    """Decoded ``notes.tables_json`` (memoised: a review shows many cards of one note).

    Callers must not mutate the result; :func:`expand_payload` copies what it returns.
    """
    if not tables_json:
        return ()
    return tuple(json.loads(tables_json))


def is_compact(payload: Mapping[str, Any]) -> bool:
    return payload.get("v") == COMPACT_VERSION


def view_payload(payload_json: str, tables_json: str | None) -> dict[str, Any]:
    """A card's full payload from its stored ``payload_json`` and its note's ``tables_json``."""
    payload: dict[str, Any] = json.loads(payload_json)
    if not is_compact(payload):
        return payload
    return expand_payload(load_tables(tables_json), payload)


def _display(entry: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    header: list[str] = entry["h"]
    rows: list[list[str]] = entry["r"]
    hd = entry.get("hd")
    header_display = header if hd is None else _undiff(header, hd)
    rd = entry.get("rd")
    if rd is None:
        return list(header_display), [list(r) for r in rows]
    rows_display = [list(p) if d is None else _undiff(p, d) for p, d in zip(rows, rd, strict=False)]
    return list(header_display), rows_display


def _undiff(plain: Sequence[str], diff: Sequence[str | None]) -> list[str]:
    return [plain[i] if d is None else d for i, d in enumerate(diff)]


def expand_payload(
    tables: Sequence[Mapping[str, Any]], compact: Mapping[str, Any]
) -> dict[str, Any]:
    """The full payload :func:`~studyapp.core.table_cards.table_cards` gives for the card
    whose compact payload is ``compact``, from its note's stored tables."""
    entry = tables[int(compact["t"])]
    header: list[str] = entry["h"]
    rows: list[list[str]] = entry["r"]
    header_display, rows_display = _display(entry)
    r = int(compact["row"])
    mode = str(compact["mode"])
    lo = max(0, min(r - GRID_MAX_ROWS // 2, len(rows) - GRID_MAX_ROWS))
    row_keys = _numbered(row[0] for row in rows)
    out: dict[str, Any] = {
        "mode": mode,
        "heading_path": list(entry["hp"]),
        "header": list(header),
        "header_display": header_display,
        "row_label": rows[r][0],
        "row_label_display": rows_display[r][0],
        "row": r,
        "grid": {
            "header": list(header),
            "rows": [list(row) for row in rows[lo : lo + GRID_MAX_ROWS]],
            "first_row": lo,
            "n_rows": len(rows),
        },
        "sibling_key": f"{entry['pk']}|{row_keys[r]}",
        "table_line": entry["l"],
    }

    def cell(e: Mapping[str, Any]) -> dict[str, Any]:
        c = int(e["c"])
        where = e["d"]
        return {
            "col": c,
            "column_label": header[c],
            "column_label_display": header_display[c],
            "cell": rows[r][c],
            "cell_display": rows_display[r][c],
            "distractors": [rows[where[i]][where[i + 1]] for i in range(0, len(where), 2)],
            "column_distractors": int(e["dc"]),
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
