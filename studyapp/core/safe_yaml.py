"""Safe YAML for note frontmatter: no Python tags, no aliases, bounded depth.

Split out of :mod:`studyapp.core.frontmatter_io` so that reading and the byte-level
write-back (:mod:`studyapp.core.schedule_edit`) share one loader with one set of limits.
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader  # about 8x faster than the pure-Python loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["YamlProblem", "load_mapping", "load_scalar", "one_line", "top_level_values"]


class YamlProblem(Exception):
    """Why a frontmatter block cannot be loaded (one line, file line numbers)."""


#: Only scalars up to this long are memoised by :meth:`_Loader.resolve` (the recurring
#: keys, dates and tags of frontmatter), so the memo holds at most ~4,096 x 256 chars.
_MEMO_MAX_CHARS = 256


class _Loader(_BaseLoader):
    """Safe loader whose impossible dates (``2025-13-45``) load as text instead of failing the note."""

    #: ``resolve`` results: without path resolvers (the safe loader has none) a node's
    #: implicit tag is a function of its kind, value and implicit flags alone, and the
    #: same keys and values recur in every note; the parser asks once per node.
    _resolved: ClassVar[dict[tuple[Any, Any, Any], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if self.yaml_path_resolvers:  # pragma: no cover - none are ever added
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if not isinstance(value, str) or len(value) > _MEMO_MAX_CHARS:
            # a long value (a hostile 5 MB scalar) is never kept alive by the memo
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        key = (kind, value, implicit)
        memo = _Loader._resolved
        tag = memo.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(memo) >= 4096:
                memo.clear()
            memo[key] = tag
        return tag


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
        flat = _is_flat(node)
        if not flat:
            _check_nodes(node, first_line)
        if not isinstance(node, yaml.MappingNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "single value"
            raise YamlProblem(f"frontmatter is not a mapping (it is a {kind})")
        names = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        dups = sorted({n for n in names if names.count(n) > 1})
        warnings = [f"{one_line(n)}: duplicate key, the last value is used" for n in dups]
        value = _construct_flat(loader, node) if flat else loader.construct_document(node)
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


_TAG = "tag:yaml.org,2002:"
#: Scalar tags whose safe constructor is a plain function of the node (no generator, no
#: merge, no nested nodes): calling it directly is what ``construct_document`` does.
_FLAT_SCALAR_TAGS = frozenset(
    _TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp")
)
_MAP_TAG, _SEQ_TAG = _TAG + "map", _TAG + "seq"


def _is_flat(node: yaml.Node) -> bool:
    """The usual frontmatter: a plain mapping of scalar keys to scalars or plain lists of
    scalars, every tag one of ``_FLAT_SCALAR_TAGS``, no node twice (no alias).

    Such a block passes :func:`_check_nodes` (depth 2, known safe tags, no alias), so the
    walk is skipped, and :func:`_construct_flat` builds exactly what
    ``construct_document`` would.  Anything else takes the general path (which raises
    the same errors as before).
    """
    if type(node) is not yaml.MappingNode or node.tag != _MAP_TAG:
        return False
    scalar, sequence, flat = yaml.ScalarNode, yaml.SequenceNode, _FLAT_SCALAR_TAGS
    count = 1
    ids = {id(node)}
    for key_node, value_node in node.value:
        if type(key_node) is not scalar or key_node.tag not in flat:
            return False
        kind = type(value_node)
        if kind is scalar:
            if value_node.tag not in flat:
                return False
        elif kind is sequence and value_node.tag == _SEQ_TAG:
            for item in value_node.value:
                if type(item) is not scalar or item.tag not in flat:
                    return False
                ids.add(id(item))
            count += len(value_node.value)
        else:
            return False
        ids.add(id(key_node))
        ids.add(id(value_node))
        count += 2
    return len(ids) == count


def _construct_flat(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    """``loader.construct_document(node)`` for a block :func:`_is_flat` accepted.

    Each node's own constructor is called directly, in the order ``construct_document``
    calls them (a later duplicate key wins, lists are filled after the whole mapping, as
    its deferred generators do, so a bad value fails with the same error first): the
    generic machinery (generators, per-node state) was most of the construction cost
    per answer.
    """
    ctors = _Loader.yaml_constructors
    scalar = yaml.ScalarNode
    plain = _STR_TAG if _PLAIN_STR else None
    out: dict[Any, Any] = {}
    lists: list[tuple[list[Any], yaml.SequenceNode]] = []
    for key_node, value_node in node.value:
        tag = key_node.tag
        key = key_node.value if tag == plain else ctors[tag](loader, key_node)
        if type(value_node) is scalar:
            tag = value_node.tag
            out[key] = value_node.value if tag == plain else ctors[tag](loader, value_node)
        else:
            items: list[Any] = []
            out[key] = items
            lists.append((items, value_node))
    for items, value_node in lists:
        items.extend(
            item.value if item.tag == plain else ctors[item.tag](loader, item)
            for item in value_node.value
        )
    return out


_STR_TAG = _TAG + "str"
#: The safe ``str`` constructor of a scalar node is ``node.value`` itself (two calls deep:
#: ``construct_yaml_str`` -> ``construct_scalar``); most frontmatter scalars are strings,
#: so :func:`_construct_flat` reads it directly - only while the loader really uses it.
_PLAIN_STR = (
    _Loader.yaml_constructors.get(_STR_TAG) is yaml.constructor.SafeConstructor.construct_yaml_str
)


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
