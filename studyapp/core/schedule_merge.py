"""Merging two versions of a note without ever conflicting on its schedule lines.

Once the event log exists, the four schedule keys (``next_review``, ``last_reviewed``,
``review_count``, ``mastery_level``) are derived data: two machines that both studied a
note always change the same lines, and git would report a conflict the user cannot
resolve meaningfully.  :func:`mask` makes the schedule lines of one version equal to
another's, byte for byte, so a three-way merge of masked versions only ever sees the
body and the other keys; the schedule values are then set separately (see
``studyapp git merge-driver``), and the app's start-up replay of the merged log writes
the exact values.  Nothing outside the schedule keys' own lines is touched.
"""

from __future__ import annotations

import re
from datetime import date

from studyapp.core.frontmatter_io import WriteBackError, load_meta, split_note
from studyapp.core.model import NoteError
from studyapp.core.schedule_edit import _key_ranges, _lines

__all__ = ["SCHEDULE_KEYS", "conflict_original", "mask", "newer_schedule", "same_but_schedule"]

SCHEDULE_KEYS = ("last_reviewed", "next_review", "review_count", "mastery_level")

#: Syncthing's conflict copies: ``name.sync-conflict-20261201-101010-ABCDEFG.md``.
_SYNC_CONFLICT = re.compile(r"\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]+(?=\.md$)", re.IGNORECASE)


def _schedule_ranges(data: bytes) -> tuple[int, list[bytes], dict[str, tuple[int, int]]]:
    parts = split_note(data)
    if not parts.has_frontmatter:
        return 0, [], {}
    lines = _lines(parts.block)
    ranges = {
        key: spans[0]
        for key, spans in _key_ranges(lines, set(SCHEDULE_KEYS)).items()
        if len(spans) == 1  # a duplicated key is the user's to fix; leave it alone
    }
    return parts.block_start, lines, ranges


def mask(data: bytes, reference: bytes) -> bytes:
    """``data`` with each schedule key's lines replaced by ``reference``'s lines for it.

    Keys that one side lacks are left as they are; every other byte of ``data`` stays.
    """
    start, lines, ranges = _schedule_ranges(data)
    _ref_start, ref_lines, ref_ranges = _schedule_ranges(reference)
    if not ranges or not ref_ranges:
        return data
    out = list(lines)
    # from the bottom up, so earlier ranges keep their indexes
    for key, (lo, hi) in sorted(ranges.items(), key=lambda kv: -kv[1][0]):
        if key not in ref_ranges:
            continue
        rlo, rhi = ref_ranges[key]
        replacement = ref_lines[rlo:rhi]
        # keep this file's own line ending on the last replaced line
        own_end = lines[hi - 1][len(lines[hi - 1].rstrip(b"\r\n")) :]
        if replacement:
            last = replacement[-1]
            replacement = [*replacement[:-1], last.rstrip(b"\r\n") + own_end]
        out[lo:hi] = replacement
    block_end = start + sum(len(x) for x in lines)
    return data[:start] + b"".join(out) + data[block_end:]


def same_but_schedule(a: bytes, b: bytes) -> bool:
    """Whether two versions differ at most in the schedule keys' lines."""
    return mask(a, b) == b


def _schedule_of(path: str, data: bytes) -> tuple[date | None, int] | None:
    try:
        meta, _warnings, _parts = load_meta(path, data)
    except (NoteError, WriteBackError, ValueError):
        return None
    return meta.last_reviewed, meta.review_count


def newer_schedule(path: str, ours: bytes, theirs: bytes) -> bool:
    """True when ``theirs`` was reviewed later (or more often on the same day) than ``ours``.

    The side that studied the note last carries the schedule the merged log gives when
    only one side studied it; when both did, the app's next start replays the merged log
    and rewrites the lines.
    """
    a, b = _schedule_of(path, ours), _schedule_of(path, theirs)
    if a is None or b is None:
        return False
    day_a = a[0] or date.min
    day_b = b[0] or date.min
    return (day_b, b[1]) > (day_a, a[1])


def conflict_original(rel_path: str) -> str | None:
    """The note a Syncthing conflict copy belongs to, or ``None`` for an ordinary note."""
    name = rel_path.rsplit("/", 1)[-1]
    if not _SYNC_CONFLICT.search(name):
        return None
    return rel_path[: len(rel_path) - len(name)] + _SYNC_CONFLICT.sub("", name)
