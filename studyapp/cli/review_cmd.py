"""``studyapp review --plain``: today's review session on stdin/stdout."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import CliError, open_writer
from studyapp.cli.context import CliContext
from studyapp.cli.plain import Io, preview_line, run_card
from studyapp.core.wording import plural


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
    from studyapp.services.review import ReviewService, interval_label, new_session_id

    coll = open_writer(ctx)
    service = ReviewService(coll)
    queue = service.due_items(tag=args.tag, kind=args.kind, limit=args.limit)
    if not queue:
        io.say(f"Nothing due on {coll.today().isoformat()}. 今天没有要复习的卡片。")
        return 0
    settings = coll.settings
    session = ReviewSession(queue, relearn_gap=settings.relearn_gap)
    session_id = new_session_id()
    # A card graded below 4 comes back; it is "relearned" only once a later grade is 4+.
    came_back: set[int] = set()
    relearned: set[int] = set()
    io.say(
        f"{plural(len(queue), 'card')} to review on {coll.today().isoformat()} (session {session_id})."
    )
    while (item := session.current()) is not None:
        done, remaining = session.progress
        try:
            view = service.card(item.card_id)
        except KeyError:
            raise CliError(f"card {item.card_id} vanished from the database") from None
        repeat = item.card_id in came_back
        # "done" only moves when a card is finished, so a failed card does not look
        # like the counter got stuck: say what the numbers are.
        position = f"{done}/{done + remaining} done" + (" · relearning" if repeat else "")
        if repeat:
            due = view.state.due.isoformat() if view.state.due else "-"
            preview = f"relearning: already scheduled for {due}; 4-5 ends it, 0-3 again later"
        else:
            preview = preview_line(
                [interval_label(after.interval) for after in service.preview(view.id)]
            )
        answer = run_card(io, view, position, typed=settings.typed_recall, preview=preview)
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
            came_back.add(item.card_id)
            io.say("↻ this card comes back later in the session")
        elif repeat:
            relearned.add(item.card_id)
        if result.message:
            io.say(result.message)
    summary = session.summary()
    io.say("")
    line = f"Session over: {plural(summary.answered, 'card')} answered"
    if summary.answers != summary.answered:
        line += f" ({plural(summary.answers, 'grade')} given)"
    line += f", {len(relearned)} relearned"
    if pending := len(came_back - relearned):
        line += f", {pending} still to relearn"
    io.say(line + ".")
    return 0
