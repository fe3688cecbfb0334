"""A checkbox whose unchecked state is empty, not a dimmer ``X``.

Textual's checkbox draws the same ``X`` on and off and tells them apart by colour
only; on some themes and terminals (and for colour-blind users) unchecked boxes
looked checked.  This one draws ``X`` only when checked, keeping the theme's
colours and the rest of the widget as it is.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType

__all__ = ["ClearCheckbox", "ClearRadioButton", "ClearSelectionList"]


class ClearCheckbox(Checkbox):
    """:class:`~textual.widgets.Checkbox` with a blank box when unchecked."""

    @property
    def _button(self) -> Content:
        # An instance attribute shadows the class's "X" for this one render.
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


class ClearRadioButton(RadioButton):
    """:class:`~textual.widgets.RadioButton` with a blank dot when not chosen."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return super()._button


class ClearSelectionList(SelectionList[SelectionType]):
    """:class:`~textual.widgets.SelectionList` whose unselected rows have an empty box.

    Textual draws every row's box with the class-wide ``X`` (colour tells them
    apart); the rendered line is rebuilt here with a blank for unselected rows.
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        _, scroll_y = self.scroll_offset
        try:
            selection = self.get_option_at_index(scroll_y + y)
        except OptionDoesNotExist:
            return strip
        if selection.value in self._selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER:
            inner = segments[1]
            segments[1] = Segment(" " * len(inner.text), inner.style, inner.control)
            return Strip(segments, strip.cell_length)
        return strip
