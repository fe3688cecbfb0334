"""``studyapp config [KEY [VALUE]]``: show or change the collection's settings."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, fields, replace
from typing import Any

from studyapp.cli.common import CliError, open_reader, open_writer, print_json
from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "config", help="show or change settings (new_per_day, rollover_hour, ...)"
    )
    parser.add_argument("key", nargs="?", help="setting name")
    parser.add_argument("value", nargs="?", help="new value (JSON: 30, true, ...)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.settings import Settings

    if args.value is None:
        settings = open_reader(ctx).settings
        values = asdict(settings)
        if args.key:
            if args.key not in values:
                raise CliError(f"unknown setting {args.key!r}; known: {', '.join(values)}")
            values = {args.key: values[args.key]}
        if not args.key:  # issue 15: this database's id in the notes folder's event log
            from studyapp.services.eventlog import device_id

            values["device_id"] = device_id(open_reader(ctx))
        if args.json:
            print_json(values)
        else:
            for key, value in values.items():
                print(f"{key} = {json.dumps(value)}")
        return 0
    coll = open_writer(ctx, sync=False)
    if args.key in ("scheduler", "desired_retention"):  # issue 14: these reschedule every card
        return _set_scheduling(coll, args.key, args.value)
    kinds = {f.name: f.type for f in fields(Settings)}
    if args.key not in kinds:
        raise CliError(f"unknown setting {args.key!r}; known: {', '.join(kinds)}")
    current = getattr(coll.settings, args.key)
    try:
        value = json.loads(args.value)
    except ValueError:
        if not isinstance(current, str):
            raise CliError(f"{args.key}: {args.value!r} is not a valid value") from None
        value = args.value  # a bare word for a text setting: bury_siblings note
    if isinstance(current, float) and type(value) is int:
        value = float(value)
    if type(value) is not type(current) or (isinstance(value, int) and value < 0):
        expected = {bool: "true or false", int: "a whole number >= 0", str: "a text"}.get(
            type(current), type(current).__name__
        )
        raise CliError(f"{args.key}: expected {expected}, got {args.value!r}")
    if args.key == "rollover_hour" and not 0 <= value <= 23:
        raise CliError("rollover_hour: expected an hour from 0 to 23")
    updated = replace(coll.settings, **{args.key: value})
    if updated.problems():
        raise CliError("; ".join(updated.problems()))
    coll.save_settings(updated)
    print(f"{args.key} = {json.dumps(value)}")
    return 0


def _set_scheduling(coll: Any, key: str, text: str) -> int:
    """``scheduler sm2|fsrs`` or ``desired_retention 0.7-0.97``: convert every card from its log."""
    from studyapp.services.scheduler import active_scheduler, reschedule_all, set_scheduler

    if key == "scheduler":
        name = text.strip().strip('"')
        try:
            report = set_scheduler(coll, name)
        except ValueError as exc:
            raise CliError(f"scheduler: {exc}") from None
    else:
        try:
            value = float(text)
        except ValueError:
            raise CliError(f"desired_retention: {text!r} is not a number") from None
        if not 0.7 <= value <= 0.97:
            raise CliError("desired_retention: expected a value from 0.70 to 0.97")
        coll.save_settings(replace(coll.settings, desired_retention=value))
        print(f"desired_retention = {json.dumps(value)}")
        if coll.settings.scheduler != "fsrs":
            return 0
        report = reschedule_all(coll, active_scheduler(coll))
    print(
        f"scheduler = {json.dumps(report.scheduler)}: {report.cards} cards rescheduled "
        f"({report.from_log} from their review log, {report.converted_from_sm2} from SM-2 "
        f"ease/interval, {report.new} new)"
    )
    return 0
