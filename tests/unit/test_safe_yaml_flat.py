"""The flat-frontmatter fast path of :mod:`studyapp.core.safe_yaml` loads exactly what the
general path (``_check_nodes`` + ``construct_document``) loads, errors included."""

from __future__ import annotations

import math

import pytest

from studyapp.core import safe_yaml

CASES = [
    "created: '2026-07-05'\nlast_reviewed: null\nnext_review: '2026-07-05'\nreview_count: 0\n"
    'difficulty: medium\nmastery_level: 0.0\ntags:\n- "硬件"\n- "硬件/GPU"\nrelated_outlines: []\n',
    "a: 1\nb: [1, !!int x]\nc: !!int y\n",  # the later scalar fails first, as before
    "a: [!!int x]\nc: !!int y\n",
    "a: 1\na: [2]\n",
    "a: [1]\na: 2\n",
    "<<: {b: 1}\n",
    "= : 1\n",
    "a: !!binary aGVsbG8=\n",
    "a: 2025-13-45\nb: 2025-01-02\nc: 2025-01-02 10:00:00\n",
    "? [1]\n: 2\n",
    "a: {b: 1}\n",
    "a: !!set {x}\n",
    "a: !!omap [b: 1]\n",
    "a: ~\nb: yes\nc: .inf\nd: 0x1f\ne: 1_000\nf: '2025-01-01'\ng: .nan\n",
    "a: !!str 1\nb: !!float 1\nc: !!bool maybe\n",
    "1: a\n2.5: b\nnull: c\ntrue: d\n",
    "a: [[1]]\n",
    "a: !!seq [1]\n",
    "a: &x 1\nb: *x\n",
    "a: &x [1]\nb: *x\n",
    "a: !!python/name:os.system x\n",
    "a: !!timestamp garbage\n",
    "a: !!int ''\n",
    "!!map\na: 1\n",
    "- a\n- b\n",
    "a: !custom x\n",
]


def _general(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as m:
        m.setattr(safe_yaml, "_is_flat", lambda node: False)
        return _outcome(text)


def _outcome(text: str) -> object:
    try:
        value, pairs = safe_yaml.load_with_pairs(text, 2)
        warnings = safe_yaml.load_mapping(text, 2)[1]
    except safe_yaml.YamlProblem as exc:
        return ("error", str(exc))
    return ("ok", repr(value), [type(v) for v in value.values()], warnings, len(pairs))


@pytest.mark.parametrize("text", CASES)
def test_flat_path_loads_what_the_general_path_loads(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _outcome(text) == _general(text, monkeypatch)


def test_flat_path_is_taken_for_usual_frontmatter() -> None:
    loader = safe_yaml._Loader(CASES[0])
    try:
        assert safe_yaml._is_flat(loader.get_single_node())
    finally:
        loader.dispose()
    value, _ = safe_yaml.load_with_pairs("a: .nan\n", 2)
    assert math.isnan(value["a"])


def test_the_resolve_memo_never_keeps_a_long_value() -> None:
    """A hostile multi-megabyte scalar must not stay alive in the class-level memo."""
    safe_yaml._Loader._resolved.clear()
    long_value = "x" * (safe_yaml._MEMO_MAX_CHARS + 1)
    value, _ = safe_yaml.load_mapping(f"a: {long_value}\nb: short\n", 1)
    assert value == {"a": long_value, "b": "short"}
    kept = [key[1] for key in safe_yaml._Loader._resolved]
    assert "short" in kept
    assert all(len(str(v)) <= safe_yaml._MEMO_MAX_CHARS for v in kept)
