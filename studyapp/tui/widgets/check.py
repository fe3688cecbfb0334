"""A checkbox whose unchecked state is empty, not a dimmer ``X``.

Textual's checkbox draws the same ``X`` on and off and tells them apart by colour
only; on some themes and terminals (and for colour-blind users) unchecked boxes
looked checked.  This one draws ``X`` only when checked, keeping the theme's
colours and the rest of the widget as it is.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton

__all__ = ["ClearCheckbox", "ClearRadioButton"]


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
