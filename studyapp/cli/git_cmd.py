"""``studyapp git setup|merge-driver|conflicts``: sync the notes folder with git, schedule lines never conflicting.

``setup`` registers a merge driver for ``*.md`` in the repository holding the notes
folder.  The driver is git's own three-way merge (``git merge-file``) of the note with
its four schedule lines masked to ours, so the body and the other keys merge (and
conflict) exactly as usual, and then sets the schedule lines from the merged event log
(ours in the work tree, theirs from the commit being merged): dates and review count
exactly, ``mastery_level`` (which needs every card of the note) from the side that studied
last until the app's next start replays the log and writes it.  ``conflicts`` does the same for Syncthing's conflict copies.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from studyapp.cli.common import CliError, open_reader
from studyapp.cli.context import CliContext

ATTRIBUTE_LINE = "*.md merge=studyapp"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("git", help="sync the notes folder with git (merge driver)")
    sub = parser.add_subparsers(dest="git_command", metavar="ACTION", required=True)
    setup = sub.add_parser("setup", help="write .gitattributes and the repository's merge driver")
    setup.set_defaults(func=run_setup)
    driver = sub.add_parser("merge-driver", help="called by git: %%O %%A %%B %%P")
    for name in ("base", "ours", "theirs", "path"):
        driver.add_argument(name)
    driver.set_defaults(func=run_driver)
    conflicts = sub.add_parser(
        "conflicts", help="resolve Syncthing conflict copies that differ only in schedule lines"
    )
    conflicts.add_argument("--yes", action="store_true", help="remove them without asking")
    conflicts.set_defaults(func=run_conflicts)


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise CliError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise CliError(f"git {' '.join(args)}: {exc.stderr.strip() or exc}") from None
    return done.stdout.strip()


def run_setup(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.core.atomic import atomic_write

    notes = ctx.notes_dir
    root = Path(_git(["rev-parse", "--show-toplevel"], notes))
    attributes = notes / ".gitattributes"
    old = attributes.read_bytes() if attributes.exists() else b""
    if ATTRIBUTE_LINE.encode() not in old.splitlines():
        sep = b"" if not old or old.endswith(b"\n") else b"\n"
        new = old + sep + ATTRIBUTE_LINE.encode() + b"\n"
        if attributes.exists():
            from studyapp.core.frontmatter_io import sha256_hex

            atomic_write(attributes, new, expected_sha256=sha256_hex(old))
        else:
            attributes.write_bytes(new)
    command = [sys.executable, "-m", "studyapp", "git", "merge-driver", "%O", "%A", "%B", "%P"]
    driver = " ".join(c if c.startswith("%") else shlex.quote(c) for c in command)
    _git(["config", "merge.studyapp.name", "studyapp: schedule lines from the event log"], root)
    _git(["config", "merge.studyapp.driver", driver], root)
    print(f"{attributes}: {ATTRIBUTE_LINE}")
    print(f"{root}: merge.studyapp.driver = {driver}")
    print("commit .gitattributes and .studyapp/log/ with your notes; the database stays local")
    return 0


def run_driver(args: argparse.Namespace, ctx: CliContext) -> int:
    """git's three-way merge, schedule lines masked; exit 0 clean, 1 with body conflicts."""
    from studyapp.core.frontmatter_io import WriteBackError, load_meta
    from studyapp.core.model import NoteError
    from studyapp.core.schedule_edit import write_schedule
    from studyapp.core.schedule_merge import mask, newer_schedule

    ours_path = Path(args.ours)
    base, ours, theirs = (Path(p).read_bytes() for p in (args.base, args.ours, args.theirs))
    folder = ours_path.parent
    temps: list[str] = []
    try:
        for data in (mask(base, ours), mask(theirs, ours)):
            fd, name = tempfile.mkstemp(dir=folder, prefix=".studyapp-merge-", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            temps.append(name)
        done = subprocess.run(
            [
                "git",
                "merge-file",
                "-p",
                "-L",
                "ours",
                "-L",
                "base",
                "-L",
                "theirs",
                str(ours_path),
                temps[0],
                temps[1],
            ],
            capture_output=True,
            check=False,
        )
    finally:
        for name in temps:
            os.unlink(name)
    if done.returncode < 0 or done.returncode > 127:
        print(done.stderr.decode(errors="replace"), file=sys.stderr)
        return 2
    merged = done.stdout
    values: dict[str, Any] = {}
    if newer_schedule(args.path, ours, theirs):
        with contextlib.suppress(NoteError, WriteBackError, ValueError):
            meta, _w, _p = load_meta(args.path, theirs)
            values = {
                "last_reviewed": meta.last_reviewed,
                "next_review": meta.next_review,
                "review_count": meta.review_count,
                "mastery_level": meta.mastery_level,
            }
    values.update(_values_from_merged_log(args.path, ours) or {})
    if values:
        # a conflict inside the frontmatter (another key) keeps our schedule lines
        with contextlib.suppress(WriteBackError, ValueError):
            merged = write_schedule(merged, values)
    ours_path.write_bytes(merged)  # git's own temp file for %A; git reads it back
    return 1 if done.returncode > 0 else 0


def _values_from_merged_log(repo_path: str, ours: bytes) -> dict[str, Any] | None:
    """The note's dates and review count replayed from both sides' event logs.

    Ours are the working tree's ``.studyapp/log`` files; theirs come from the commit
    git is merging (``GITHEAD_<sha>`` in the driver's environment).  ``mastery_level``
    needs every card of the note, which only the app knows: it is taken from the side
    that studied last and rewritten by the app's next start.  ``None`` when the log
    cannot be read (no log, a rebase without ``GITHEAD_``): then the side that studied
    last gives all four lines.
    """
    from studyapp.core import events as ev
    from studyapp.core.frontmatter_io import WriteBackError, load_meta
    from studyapp.core.model import NoteError
    from studyapp.core.srs import SrsState

    theirs_commit = [k[len("GITHEAD_") :] for k in os.environ if k.startswith("GITHEAD_")]
    parts = Path(repo_path).parts  # git runs the driver at the top of the work tree
    candidates = (Path(*parts[:depth]) for depth in range(len(parts) - 1, -1, -1))
    root = next((c for c in candidates if (c / ".studyapp" / "log").is_dir()), None)
    if root is None or len(theirs_commit) != 1:
        return None
    rel = Path(repo_path).relative_to(root).as_posix()
    log_dir = (root / ".studyapp" / "log").as_posix()
    events: dict[str, dict[str, Any]] = {}
    for path in sorted((root / ".studyapp" / "log").glob("*.jsonl")):
        for event in ev.parse_lines(path.read_bytes())[0]:
            events[event["id"]] = event
    try:
        names = _git(
            ["ls-tree", "-r", "--name-only", theirs_commit[0], "--", log_dir + "/"], Path()
        )
        for name in names.splitlines():
            blob = subprocess.run(
                ["git", "show", f"{theirs_commit[0]}:{name}"], capture_output=True, check=True
            ).stdout
            for event in ev.parse_lines(blob)[0]:
                events[event["id"]] = event
    except (CliError, subprocess.CalledProcessError):
        return None
    renamed = ev.follow_moves(list(events.values()))
    mine = [e for e in renamed if e.get("note") == rel or e["type"] == ev.UNDO]
    if not any(e["type"] == ev.ANSWER and e.get("kind") == "note" for e in mine if e.get("note")):
        return None
    try:
        meta, _w, _p = load_meta(rel, ours)
    except (NoteError, WriteBackError, ValueError):
        return None
    keys = {ev.card_key(e) for e in mine if e["type"] in (ev.ANSWER, ev.BURY, ev.SUSPEND)}
    starts = {key: ev.CardStart(SrsState()) for key in keys}
    base = ev.NoteValues(
        meta.last_reviewed, meta.next_review, meta.review_count, meta.mastery_level
    )
    members = sorted((key, key[1]) for key in keys)
    result = ev.replay(mine, starts, {rel: (base, members)})
    values = result.notes.get(rel)
    if values is None:
        return None
    return {
        "last_reviewed": values.last_reviewed,
        "next_review": values.next_review,
        "review_count": values.review_count,
    }


def run_conflicts(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.conflicts import find_conflict_copies

    coll = open_reader(ctx)
    copies = find_conflict_copies(coll.notes_dir)
    if not copies:
        print("no conflict copies")
        return 0
    resolvable = [c for c in copies if c.resolvable]
    for copy in copies:
        print(f"{copy.rel_path}: {copy.problem()}")
    if not resolvable:
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            print("run with --yes to remove them", file=sys.stderr)
            return 1
        answer = input(f"remove {len(resolvable)} copies (their answers are in the log)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return 1
    for copy in resolvable:
        (coll.notes_dir / copy.rel_path).unlink()
        print(f"removed {copy.rel_path}")
    return 0 if len(resolvable) == len(copies) else 1
