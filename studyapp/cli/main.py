"""The ``studyapp`` command line: global options, then one subcommand per module.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` to a ``run(args, ctx) -> int`` callable.  The context
(:class:`studyapp.cli.context.CliContext`) resolves the notes folder, the database and
the study day lazily, so commands that need neither (``size``) stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from studyapp import __version__
from studyapp.cli.context import CliContext

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "studyapp.cli.import_cmd",
    "studyapp.cli.due_cmd",
    "studyapp.cli.notes_cmd",
    "studyapp.cli.review_cmd",
    "studyapp.cli.quiz_cmd",
    "studyapp.cli.undo_cmd",
    "studyapp.cli.history_cmd",
    "studyapp.cli.stats_cmd",
    "studyapp.cli.cards_cmd",
    "studyapp.cli.size_cmd",
    "studyapp.cli.lint_cmd",
    "studyapp.cli.config_cmd",
    "studyapp.cli.scheduler_cmd",  # issue 14
    "studyapp.cli.exam_cmd",  # issue 14
    "studyapp.cli.export_cmd",
    "studyapp.cli.rebuild_cmd",
    "studyapp.cli.git_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studyapp",
        description="Spaced repetition for your Markdown interview notes.",
    )
    parser.add_argument("--version", action="version", version=f"studyapp {__version__}")
    parser.add_argument("--db", metavar="PATH", help="SQLite database (env STUDYAPP_DB)")
    parser.add_argument("--notes", metavar="DIR", help="notes folder (env STUDYAPP_NOTES)")
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", help="override the study day (env STUDYAPP_TODAY)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command whose module has not landed yet
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; ``cmd | head`` ends quietly, like any Unix tool."""
    try:
        return _main(argv)
    except BrokenPipeError:
        _silence_stdout()
        return 128 + 13  # what a shell reports for a process ended by SIGPIPE


def _silence_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced (tests) or closed
        pass


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ctx = CliContext.from_args(args)
    except ValueError as exc:
        print(f"studyapp: {exc}", file=sys.stderr)
        return 2
    func = getattr(args, "func", None)
    if func is None:
        return open_tui(ctx, parser)
    from studyapp.cli.common import CliError
    from studyapp.cli.context import NotesFolderMissing
    from studyapp.db.engine import DatabaseError
    from studyapp.services.lock import CollectionLocked

    try:
        return int(func(args, ctx))
    except (CliError, DatabaseError, NotesFolderMissing, CollectionLocked) as exc:
        print(f"studyapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


def open_tui(ctx: CliContext, parser: argparse.ArgumentParser | None = None) -> int:
    """Open the TUI (no subcommand, or ``review``/``quiz`` without ``--plain``)."""
    try:
        from studyapp.tui.app import run_app
    except ModuleNotFoundError:
        (parser or build_parser()).print_help()
        return 0
    from studyapp.cli.context import NotesFolderMissing
    from studyapp.db.engine import DatabaseError
    from studyapp.services.lock import CollectionLocked

    try:
        return run_app(ctx)
    except (NotesFolderMissing, CollectionLocked, DatabaseError) as exc:
        print(f"studyapp: {exc}", file=sys.stderr)
        return 2
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
