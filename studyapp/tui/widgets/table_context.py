"""A table card's table, shown around the asked row with the answer cell highlighted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich import box
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

__all__ = ["TableContext"]

#: Rows shown above and below the asked row: enough context without flooding 24 lines.
WINDOW = 3


class TableContext(Widget):
    """The grid stored with a table card (``prompt.data["grid"]``).

    The grid is a window of the table: ``rows[i]`` is table row ``first_row + i`` of
    ``n_rows`` (older cards stored up to 30 rows and no ``n_rows``).  A ``⋮`` row marks
    rows left out above or below, whether by the stored window or by ``WINDOW``.

    Cells are plain text (``Text``), never markup.  The asked cell is highlighted in
    ``$success`` (or ``$error`` when ``correct`` is false), the row label in bold and,
    for "which column" cards, the answer's column header too.
    """

    DEFAULT_CSS = """
    TableContext { height: auto; width: 1fr; }
    TableContext > .table-context--header { color: $text-muted; text-style: bold; }
    TableContext > .table-context--label { text-style: bold; }
    TableContext > .table-context--row { background: $boost; }
    TableContext > .table-context--answer { color: $text; background: $success 45%; text-style: bold; }
    TableContext > .table-context--wrong { color: $text; background: $error 45%; text-style: bold; }
    TableContext > .table-context--border { color: $panel-lighten-2; }
    TableContext > .table-context--more { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "table-context--header",
        "table-context--label",
        "table-context--row",
        "table-context--answer",
        "table-context--wrong",
        "table-context--border",
        "table-context--more",
    }

    def __init__(self, data: Mapping[str, Any], *, correct: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = data
        self.correct = correct

    def render(self) -> Table | Text:
        grid = self.data.get("grid") or {}
        header = [str(h) for h in grid.get("header", ())]
        rows = [[str(c) for c in r] for r in grid.get("rows", ())]
        if not header or not rows:
            return Text("")
        first_row = int(grid.get("first_row", 0))
        n_rows = int(grid.get("n_rows", first_row + len(rows)))
        asked_row = int(self.data.get("row", 0)) - first_row
        asked_col = int(self.data.get("col", 0))
        side = self.data.get("mode") == "side"
        lo = max(0, asked_row - WINDOW)
        hi = min(len(rows), asked_row + WINDOW + 1)
        hit = self.get_component_rich_style(
            "table-context--answer" if self.correct else "table-context--wrong"
        )
        head_style = self.get_component_rich_style("table-context--header")
        table = Table(
            box=box.ROUNDED,
            border_style=self.get_component_rich_style("table-context--border"),
            show_lines=False,
            expand=False,
            header_style=head_style,
            pad_edge=True,
        )
        for c, name in enumerate(header):
            style = hit if side and c == asked_col else head_style
            table.add_column(Text(name, style=style), overflow="fold")
        label_style = self.get_component_rich_style("table-context--label")
        row_style = self.get_component_rich_style("table-context--row")
        if lo > 0 or first_row > 0:
            table.add_row(
                *[Text("⋮", style=self.get_component_rich_style("table-context--more"))]
                * len(header)
            )
        for r in range(lo, hi):
            cells = []
            for c, value in enumerate(rows[r] + [""] * (len(header) - len(rows[r]))):
                if r == asked_row and c == asked_col:
                    cells.append(Text(value, style=hit))
                elif c == 0:
                    cells.append(Text(value, style=label_style))
                else:
                    cells.append(Text(value))
            table.add_row(*cells, style=row_style if r == asked_row else None)
        if hi < len(rows) or first_row + len(rows) < n_rows:
            table.add_row(
                *[Text("⋮", style=self.get_component_rich_style("table-context--more"))]
                * len(header)
            )
        return table
