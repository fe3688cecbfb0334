"""``studyapp review --plain``: today's review session on stdin/stdout."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import CliError, open_writer
from studyapp.cli.context import CliContext
from studyapp.cli.plain import Io, run_card


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("review", help="review the cards due today")
    parser.add_argument("--plain", action="store_true", help="line-based session (pipe-friendly)")
    parser.add_argument("--tag", help="only notes with this tag (or a sub-tag)")
    parser.add_argument("--kind", choices=["note", "table", "calc"])
    parser.add_argument("--limit", type=int, help="at most this many cards")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    if not args.plain:
        from studyapp.cli.main import open_tui

        return open_tui(ctx)
    return run_plain(args, ctx, Io())


def run_plain(args: argparse.Namespace, ctx: CliContext, io: Io) -> int:
    from studyapp.core.session import ReviewSession
    from studyapp.services.review import ReviewService, new_session_id

    coll = open_writer(ctx)
    service = ReviewService(coll)
    queue = service.due_items(tag=args.tag, kind=args.kind, limit=args.limit)
    if not queue:
        io.say(f"Nothing due on {coll.today().isoformat()}. 今天没有要复习的卡片。")
        return 0
    settings = coll.settings
    session = ReviewSession(queue, relearn_gap=settings.relearn_gap)
    session_id = new_session_id()
    io.say(f"{len(queue)} cards to review on {coll.today().isoformat()} (session {session_id}).")
    while (item := session.current()) is not None:
        done, remaining = session.progress
        try:
            view = service.card(item.card_id)
        except KeyError:
            raise CliError(f"card {item.card_id} vanished from the database") from None
        answer = run_card(io, view, f"{done + 1}/{done + remaining}", typed=settings.typed_recall)
        if answer is None:
            break
        outcome = session.answer(answer.grade)
        result = service.record(
            item.card_id,
            answer.grade,
            session_id=session_id,
            duration_ms=answer.elapsed_ms,
            rescheduled=outcome.rescheduled,
            response=answer.response,
            correct=answer.correct,
            seed=answer.seed,
        )
        if result.rescheduled:
            io.say(
                f"next review {result.after.due.isoformat() if result.after.due else '-'} "
                f"(interval {result.after.interval} d, ease {result.after.ef_milli / 1000:.2f})"
            )
        if outcome.requeued:
            io.say("↻ this card comes back later in the session")
        if result.message:
            io.say(result.message)
    summary = session.summary()
    io.say("")
    io.say(f"Session over: {summary.answered} cards answered, {summary.relearned} relearned.")
    return 0
