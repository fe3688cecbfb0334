"""The Textual front end.

Importing it switches Rich's and Textual's line breaking to CJK-aware chunks (see
:mod:`studyapp.tui.cjk_wrap`): done here, once, so every screen and every test of
the TUI wraps the same way whatever is imported first.
"""

from studyapp.tui import cjk_wrap as _cjk_wrap

_cjk_wrap.install()
