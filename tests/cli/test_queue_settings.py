"""The queue's settings (bury_siblings, calc_new_share, new_per_note) from the command line."""

from __future__ import annotations

import json


def test_queue_settings_are_validated(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "bury_siblings", "note").code == 0
    assert json.loads(cli("config", "bury_siblings", "--json").out) == {"bury_siblings": "note"}
    assert cli("config", "bury_siblings", "sometimes").code != 0
    assert cli("config", "calc_new_share", "1").code == 0
    assert cli("config", "calc_new_share", "1.5").code != 0
    assert cli("config", "new_per_note", "3").code == 0
    assert cli("due", "--json").code == 0
