"""``studyapp lint``: frontmatter problems and numeric claims the sizing engine disagrees with.

Exit status 1 when any note cannot be parsed or any claim is inconsistent, so it can
run in CI or a pre-commit hook over the notes folder.  Claims the engine could not
resolve ("not checked") and consistent ones are silent unless ``--all`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("lint", help="check notes' frontmatter and numeric claims")
    parser.add_argument("dir", nargs="?", help="notes folder (default: the collection's)")
    parser.add_argument("--json", action="store_true", help="one JSON object per finding")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also list consistent and not-checked claims (text output)",
    )
    parser.set_defaults(func=run)


def lint_dir(root: Path) -> list[dict[str, Any]]:
    """Every finding under ``root`` as plain dicts (path relative to root, posix)."""
    from studyapp.core.model import NoteError
    from studyapp.core.notefile import parse_note
    from studyapp.core.sizing.lint import lint_text

    out: list[dict[str, Any]] = []
    for path in sorted(p for p in root.rglob("*.md") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        try:
            parsed = parse_note(rel, path.read_bytes())
        except NoteError as exc:
            out.append(_row(rel, 1, "", "frontmatter", "error", exc.problem))
            continue
        for warning in parsed.warnings:
            out.append(_row(rel, 1, "", "frontmatter", "warning", warning))
        for f in lint_text(parsed.body, parsed.body_line_offset):
            row = _row(rel, f.line, f.claim, f.engine, f.verdict, f.detail)
            row.update(kind=f.kind, steps=list(f.steps), source=f.source)
            out.append(row)
    return out


def _row(
    path: str, line: int, claim: str, engine: str, verdict: str, detail: str
) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "claim": claim,
        "engine": engine,
        "verdict": verdict,
        "detail": detail,
    }


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    root = Path(args.dir).expanduser() if args.dir else ctx.notes_dir
    if not root.is_dir():
        print(f"studyapp lint: {root} is not a folder", file=sys.stderr)
        return 2
    rows = lint_dir(root)
    failed = any(r["verdict"] in {"inconsistent", "error"} for r in rows)
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 1 if failed else 0
    quiet = {"consistent", "not checked"}
    shown = [r for r in rows if args.all or r["verdict"] not in quiet]
    for r in shown:
        claim = f" {r['claim']!r}" if r["claim"] else ""
        print(f"{r['path']}:{r['line']}: {r['verdict']}{claim}: {r['detail']}")
        if r["engine"] and r["engine"] != "frontmatter":
            print(f"    engine: {r['engine']}")
        if r["verdict"] == "inconsistent":
            for step in r.get("steps", ()):
                print(f"    step: {step}")
            if r.get("source"):
                print(f"    source: {r['source']}")
    counts = {
        v: sum(r["verdict"] == v for r in rows)
        for v in ("consistent", "inconsistent", "not checked")
    }
    print(f"{len(rows)} findings: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return 1 if failed else 0
