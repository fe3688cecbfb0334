"""Export note and table cards to an Anki package (``.apkg``), for reviewing on a phone.

Why these choices:

* **Stable GUIDs.**  Each Anki note's GUID is derived from the note's path and the
  card's anchor (the same key the importer uses to keep a card's schedule across
  edits), so exporting again and importing into Anki *updates* the notes instead of
  adding duplicates.  Moving a note to another path starts new Anki notes, as it
  would lose nothing there but the Anki-side schedule.
* **Fixed model and deck ids.**  Anki matches note types by id; random ids would make
  every export a new note type.
* **No schedule.**  Anki schedules the exported cards itself; studyapp's SM-2 state
  stays in the notes' frontmatter.  Calc cards are generated with fresh numbers at
  each review and have no fixed answer, so they are not exported.
* **HTML, escaped.**  Answers are rendered from Markdown with raw HTML disabled, so a
  note's ``<script>`` or ``[@click]`` text reaches Anki as text.  Tags keep their
  hierarchy: ``a/b`` becomes Anki's ``a::b``; spaces (tag separators in Anki) become
  ``_``.

The genanki import is local to :func:`write_apkg` so importing this module (and the
CLI's ``--help``) stays fast.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from markdown_it import MarkdownIt
from sqlalchemy import select

from studyapp.core.quiz import make_prompt
from studyapp.core.table_prompts import needs_distractors
from studyapp.core.table_store import view_payload
from studyapp.db.models import Card, Note, NoteTag, Tag
from studyapp.services.collection import Collection

__all__ = [
    "DECK_ID",
    "NOTE_MODEL_ID",
    "TABLE_MODEL_ID",
    "AnkiItem",
    "ExportReport",
    "anki_tag",
    "collect",
    "export_anki",
    "guid_source",
    "write_apkg",
]

#: Fixed ids (random once, never change): Anki identifies note types and decks by id.
NOTE_MODEL_ID = 1_718_204_571
TABLE_MODEL_ID = 1_718_204_572
DECK_ID = 2_059_400_113
DECK_NAME = "studyapp"

#: The prompt seed of every exported table card (an Anki card has one fixed front).
_SEED = 0

_CSS = """.card { font-family: -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif;
  font-size: 18px; text-align: left; line-height: 1.5; }
.context { color: #888; font-size: 14px; }
table { border-collapse: collapse; margin-top: 8px; }
td, th { border: 1px solid #999; padding: 2px 6px; }
td.answer { font-weight: bold; background: rgba(80, 160, 255, 0.25); }
"""


def _markdown_html() -> MarkdownIt:
    # Raw HTML in a note is shown as text: an export must not run a note's markup.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class AnkiItem:
    """One Anki note to write: which note type, its fields in order, its tags and GUID seed."""

    model: Literal["note", "table"]
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    guid_source: str


@dataclass(frozen=True)
class ExportReport:
    path: Path
    notes: int  # Anki notes written (= cards: each note type has one template)
    note_cards: int
    table_cards: int


def anki_tag(tag: str) -> str:
    """A studyapp tag as an Anki tag: ``/`` hierarchy as ``::``, no spaces."""
    parts = [p.strip() for p in tag.split("/") if p.strip()]
    return "::".join(parts).replace(" ", "_")


def guid_source(note_path: str, anchor: str) -> str:
    """What the GUID is hashed from: the card's identity, not its text."""
    return f"studyapp|{note_path}|{anchor}"


def _table_html(grid: Mapping[str, Any], row: int | None, col: int | None) -> str:
    header = [str(h) for h in grid.get("header", ())]
    rows = [[str(c) for c in r] for r in grid.get("rows", ())]
    first_row = int(grid.get("first_row", 0))
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
    for i, cells in enumerate(rows):
        tds = []
        for j, cell in enumerate(cells):
            mark = ' class="answer"' if (first_row + i, j) == (row, col) else ""
            tds.append(f"<td{mark}>{html.escape(cell)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _note_item(payload: Mapping[str, Any], source: str, tags: Sequence[str], guid: str) -> AnkiItem:
    question = html.escape(str(payload.get("question", "")))
    answer = _markdown_html().render(str(payload.get("answer_markdown", "")))
    return AnkiItem("note", (question, answer, html.escape(source)), tuple(tags), guid)


def _table_item(
    payload: Mapping[str, Any], title: str, source: str, tags: Sequence[str], guid: str
) -> AnkiItem:
    # The prompt is built by the core, as a review would build it: the export follows
    # whatever the table card's payload becomes, and typed mode has no random options.
    prompt = make_prompt("table", payload, _SEED, context=title, typed=True)
    data = prompt.data
    front = html.escape(prompt.question)
    back = html.escape(str(data.get("answer_display") or prompt.expected))
    grid = data.get("grid")
    row, col = data.get("row"), data.get("col")
    table = _table_html(grid, row, col) if isinstance(grid, Mapping) else ""
    context = f'<div class="context">{html.escape(prompt.context or title)}</div>{table}'
    return AnkiItem("table", (front, back, context, html.escape(source)), tuple(tags), guid)


def collect(coll: Collection, *, tag: str | None = None) -> list[AnkiItem]:
    """The note and table cards to export (of present notes, not retired), in card order."""
    with coll.session() as session:
        query = (
            select(
                Card.kind,
                Card.anchor,
                Card.payload_json,
                Note.id,
                Note.path,
                Note.title,
                Note.tables_json,
            )
            .join(Note, Note.id == Card.note_id)
            .where(
                Card.kind.in_(("note", "table")),
                Card.retired.is_(False),
                Note.missing.is_(False),
            )
            .order_by(Card.id)
        )
        if tag:
            query = query.where(
                Note.id.in_(
                    select(NoteTag.note_id)
                    .join(Tag)
                    .where((Tag.name == tag) | Tag.name.startswith(tag + "/"))
                )
            )
        rows = session.execute(query).all()
        tags_of: dict[int, list[str]] = {}
        for note_id, name in session.execute(
            select(NoteTag.note_id, Tag.name).join(Tag, Tag.id == NoteTag.tag_id)
        ):
            tags_of.setdefault(note_id, []).append(anki_tag(name))
    items: list[AnkiItem] = []
    for kind, anchor, payload_json, note_id, path, title, tables_json in rows:
        payload = view_payload(payload_json, tables_json, distractors=False)
        if kind == "table" and needs_distractors(payload, _SEED, typed=True):
            payload = view_payload(payload_json, tables_json)
        tags = sorted(t for t in tags_of.get(note_id, ()) if t)
        heading = " / ".join(str(p) for p in payload.get("heading_path", ())[1:])
        source = f"{path} · {heading}" if heading else path
        guid = guid_source(path, anchor)
        if kind == "note":
            items.append(_note_item(payload, source, tags, guid))
        else:
            items.append(_table_item(payload, title, source, tags, guid))
    return items


def write_apkg(items: Sequence[AnkiItem], path: Path, *, timestamp: float) -> None:
    """Write ``items`` as one deck to ``path`` (overwritten).

    ``timestamp`` becomes every note's modification time: Anki updates an existing
    note on import only when the incoming one is newer, so it must be the export's
    real time (injected, so tests can order two exports).
    """
    import genanki

    note_model = genanki.Model(
        NOTE_MODEL_ID,
        "studyapp note card",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Source"}],
        templates=[
            {
                "name": "Recall",
                "qfmt": "{{Question}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}'
                '<div class="context">{{Source}}</div>',
            }
        ],
        css=_CSS,
    )
    table_model = genanki.Model(
        TABLE_MODEL_ID,
        "studyapp table card",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Context"}, {"name": "Source"}],
        templates=[
            {
                "name": "Cell",
                "qfmt": "{{Front}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}{{Context}}'
                '<div class="context">{{Source}}</div>',
            }
        ],
        css=_CSS,
    )
    models = {"note": note_model, "table": table_model}
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    for item in items:
        deck.add_note(
            genanki.Note(
                model=models[item.model],
                fields=list(item.fields),
                tags=list(item.tags),
                guid=genanki.guid_for(item.guid_source),
            )
        )
    genanki.Package(deck).write_to_file(str(path), timestamp=timestamp)


def export_anki(
    coll: Collection, path: Path, *, tag: str | None = None, timestamp: float | None = None
) -> ExportReport:
    """Collect and write (stamped with the collection's clock unless given)."""
    items = collect(coll, tag=tag)
    write_apkg(items, path, timestamp=coll.now().timestamp() if timestamp is None else timestamp)
    note_cards = sum(1 for i in items if i.model == "note")
    return ExportReport(path, len(items), note_cards, len(items) - note_cards)
