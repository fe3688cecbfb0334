"""Hostile input (issue "Proof"): what a stranger's note folder can do to studyapp.

* ``parse_note`` on arbitrary bytes (hypothesis) raises nothing but ``NoteError``;
* YAML alias bombs (billion laughs, merge-key and alias-as-key variants), deep nesting,
  oversized notes and frontmatter are refused with a clear limit message, before YAML is
  constructed or Markdown tokenised and with work linear in the note's size (counted,
  not timed: speed is measured in ``bench/``);
* symlink loops in the notes folder end; a symlink note pointing outside the folder is
  never read or written; file names with ``..``-like tricks never cause a write outside.

Fixtures: ``tests/data/hostile/``.
"""

from __future__ import annotations

import os
import pathlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from studyapp.core import frontmatter_io, markdown, notefile, safe_yaml
from studyapp.core.frontmatter_io import load_meta
from studyapp.core.model import NoteError
from studyapp.core.notefile import parse_note
from studyapp.db.models import Card, Note
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService
from studyapp.services.scan import scan_notes
from tests.conftest import DATA
from tests.steps import lines_run

HOSTILE = DATA / "hostile"
TODAY = date(2026, 11, 25)

NOTE = (
    "---\ncreated: '2025-10-01'\nlast_reviewed: null\nnext_review: '2025-10-01'\n"
    "review_count: 0\ndifficulty: medium\nmastery_level: 0.0\n---\n# {title}\n\n"
    "## 面试标准答案\n\n答案 {title}。\n"
)


def _note(title: str) -> bytes:
    return NOTE.format(title=title).encode()


# --------------------------------------------------------------------- parse_note never crashes

_MD_ALPHABET = st.sampled_from(
    [*"#|-*_`>[]()!:\\\n\r \t", "量化", "｜", "\u200b", "\ufeff", "---", "```", "\x0b", "\x85"]
)
_markdownish = st.lists(_MD_ALPHABET, max_size=120).map("".join)
_yamlish = st.lists(
    st.sampled_from(
        [
            "review_count: 3",
            "next_review: 2025-13-45",
            "tags: [a, b",
            "&a x",
            "*a",
            "!!binary AA",
            "!!python/object:os.system",
            "? x",
            "- - -",
            "'unterminated",
            "k: |",
            "  block",
            "mastery_level: .nan",
            "difficulty: 难",
            "<<: {a: 1}",
            "%YAML 1.1",
            "...",
            "---",
        ]
    ),
    max_size=10,
).map("\n".join)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.tuples(st.sampled_from([b"", b"\xef\xbb\xbf"]), _yamlish, _markdownish).map(
            lambda t: t[0] + ("---\n" + t[1] + "\n---\n" + t[2]).encode("utf-8", "surrogatepass")
        ),
        st.tuples(_yamlish, _markdownish, st.binary(max_size=8)).map(
            lambda t: ("---\r\n" + t[0] + "\r\n---\r\n" + t[1]).encode() + t[2]
        ),
        _markdownish.map(lambda s: s.encode()),
    )
)
def test_parse_note_raises_only_note_error(data: bytes) -> None:
    try:
        note = parse_note("hostile.md", data)
    except NoteError as exc:
        assert exc.problem and "\n" not in exc.problem and str(exc).startswith("hostile.md: ")
    else:
        assert note.title and note.path == "hostile.md"
        assert note.body_line_offset >= 0


# --------------------------------------------------------------------- bombs and limits


#: The modules a note's refusal runs in, whose Python lines are counted.
_PARSE_MODULES = (frontmatter_io, safe_yaml, notefile, markdown)
#: Python lines a refusal may run per byte of the note.  The passes it needs are linear
#: (the byte checks, the frontmatter split line by line, the node walk up to the first
#: alias or the depth limit): at most about 2 lines per byte.  An alias bomb expanded,
#: or a walk repeated per nesting level, is orders of magnitude more.
_LINES_PER_BYTE = 4


class _Reached(BaseException):  # not turned into a NoteError by the parse's handlers
    """A refused note reached an expensive step (raised instead of expanding a bomb)."""


class _Expensive:
    """Spies on the expensive steps of a parse: YAML construction and Markdown tokenising.

    A bomb or an oversized note must be refused before either runs: the limits are
    checked on the bytes and on the composed (not yet expanded) YAML nodes.  With
    ``refuse`` the step is not run at all (a bomb let through fails the test at once
    instead of expanding).
    """

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.steps: list[str] = []
        self._patches = [
            self._spy(safe_yaml._Loader, "construct_document", "YAML construction"),
            self._spy(safe_yaml, "_construct_flat", "YAML construction"),
            self._spy(notefile, "outline_tokens", "Markdown tokenising"),
        ]

    def _spy(self, owner: object, name: str, step: str) -> Any:
        real = getattr(owner, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.steps.append(step)
            if self.refuse:
                raise _Reached(step)
            return real(*args, **kwargs)

        return mock.patch.object(owner, name, spy)

    def __enter__(self) -> _Expensive:
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for patch in reversed(self._patches):
            patch.stop()


def _refused_fast(name: str, data: bytes, *expected: str) -> str:
    """Refused before any expensive step, with work linear in the note's size.

    Deterministic stand-ins for "in under a second": no YAML construction, no Markdown
    tokenising, and at most ``_LINES_PER_BYTE`` Python lines run per byte of input.
    """

    def attempt() -> NoteError | None:
        try:
            parse_note(name, data)
        except NoteError as exc:
            return exc
        return None

    with _Expensive(refuse=True) as expensive:
        error, lines = lines_run(attempt, *_PARSE_MODULES, limit=_LINES_PER_BYTE * len(data))
    assert error is not None, f"{name}: not refused"
    assert expensive.steps == [], f"{name}: refused only after {expensive.steps}"
    assert lines < _LINES_PER_BYTE * len(data)  # else lines_run raised TooManyLines
    problem = error.problem
    assert "\n" not in problem
    for word in expected:
        assert word in problem, problem
    return problem


@pytest.mark.parametrize("name", ["billion_laughs.md", "merge_key_bomb.md", "anchor_key_bomb.md"])
def test_alias_bombs_refused_fast(name: str) -> None:
    _refused_fast(name, (HOSTILE / name).read_bytes(), "alias", "line ")


def test_note_over_5_mb_refused_fast_with_the_limit() -> None:
    data = _note("大") + ("很长的正文。" * 100 + "\n").encode() * 3000  # ~5.4 MB
    assert len(data) > 5 * 1024 * 1024
    _refused_fast("big.md", data, "too large", "5 MB limit")


def test_huge_frontmatter_refused_fast_with_the_limit() -> None:
    data = b"---\ntags:\n" + b"- t\n" * 20000 + b"---\n# t\n"
    _refused_fast("fm.md", data, "frontmatter too large", "64 KB limit")


@pytest.mark.parametrize(
    "block",
    [
        b"k: " + b"[" * 20000 + b"]" * 20000,
        b"k: " + b"{a: " * 5000 + b"1" + b"}" * 5000,
        b"".join(b" " * i + b"k:\n" for i in range(300)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-mappings"],
)
def test_deep_nesting_refused_fast(block: bytes) -> None:
    _refused_fast("deep.md", b"---\n" + block + b"\n---\n# t\n", "nest")


def test_bombs_in_a_folder_are_one_line_each_and_the_rest_imports(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for bomb in HOSTILE.glob("*bomb*.md"):
        (notes / bomb.name).write_bytes(bomb.read_bytes())
    (notes / "billion_laughs.md").write_bytes((HOSTILE / "billion_laughs.md").read_bytes())
    (notes / "ok.md").write_bytes(_note("好的"))
    with _collection(tmp_path, notes) as coll, _Expensive() as expensive:
        report = import_notes(coll)
        # The bombs cost no YAML construction and no Markdown: only ok.md gets that far.
        assert expensive.steps.count("Markdown tokenising") == 1, expensive.steps
        assert expensive.steps.count("YAML construction") == 1, expensive.steps
        assert report.imported == 1
        assert sorted(p.path for p in report.rejected) == sorted(
            p.name for p in notes.glob("*.md") if p.name != "ok.md"
        )
        assert all("alias" in p.error for p in report.rejected)


# --------------------------------------------------------------------- the notes folder


class _collection:  # a context manager: open, take the writer lock, close
    def __init__(self, tmp: Path, notes: Path) -> None:
        self.coll = Collection.open(
            tmp / "db.sqlite3",
            notes,
            today_override=TODAY,
            clock=lambda: datetime(2026, 11, 25, 12, tzinfo=UTC),
        )

    def __enter__(self) -> Collection:
        self.coll.acquire_writer()
        return self.coll

    def __exit__(self, *exc: object) -> None:
        self.coll.close()


def _run_with_timeout(fn, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "did not terminate (symlink loop?)"
    return out[0]


def test_symlink_loops_terminate_and_each_note_is_found_once(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "a" / "b").mkdir(parents=True)
    (notes / "a" / "b" / "deep.md").write_bytes(_note("deep"))
    (notes / "top.md").write_bytes(_note("top"))
    (notes / "a" / "b" / "up").symlink_to("../..", target_is_directory=True)  # back to the root
    (notes / "a" / "self").symlink_to(".", target_is_directory=True)
    (notes / "x").symlink_to("y", target_is_directory=True)  # x -> y -> x
    (notes / "y").symlink_to("x", target_is_directory=True)
    (notes / "loop.md").symlink_to("loop.md")  # a file link to itself
    (notes / "dangling.md").symlink_to("nowhere.md")
    (notes / "root").symlink_to(notes, target_is_directory=True)
    found = _run_with_timeout(lambda: scan_notes(notes))
    assert [f.rel_path for f in found] == ["a/b/deep.md", "top.md"]  # type: ignore[attr-defined]
    with _collection(tmp_path, notes) as coll:
        report = _run_with_timeout(lambda: import_notes(coll))
        assert report.imported == 2 and not report.rejected  # type: ignore[attr-defined]


def test_a_note_linked_inside_the_folder_is_one_note(tmp_path: Path) -> None:
    """real.md plus alias.md -> real.md: one note card, else two cards write one file."""
    notes = tmp_path / "notes"
    (notes / "by-topic").mkdir(parents=True)
    (notes / ".archive").mkdir()
    (notes / "real.md").write_bytes(_note("real"))
    (notes / "by-topic" / "alias.md").symlink_to("../real.md")
    (notes / ".archive" / "kept.md").write_bytes(_note("kept"))
    (notes / "kept-link.md").symlink_to(".archive/kept.md")  # target hidden: the link is the note
    assert [f.rel_path for f in scan_notes(notes)] == ["kept-link.md", "real.md"]
    with _collection(tmp_path, notes) as coll:
        import_notes(coll)
        with coll.session() as s:
            card_ids = list(s.scalars(select(Card.id).where(Card.kind == "note")))
        assert len(card_ids) == 2
        for card_id in card_ids:
            assert ReviewService(coll).record(card_id, 4, session_id="s").writeback == "done"
    assert (notes / "by-topic" / "alias.md").is_symlink() and (notes / "kept-link.md").is_symlink()
    for path in (notes / "real.md", notes / ".archive" / "kept.md"):
        assert load_meta(path.name, path.read_bytes())[0].review_count == 1


@pytest.fixture
def outside_world(tmp_path: Path) -> Iterator[tuple[Path, Path, dict[Path, tuple[bytes, int]]]]:
    """A notes folder with symlinks pointing outside it (file, folder, relative escape)."""
    notes = tmp_path / "vault" / "notes"
    notes.mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.md").write_bytes(_note("secret"))
    (outside / "dir" / "inner.md").write_bytes(_note("inner"))
    (tmp_path / "vault" / "sibling.md").write_bytes(_note("sibling"))
    (notes / "inside.md").write_bytes(_note("inside"))
    (notes / "secret.md").symlink_to(outside / "secret.md")
    (notes / "linked-dir").symlink_to(outside / "dir", target_is_directory=True)
    (notes / "escape.md").symlink_to("../sibling.md")
    files = [outside / "secret.md", outside / "dir" / "inner.md", tmp_path / "vault" / "sibling.md"]
    state = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    yield notes, outside, state
    for path, (data, mtime) in state.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == (data, mtime), f"{path} was written"


def test_symlinked_notes_outside_are_never_read_or_written(
    tmp_path: Path,
    outside_world,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    notes, _outside, state = outside_world
    read: list[str] = []
    real_read_bytes = pathlib.Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(os.path.realpath(self))
        return real_read_bytes(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", spy)
    with _collection(tmp_path, notes) as coll:
        report = import_notes(coll)
        assert report.imported == 1
        svc = ReviewService(coll)
        with coll.session() as s:
            cards = list(s.scalars(select(Card.id).where(Card.kind == "note")))
        for card_id in cards:
            assert svc.record(card_id, 4, session_id="s").writeback == "done"
    outside_reads = [p for p in read if not p.startswith(os.path.realpath(notes) + os.sep)]
    outside_reads = [p for p in outside_reads if p.endswith(".md")]
    assert not outside_reads, outside_reads
    assert all(p not in read for p in map(str, state))


def test_note_replaced_by_a_symlink_out_is_not_written(tmp_path: Path) -> None:
    """The user moves a note out of the vault and leaves a symlink behind (same content)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "moved.md").write_bytes(_note("moved"))
    outside = tmp_path / "elsewhere.md"
    with _collection(tmp_path, notes) as coll:
        import_notes(coll)
        outside.write_bytes((notes / "moved.md").read_bytes())
        (notes / "moved.md").unlink()
        (notes / "moved.md").symlink_to(outside)
        before = outside.read_bytes()
        with coll.session() as s:
            card_id = s.scalar(select(Card.id).where(Card.kind == "note"))
        result = ReviewService(coll).record(card_id, 4, session_id="s")  # type: ignore[arg-type]
        assert outside.read_bytes() == before
        assert result.writeback == "deferred" and result.message


def test_tampered_database_path_never_writes_outside(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n.md").write_bytes(_note("n"))
    victim = tmp_path / "victim.md"
    victim.write_bytes(_note("n"))
    with _collection(tmp_path, notes) as coll:
        import_notes(coll)
        with coll.session() as s, s.begin():
            s.execute(update(Note).values(path="../victim.md"))
            card_id = s.scalar(select(Card.id).where(Card.kind == "note"))
        ReviewService(coll).record(card_id, 4, session_id="s")  # type: ignore[arg-type]
    assert victim.read_bytes() == _note("n")


TRICKY_NAMES = [
    "..md",
    "...md",
    "..\\..\\evil.md",  # a backslash is an ordinary character on POSIX
    "%2e%2e%2fescape.md",
    "-rf.md",
    " leading space.md",
    "new\nline.md",
    "．．／全角.md",  # fullwidth dots and slash
    "...\u2215lookalike-slash.md",
    "dir.md/..md",  # a folder whose name ends in .md
    ".../in-a-dots-folder.md",  # '...' starts with a dot: hidden, skipped
    "a/../b.md".replace("/", "\u2044"),  # fraction slash
]


def test_dot_dot_like_names_never_cause_a_write_outside(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    notes = vault / "notes"
    notes.mkdir(parents=True)
    (vault / "evil.md").write_bytes(b"outside\n")
    (tmp_path / "escape.md").write_bytes(b"outside\n")
    for i, name in enumerate(TRICKY_NAMES):
        path = notes / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_note(f"tricky {i}"))

    def outside_snapshot() -> dict[str, bytes]:
        return {
            str(p): p.read_bytes()
            for p in tmp_path.rglob("*")
            if p.is_file() and notes not in p.parents and not p.name.startswith("db.sqlite3")
        }

    before = outside_snapshot()
    with _collection(tmp_path, notes) as coll:
        report = import_notes(coll)
        assert not report.rejected
        with coll.session() as s:
            rows = s.execute(select(Card.id, Note.path).join(Note).where(Card.kind == "note")).all()
        # names starting with a dot are hidden files (like .obsidian): skipped, never written
        expected = {n for n in TRICKY_NAMES if not any(c.startswith(".") for c in n.split("/"))}
        assert len(expected) >= 6
        assert {r.path for r in rows} == expected
        svc = ReviewService(coll)
        for row in rows:
            assert svc.record(row.id, 5, session_id="s").writeback == "done"
    assert outside_snapshot() == before
    for name in expected:
        meta, _, _ = load_meta(name, (notes / name).read_bytes())
        assert meta.review_count == 1, name
    for name in set(TRICKY_NAMES) - expected:
        assert (notes / name).read_bytes().startswith(_note("tricky")[:20]), name
        assert load_meta(name, (notes / name).read_bytes())[0].review_count == 0, name
