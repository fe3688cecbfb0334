"""``studyapp exam add|list|remove|status``: study towards an interview date."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import CliError, open_reader, open_writer, print_json
from studyapp.cli.context import CliContext, parse_day


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "exam", help="interview dates: every card reviewed before the day"
    )
    sub = parser.add_subparsers(dest="exam_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add an exam: DATE [--tag T | --folder F] [--name N]")
    add.add_argument("date", help="YYYY-MM-DD")
    scope = add.add_mutually_exclusive_group()
    scope.add_argument("--tag")
    scope.add_argument("--folder")
    add.add_argument("--name")
    add.set_defaults(func=run_add)
    lst = sub.add_parser("list", help="list exams")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_list)
    rm = sub.add_parser("remove", help="remove an exam by name")
    rm.add_argument("name")
    rm.set_defaults(func=run_remove)
    st = sub.add_parser("status", help="countdown, scope and readiness of each exam")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=run_status)


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.exams import add_exam

    try:
        day = parse_day(args.date, "exam date")
        exam, moved = add_exam(
            open_writer(ctx), day, name=args.name, tag=args.tag, folder=args.folder
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(
        f"{exam.name}: {exam.exam_date} ({exam.scope()}); {moved} cards moved into the final 3 days"
    )
    return 0


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.exams import list_exams

    exams = list_exams(open_reader(ctx))
    if args.json:
        print_json([{"name": e.name, "date": e.exam_date, "scope": e.scope()} for e in exams])
    elif not exams:
        print("No exams. Add one with: studyapp exam add YYYY-MM-DD --name NAME")
    for e in [] if args.json else exams:
        print(f"{e.exam_date}  {e.name}  ({e.scope()})")
    return 0


def run_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.exams import remove_exam

    try:
        remove_exam(open_writer(ctx, sync=False), args.name)
    except KeyError:
        raise CliError(f"no exam named {args.name!r}") from None
    print(f"removed {args.name}; due dates already moved stay (they only come earlier)")
    return 0


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.exams import status

    rows = status(open_reader(ctx))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No exams.")
    for r in rows:
        print(
            f"{r['name']}: {r['date']} in {r['days_left']} days, {r['cards']} cards "
            f"({r['new_cards']} new), readiness {r['readiness']:.0%} ({r['scheduler']})"
        )
    return 0
