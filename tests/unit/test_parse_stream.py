"""ParseStream: files parsed in worker processes as the importer reads them.

Results come back in the order the files were added, equal to a parse in this
process; batches shrink towards the end so the workers finish together.
"""

from __future__ import annotations

import itertools

import pytest

from studyapp.services import import_parse
from studyapp.services.import_parse import PARALLEL_THRESHOLD, ParseStream, parse_file


def _note(i: int) -> tuple[str, bytes]:
    body = f"# 笔记 {i}\n\n## 答案\n\n答 {i}\n\n| 模型 | 显存 | 速度 |\n|---|---|---|\n"
    body += "".join(f"| m{j} | {j + i} GB | {j * 3} tok/s |\n" for j in range(4))
    return f"d{i % 3}/n{i}.md", body.encode()


def _key(p: import_parse.Parsed) -> tuple[object, ...]:
    return (p.rel_path, p.sha256, p.error, p.cards, p.tables_json)


def test_results_are_in_input_order_and_equal_to_a_serial_parse() -> None:
    items = [_note(i) for i in range(150)]
    with ParseStream(len(items), workers=2) as stream:
        assert stream.parallel
        for rel, data in items:
            stream.add(rel, data)
        got = [_key(p) for p in stream.results()]
    assert got == [_key(parse_file(rel, data)) for rel, data in items]


def test_batches_shrink_towards_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = ParseStream._submit

    def spy(self: ParseStream) -> None:
        if self._batch:
            sizes.append(len(self._batch))
        real(self)

    monkeypatch.setattr(ParseStream, "_submit", spy)
    n = 2_000
    with ParseStream(n, workers=2) as stream:
        for i in range(n):
            stream.add(f"n{i}.md", b"# t\n")
        assert sum(1 for _ in stream.results()) == n
    assert sum(sizes) == n
    assert max(sizes) == 64 and sizes[0] == 64
    assert sizes[-2] == 8  # the guided tail: small batches at the end
    assert all(a >= b for a, b in itertools.pairwise(sizes[:-1]))  # the last: what is left


def test_few_files_are_parsed_in_process() -> None:
    items = [_note(i) for i in range(PARALLEL_THRESHOLD - 1)]
    with ParseStream(len(items), workers=2) as stream:
        assert not stream.parallel
        for rel, data in items:
            stream.add(rel, data)
        assert [p.rel_path for p in stream.results()] == [rel for rel, _ in items]
        assert stream._pool is None


def test_close_before_the_results_are_read_stops_the_workers() -> None:
    stream = ParseStream(500, workers=2)
    for i in range(500):
        stream.add(*_note(i))
    first = next(iter(stream.results()))
    assert first.rel_path == "d0/n0.md"
    stream.close()
    assert stream._pool is None
    stream.close()  # idempotent
