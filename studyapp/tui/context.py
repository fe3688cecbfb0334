"""What every screen of the TUI gets: the collection and the services over it.

Screens never open sessions or parse notes themselves; they call these services
(the same ones the plain CLI uses) from thread workers, so the UI thread never
waits on disk or database work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from studyapp.services.collection import Collection
from studyapp.services.review import ReviewService


@dataclass
class AppContext:
    coll: Collection
    review: ReviewService
    #: The editor for ``e`` (``$VISUAL``, ``$EDITOR``, else none: the key says so).
    editor: str | None = field(
        default_factory=lambda: os.environ.get("VISUAL") or os.environ.get("EDITOR")
    )

    @classmethod
    def from_collection(cls, coll: Collection) -> AppContext:
        return cls(coll=coll, review=ReviewService(coll))
