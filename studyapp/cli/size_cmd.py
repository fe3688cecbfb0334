"""``studyapp size``: size one deployment scenario with the embedded engine, with its working.

Needs neither the database nor the notes folder, so it answers instantly.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "size", help="memory, GPUs, speed and cost of a model on a device (with worked steps)"
    )
    parser.add_argument("model", help="model id, e.g. llama-3-8b, mixtral-8x7b, phi-3.5-mini")
    parser.add_argument(
        "--format", default="fp16", help="fp32, fp16/bf16, int8, int4, int4-e16, q4_k_m, ..."
    )
    parser.add_argument(
        "--device", default="a100-80gb", help="a100-80gb, h100-sxm, iphone-15-pro, ..."
    )
    parser.add_argument(
        "--gpus", type=int, help="tensor-parallel GPUs (default: the fewest that fit)"
    )
    parser.add_argument(
        "--context",
        type=_token_count,
        help="tokens per sequence: 8192, 32k, 128K (default: window, max 8192)",
    )
    parser.add_argument("--batch", type=int, default=1, help="concurrent sequences")
    parser.add_argument("--json", action="store_true", help="every figure and step as JSON")
    parser.set_defaults(func=run)


def _token_count(text: str) -> int:
    from studyapp.core.token_count import parse_token_count

    try:
        return parse_token_count(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.core.sizing.catalog import UnknownIdError
    from studyapp.core.sizing.report import size_report

    del ctx  # sizing needs no collection
    for name in ("gpus", "context", "batch"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "context" else 1):
            print(f"studyapp size: --{name} must be positive", file=sys.stderr)
            return 2
    try:
        report = size_report(
            args.model,
            args.format,
            args.device,
            gpus=args.gpus,
            context=args.context,
            batch=args.batch,
        )
    except UnknownIdError as exc:
        print(f"studyapp size: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    _print_text(report)
    return 0


def _print_text(report: Any) -> None:
    from studyapp.core.sizing.units import fmt_bytes, fmt_num

    f = report.figures
    print(f"{report.model.name} | {report.fmt.name} | {report.gpus} x {report.device.name}")
    print(f"device memory {report.device.mem_label} ({report.device.mem_source})")
    print(
        f"context {report.context} tokens, batch {report.batch}; params {report.params_total:,}"
        + (
            f" ({report.params_active:,} active)"
            if report.params_active != report.params_total
            else ""
        )
    )
    print(f"  weights          {fmt_bytes(f['weights_bytes'])}")
    print(f"  KV cache / GPU   {fmt_bytes(f['kv_per_gpu_bytes'])}")
    print(
        f"  need / GPU       {fmt_bytes(f['need_per_gpu_bytes'])} of {fmt_bytes(f['usable_bytes'])} usable"
        f" -> {report.verdict.upper() if report.verdict != 'fits' else 'fits'}"
    )
    print(
        f"  min GPUs         {report.gpus_min or 'none up to ' + str(report.device.profile.max_tp)}"
    )
    print(
        f"  decode           {fmt_num(f['tokens_per_s_bound'])} tokens/s bound,"
        f" {fmt_num(f['tokens_per_s_low'])}-{fmt_num(f['tokens_per_s_high'])} realistic"
    )
    if not math.isnan(f["ttft_s"]):
        print(f"  TTFT             {fmt_num(f['ttft_s'] * 1e3)} ms")
    if not math.isnan(f["cost_per_1k_usd_bound"]):
        print(f"  $/1K tokens      ${fmt_num(f['cost_per_1k_usd_bound'])} (bound)")
    print("Worked steps:")
    for step in report.steps:
        print(f"  - {step}")
    for note in report.notes:
        print(f"note: {note}")
