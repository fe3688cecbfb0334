"""Deterministic synthetic note collections, shaped like the user's interview notes.

Each note has the 8-key frontmatter (quoted dates, a ``tags`` list), an H1 question,
a ``## 面试标准答案`` section, then ``## 详细讲解`` with several ``###`` subsections,
each holding a comparison table (3-8 rows, 2-3 value columns, Chinese cells with
numbers), bullet lists and a fenced code block; ~6-12 KB of UTF-8 per note, in
nested topic folders.  The text is assembled from small vocabularies, so it reads
like the real thing to the parser (CJK, bold, numbers, ranges) without copying any
real note.

Everything derives from ``random.Random(f"{seed}:{index}")``: the same (seed, index)
always gives the same bytes, whatever else is generated, so a corpus can be extended
and regenerated cheaply.

    python bench/generate.py OUT_DIR --notes 1000 [--seed 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SEED",
    "TODAY",
    "corpus",
    "fixed_clock",
    "generate",
    "note_path",
    "note_text",
    "percentile",
    "result",
    "work_dir",
]

DEFAULT_SEED = 7
#: The study day every benchmark pins (notes' dates are generated around it).
TODAY = date(2026, 11, 25)
MIN_BYTES = 6 * 1024
MAX_BYTES = 12 * 1024
GENERATOR_VERSION = 1  # bump when the output changes, so cached corpora are rebuilt

_TOPICS = {
    "压缩": ["量化", "剪枝", "蒸馏", "低秩分解"],
    "部署": ["边缘设备", "云端服务", "端云协同"],
    "推理优化": ["批处理", "KV缓存", "算子融合", "投机解码"],
    "硬件": ["GPU", "NPU", "内存带宽"],
}
_SUBJECTS = [
    "INT8量化",
    "INT4量化",
    "GPTQ",
    "AWQ",
    "SmoothQuant",
    "非结构化剪枝",
    "结构化剪枝",
    "2:4稀疏",
    "知识蒸馏",
    "LoRA",
    "KV Cache",
    "PagedAttention",
    "Continuous Batching",
    "张量并行",
    "流水线并行",
    "FlashAttention",
    "投机解码",
    "混合精度",
    "模型分片",
    "算子融合",
    "动态批处理",
    "权重共享",
    "NPU推理",
    "端侧缓存",
]
_SIDES = [
    ("边缘设备", "云端部署"),
    ("INT8", "INT4"),
    ("训练后量化", "量化感知训练"),
    ("非结构化", "结构化"),
    ("单卡", "多卡"),
    ("手机端", "服务器端"),
    ("在线服务", "离线批处理"),
    ("GPU", "NPU"),
    ("FP16", "BF16"),
    ("静态批处理", "动态批处理"),
]
_THIRD = ["端云协同", "FP8", "混合方案", "CPU推理", "TPU", "折中方案"]
_DIMENSIONS = [
    "主要约束",
    "硬件环境",
    "压缩目标",
    "压缩强度",
    "精度容忍",
    "关键指标",
    "典型技术",
    "显存占用",
    "推理延迟",
    "吞吐量",
    "功耗",
    "成本",
    "部署难度",
    "适用场景",
    "量化粒度",
    "剪枝比例",
    "校准数据",
    "带宽需求",
    "首字延迟",
    "批大小",
]
_UNITS = ["GB", "MB", "ms", "W", "%", "倍", "tokens/s", "TOPS", "GB/s", "美元/小时"]
_PHRASES = [
    "资源严格受限",
    "成本敏感",
    "精度损失可控",
    "需要充分校准",
    "硬件友好",
    "吞吐优先",
    "延迟优先",
    "显存是瓶颈",
    "带宽决定解码速度",
    "适合长上下文",
    "实现复杂度高",
    "依赖专用算子",
    "易于落地",
    "需要重新训练",
    "对离群值敏感",
    "可与剪枝叠加",
]
_VERBS = ["降低", "提升", "压缩", "控制", "优化", "平衡", "牺牲", "换取"]
_NOUNS = [
    "模型大小",
    "内存占用",
    "推理延迟",
    "能耗",
    "吞吐量",
    "单位请求成本",
    "精度",
    "批处理性能",
]
_QUESTION_FORMS = [
    "{a}与{b}在{d}上有何不同？",
    "为什么{s}能{v}{n}？代价是什么？",
    "如何在{a}场景下选择{s}方案？",
    "{s}的原理是什么？和{t}相比优劣如何？",
    "面试题：{a}部署时如何估算{n}？",
]
_CODE = [
    "python",
    "text",
    "bash",
]


def _num(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        return str(
            rng.choice([1, 2, 4, 7, 8, 13, 16, 32, 40, 70, 80, 175]) * rng.choice([1, 1, 2, 10])
        )
    if kind < 0.7:
        lo = rng.randint(1, 60)
        return f"{lo}-{lo + rng.randint(2, 40)}"
    return f"{rng.uniform(0.1, 99):.1f}"


def _value(rng: random.Random) -> str:
    form = rng.random()
    if form < 0.4:
        return f"{_num(rng)}{rng.choice(_UNITS)}"
    if form < 0.75:
        return f"{rng.choice(_PHRASES)}（{_num(rng)}{rng.choice(_UNITS)}）"
    return f"{rng.choice(_VERBS)}{rng.choice(_NOUNS)}约{_num(rng)}{rng.choice(_UNITS)}"


def _sentence(rng: random.Random) -> str:
    a, b = rng.choice(_SIDES)
    parts = [
        f"{a}相比{b}，{rng.choice(_PHRASES)}",
        f"通常可以{rng.choice(_VERBS)}{rng.choice(_NOUNS)}{_num(rng)}{rng.choice(_UNITS)}",
        f"但需要{rng.choice(_VERBS)}{rng.choice(_NOUNS)}",
    ]
    if rng.random() < 0.3:
        parts.insert(1, f"**{rng.choice(_SUBJECTS)}**是常见做法")
    return "，".join(parts) + "。"


def _paragraph(rng: random.Random, sentences: int) -> str:
    return "".join(_sentence(rng) for _ in range(sentences))


def _table(rng: random.Random) -> str:
    a, b = rng.choice(_SIDES)
    headers = ["维度", a, b]
    if rng.random() < 0.4:
        headers.append(rng.choice(_THIRD))
    rows = rng.sample(_DIMENSIONS, rng.randint(3, 8))
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    for label in rows:
        cells = [f"**{label}**" if rng.random() < 0.5 else label]
        used: set[str] = set()
        for _ in headers[1:]:
            value = _value(rng)
            while value in used:
                value = _value(rng)
            used.add(value)
            cells.append(value)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _bullets(rng: random.Random) -> str:
    return "\n".join(
        f"- {rng.choice(_NOUNS)}：{rng.choice(_PHRASES)}，{_num(rng)}{rng.choice(_UNITS)}"
        for _ in range(rng.randint(3, 6))
    )


def _code(rng: random.Random) -> str:
    lang = rng.choice(_CODE)
    if lang == "python":
        body = "\n".join(
            [
                "def estimate_memory(params_b: float, bits: int, kv_gb: float) -> float:",
                f"    # {rng.choice(_PHRASES)}",
                "    weights = params_b * bits / 8",
                f"    return weights * {rng.uniform(1.05, 1.3):.2f} + kv_gb",
                "",
                f"print(estimate_memory({rng.choice([1.3, 7, 13, 70])}, {rng.choice([4, 8, 16])}, {rng.randint(1, 40)}))",
            ]
        )
    elif lang == "bash":
        body = "\n".join(
            [
                f"python quantize.py --model llama-{rng.choice([7, 13, 70])}b --bits {rng.choice([4, 8])} \\",
                f"    --group-size {rng.choice([32, 64, 128])} --calib-samples {rng.choice([128, 256, 512])}",
                "# | 这不是表格 | 只是代码 |",
            ]
        )
    else:
        body = "\n".join(
            ["典型配置："]
            + [f"- {rng.choice(_NOUNS)}：{_value(rng)}" for _ in range(rng.randint(3, 6))]
        )
    return f"```{lang}\n{body}\n```"


def note_path(index: int, seed: int = DEFAULT_SEED) -> str:
    """Relative posix path of note ``index``: ``topic/subtopic/[batch/]slug.md``."""
    rng = random.Random(f"{seed}:path:{index}")
    topic = rng.choice(sorted(_TOPICS))
    sub = rng.choice(_TOPICS[topic])
    folder = f"{topic}/{sub}/第{index // 400:02d}组"
    return f"{folder}/{index:06d}-{rng.choice(_SUBJECTS).replace(':', '比')}.md"


def note_text(index: int, seed: int = DEFAULT_SEED) -> str:
    """The full text (frontmatter included) of note ``index``."""
    rng = random.Random(f"{seed}:{index}")
    target = rng.randint(MIN_BYTES + 400, MAX_BYTES - 1200)
    created = TODAY - timedelta(days=rng.randint(30, 400))
    if rng.random() < 0.5:
        last = None
        nxt = created
        count = 0
    else:
        last = TODAY - timedelta(days=rng.randint(1, 30))
        nxt = last + timedelta(days=rng.randint(1, 40))
        count = rng.randint(1, 9)
    topic_path = note_path(index, seed).split("/")
    a, b = rng.choice(_SIDES)
    subject = rng.choice(_SUBJECTS)
    question = rng.choice(_QUESTION_FORMS).format(
        a=a,
        b=b,
        d=rng.choice(_DIMENSIONS),
        s=subject,
        t=rng.choice(_SUBJECTS),
        v=rng.choice(_VERBS),
        n=rng.choice(_NOUNS),
    )
    question = f"{question}（{index}）"  # unique titles and unique content hashes
    tags = [topic_path[0], f"{topic_path[0]}/{topic_path[1]}"]
    if rng.random() < 0.3:
        tags.append(rng.choice(_SUBJECTS))
    fm = [
        "---",
        f"created: '{created.isoformat()}'",
        f"last_reviewed: {'null' if last is None else repr(last.isoformat())}",
        f"next_review: '{nxt.isoformat()}'",
        f"review_count: {count}",
        f"difficulty: {rng.choice(['easy', 'medium', 'medium', 'hard'])}",
        f"mastery_level: {0.0 if count == 0 else round(rng.uniform(0.1, 0.9), 1)}",
        "tags:",
        *[f"- {json.dumps(t, ensure_ascii=False)}" for t in tags],
        "related_outlines: []",
        "---",
    ]
    parts = [
        "\n".join(fm),
        f"# {question}",
        "",
        "## 面试标准答案",
        "",
        _paragraph(rng, rng.randint(3, 6)),
        "",
        "---",
        "",
        "## 详细讲解",
        "",
        "",
    ]
    text = "\n".join(parts)
    section = 1
    while len(text.encode("utf-8")) < target:
        block = [
            f"### {section}. {rng.choice(_SUBJECTS)}的{rng.choice(_DIMENSIONS)}对比",
            "",
            _paragraph(rng, rng.randint(1, 3)),
            "",
        ]
        # The seed note has 5 tables in 9.6 KB: about one section in two has one.
        if section == 1 or rng.random() < 0.45:
            block += [_table(rng), ""]
        if section % 2 == 0:
            block += [f"#### {rng.choice(_PHRASES)}", "", _bullets(rng), ""]
        if rng.random() < 0.6:
            block += [_code(rng), ""]
        text += "\n".join(block) + "\n"
        section += 1
    text += f"## 总结\n\n{_paragraph(rng, 2)}\n"
    return text


def generate(root: Path, n: int, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write notes ``0..n-1`` under ``root`` (created); returns their paths."""
    paths = []
    for i in range(n):
        path = root / note_path(i, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(note_text(i, seed).encode("utf-8"))
        paths.append(path)
    return paths


def work_dir() -> Path:
    """``bench/.work`` (gitignored), or ``$STUDYAPP_BENCH_WORK``."""
    path = Path(os.environ.get("STUDYAPP_BENCH_WORK") or Path(__file__).resolve().parent / ".work")
    path.mkdir(parents=True, exist_ok=True)
    return path


def corpus(n: int, seed: int = DEFAULT_SEED) -> Path:
    """A cached, pristine corpus of ``n`` notes in the work dir (never write into it)."""
    root = work_dir() / f"corpus-{n}-s{seed}-v{GENERATOR_VERSION}"
    stamp = root / ".complete"
    if stamp.is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    generate(root, n, seed)
    stamp.write_text(hashlib.sha256(f"{n}:{seed}".encode()).hexdigest())
    return root


def fixed_clock() -> datetime:
    """Noon UTC on :data:`TODAY`: every benchmark runs on the same study day."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)


def result(
    name: str,
    value: float | None,
    unit: str,
    baseline: str,
    baseline_value: float | None,
    target: float | None,
    *,
    ratio: float | None = None,
    met: bool | None = None,
    higher_is_better: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """One figure of ``results.json``; ``ratio`` defaults to value / baseline_value."""
    if ratio is None and value is not None and baseline_value:
        ratio = value / baseline_value
    if met is None and value is not None and target is not None:
        met = value >= target if higher_is_better else value <= target
    row = {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": target,
        "met": met,
    }
    row.update(extra)
    return row


def loadavg() -> tuple[float, float, float] | None:
    """The 1/5/15-minute load average (None where the OS has none): saved with each figure,
    because on a shared 2-core machine a figure means little without it."""
    try:
        return os.getloadavg()
    except OSError:
        return None


def drop_cache(*paths: Path, evict: bool = False) -> None:
    """Write ``paths`` back to disk before timing anything (``evict`` also drops them).

    A freshly copied 3 GB database is still dirty in the page cache: without this the
    copy's write-back lands in the middle of the timed loop (800-900 ms maxima at 10k).
    The pages stay cached by default, as they are in a running app; ``evict=True``
    (``POSIX_FADV_DONTNEED``) measures a cold start instead.
    """
    os.sync()
    for path in paths:
        if not path.is_file():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            if evict and hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def spread(values: list[float]) -> dict[str, float]:
    """min / median / max of repeated runs, the way every figure and baseline is reported."""
    ordered = sorted(values)
    return {"min": ordered[0], "median": statistics.median(ordered), "max": ordered[-1]}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    paths = generate(args.out, args.notes, args.seed)
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} notes, {total / len(paths) / 1024:.1f} KB average, in {args.out}")


if __name__ == "__main__":
    main()
