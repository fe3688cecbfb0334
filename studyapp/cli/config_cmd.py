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
    kinds = {f.name: f.type for f in fields(Settings)}
    if args.key not in kinds:
        raise CliError(f"unknown setting {args.key!r}; known: {', '.join(kinds)}")
    try:
        value = json.loads(args.value)
    except ValueError:
        raise CliError(f"{args.key}: {args.value!r} is not a valid value") from None
    current = getattr(coll.settings, args.key)
    if type(value) is not type(current) or (isinstance(value, int) and value < 0):
        raise CliError(f"{args.key}: expected a {type(current).__name__} >= 0, got {args.value!r}")
    if args.key == "rollover_hour" and not 0 <= value <= 23:
        raise CliError("rollover_hour: expected an hour from 0 to 23")
    coll.save_settings(replace(coll.settings, **{args.key: value}))
    print(f"{args.key} = {json.dumps(value)}")
    return 0
