"""Safe YAML for note frontmatter: no Python tags, no aliases, bounded depth.

Split out of :mod:`studyapp.core.frontmatter_io` so that reading and the byte-level
write-back (:mod:`studyapp.core.schedule_edit`) share one loader with one set of limits.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader  # about 8x faster than the pure-Python loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["YamlProblem", "load_mapping", "load_scalar", "one_line", "top_level_values"]


class YamlProblem(Exception):
    """Why a frontmatter block cannot be loaded (one line, file line numbers)."""


class _Loader(_BaseLoader):
    """Safe loader whose impossible dates (``2025-13-45``) load as text instead of failing the note."""


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_PY_TAG = "tag:yaml.org,2002:python/"
_MAX_DEPTH = 32


def _check_nodes(root: yaml.Node, first_line: int) -> None:
    """Reject aliases, python tags, unknown tags and deep nesting *before* construction.

    Aliases are refused outright: notes never need them and an alias bomb expands
    exponentially in the constructor.  The walk is iterative and tracks node identity,
    so a composed (not yet expanded) bomb costs only its own size.  A tag the loader
    constructs is never a python tag (it is a safe loader), so only an unknown tag is
    looked at twice.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    known = _Loader.yaml_constructors
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + first_line
            raise YamlProblem(f"YAML aliases are not allowed (line {line})")
        seen.add(id(node))
        if depth > _MAX_DEPTH:
            line = node.start_mark.line + first_line
            raise YamlProblem(f"frontmatter nested too deeply (line {line})")
        tag = node.tag
        if tag not in known or tag.startswith(_PY_TAG):
            _refuse_tag(node, first_line)
        if isinstance(node, mapping):
            depth += 1
            for key, value in node.value:
                stack.append((key, depth))
                stack.append((value, depth))
        elif isinstance(node, sequence):
            depth += 1
            stack.extend((n, depth) for n in node.value)


def _refuse_tag(node: yaml.Node, first_line: int) -> None:
    line = node.start_mark.line + first_line
    tag = str(node.tag)
    shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:") else tag
    if tag.startswith(_PY_TAG):
        raise YamlProblem(f"unsafe YAML tag {shown} at line {line}")
    raise YamlProblem(f"unsupported YAML tag {shown} at line {line}")


def one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def load_mapping(text: str, first_line: int) -> tuple[dict[Any, Any], list[str]]:
    """Load a frontmatter block safely; ``first_line`` is the 1-based file line of its first line.

    Returns the mapping (empty for an empty block) and warnings about duplicate keys.
    """
    value, warnings, _node = _load(text, first_line)
    return value, warnings


def load_with_pairs(
    text: str, first_line: int
) -> tuple[dict[Any, Any], list[tuple[yaml.ScalarNode, yaml.Node]]]:
    """:func:`load_mapping` and :func:`top_level_values` from a single parse.

    A write-back needs both the values (to verify them) and the value spans (to edit
    them); composing the block once instead of twice halves the YAML cost per answer.
    Raises :class:`YamlProblem` for what either would refuse.
    """
    value, _warnings, node = _load(text, first_line)
    if node is None:
        return {}, []
    if node.flow_style:
        raise YamlProblem("frontmatter is a flow mapping ({...})")
    return value, [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def _load(text: str, first_line: int) -> tuple[dict[Any, Any], list[str], yaml.MappingNode | None]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, [], None
        _check_nodes(node, first_line)
        if not isinstance(node, yaml.MappingNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "single value"
            raise YamlProblem(f"frontmatter is not a mapping (it is a {kind})")
        names = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        dups = sorted({n for n in names if names.count(n) > 1})
        warnings = [f"{one_line(n)}: duplicate key, the last value is used" for n in dups]
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + first_line}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} at line {exc.context_mark.line + first_line})"
        raise YamlProblem(f"malformed YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise YamlProblem("frontmatter nested too deeply") from None
    except YamlProblem:
        raise
    except Exception as exc:
        # The safe constructors raise plain ValueError/KeyError/AttributeError/OverflowError
        # on a bad explicit tag (``!!int abc``, ``!!bool maybe``, ``!!timestamp garbage``):
        # each must stay this note's problem, never the whole import's.
        detail = one_line(str(exc))[:80]
        raise YamlProblem(
            f"invalid YAML value ({type(exc).__name__}: {detail})"
            if detail
            else f"invalid YAML value ({type(exc).__name__})"
        ) from None
    finally:
        loader.dispose()
    return value, warnings, node


def load_scalar(text: str) -> object:
    """What a one-line plain scalar reads back as (to decide whether it may stay unquoted)."""
    try:
        return load_mapping(f"k: {text}", 1)[0].get("k")
    except YamlProblem:
        return None


def top_level_values(text: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    """``(key node, value node)`` of each top-level pair of a block mapping (to edit by span).

    A node's ``start_mark.index``/``end_mark.index`` are character offsets into
    ``text``: the write-back replaces exactly those characters and nothing else, so
    comments and blank lines around a value are never touched.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {one_line(str(exc))[:120]}") from None
    finally:
        loader.dispose()
    if node is None:
        return []
    _check_nodes(node, 1)
    if not isinstance(node, yaml.MappingNode):
        raise YamlProblem("frontmatter is not a mapping")
    if node.flow_style:
        raise YamlProblem("frontmatter is a flow mapping ({...})")
    return [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
