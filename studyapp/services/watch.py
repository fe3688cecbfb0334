"""Optional: re-import notes edited while the app is open (setting ``watch_notes``).

Editing a note in another window used to need ``i`` (or a restart) before the
review saw it.  :func:`watch_notes` waits on file events from ``watchfiles`` (native,
no polling) and runs the ordinary incremental import after each batch of changes
to Markdown files, so the same rules apply as at start-up (hashes decide, rejected
notes are reported).  The app's own write-backs store the file's new hash, so they
re-import as unchanged and never loop.

The watcher is injected (``watcher=``) so tests feed change sets without waiting on
the file system; it runs in a thread and ends when ``stop`` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from studyapp.services.collection import Collection
from studyapp.services.importer import ImportReport, import_notes

__all__ = ["Watcher", "changed_notes", "watch_notes"]

#: ``watcher(path, stop_event=...)`` yielding sets of ``(change, path)``, as watchfiles.watch.
Watcher = Callable[..., Iterable[set[tuple[Any, str]]]]


def _default_watcher(path: Path, *, stop_event: threading.Event) -> Iterator[set[tuple[Any, str]]]:
    import watchfiles

    # debounce: an editor's save is several events; one import per save is enough.
    yield from watchfiles.watch(path, stop_event=stop_event, debounce=800, raise_interrupt=False)


def changed_notes(changes: Iterable[tuple[Any, str]], root: Path) -> list[str]:
    """The Markdown files in a change set, relative to the notes folder, sorted."""
    out: set[str] = set()
    for _change, raw in changes:
        path = Path(raw)
        if path.suffix.lower() != ".md":
            continue
        try:
            out.add(path.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            continue
    return sorted(out)


def watch_notes(
    coll: Collection,
    stop: threading.Event,
    on_import: Callable[[list[str], ImportReport], None],
    *,
    watcher: Watcher | None = None,
) -> None:
    """Re-import after each batch of note changes until ``stop`` is set (blocking)."""
    watch = watcher or _default_watcher
    for changes in watch(coll.notes_dir, stop_event=stop):
        if stop.is_set():
            return
        paths = changed_notes(changes, coll.notes_dir)
        if not paths:
            continue
        on_import(paths, import_notes(coll))
