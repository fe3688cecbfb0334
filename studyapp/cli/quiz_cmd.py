"""``studyapp quiz --plain``: cram mode, random cards, score at the end, schedule untouched."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_writer
from studyapp.cli.context import CliContext
from studyapp.cli.plain import Io, run_card
from studyapp.core.wording import plural


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("quiz", help="cram quiz (does not change the schedule)")
    parser.add_argument("--plain", action="store_true", help="line-based quiz (pipe-friendly)")
    parser.add_argument("--tag", action="append", help="only notes with this tag (repeatable)")
    parser.add_argument("--folder", action="append", help="only notes in this folder (repeatable)")
    parser.add_argument("--kind", action="append", choices=["note", "table", "calc"])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, help="seed of the random selection")
    parser.add_argument("--exam", metavar="NAME", help="only an exam's scope, weakest cards first")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    if not args.plain:
        from studyapp.cli.main import open_tui

        return open_tui(ctx)
    return run_plain(args, ctx, Io())


def run_plain(args: argparse.Namespace, ctx: CliContext, io: Io) -> int:
    from studyapp.services.cram import CramScore, cram_selection
    from studyapp.services.review import ReviewService, new_session_id

    coll = open_writer(ctx)
    service = ReviewService(coll)
    if getattr(args, "exam", None):  # issue 14
        from studyapp.cli.common import CliError
        from studyapp.services.exams import exam_cram_ids

        try:
            ids = exam_cram_ids(coll, args.exam, count=args.count)
        except KeyError:
            raise CliError(f"no exam named {args.exam!r}") from None
    else:
        ids = cram_selection(
            coll,
            count=args.count,
            tags=args.tag,
            folders=args.folder,
            kinds=args.kind,
            seed=args.seed,
        )
    if not ids:
        io.say("No cards match. 没有符合条件的卡片。")
        return 0
    session_id = new_session_id()
    score = CramScore()
    io.say(f"Cram quiz: {plural(len(ids), 'card')} (the schedule is not changed).")
    for n, card_id in enumerate(ids, 1):
        view = service.card(card_id)
        answer = run_card(io, view, f"{n}/{len(ids)}", typed=coll.settings.typed_recall)
        if answer is None:
            break
        correct = answer.correct if answer.correct is not None else answer.grade >= 3
        score.add(card_id, correct, view.title, view.payload.get("answer", ""))
        service.record(
            card_id,
            answer.grade,
            session_id=session_id,
            duration_ms=answer.elapsed_ms,
            response=answer.response,
            correct=correct,
            seed=answer.seed,
            cram=True,
        )
    io.say("")
    io.say(f"Score: {score.correct}/{score.answered} ({score.percent:.0f}%)")
    for _card_id, question, _expected in score.misses:
        io.say(f"  ✗ {question}")
    return 0
