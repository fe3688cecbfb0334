"""Compression what-ifs: what pruning, 2:4 sparsity and distillation really save.

The interview trap these answer: "50% pruning halves the model" is only true if the
runtime stores the survivors in a sparse format, and the format's indices cost bits.
With 16-bit column indices, 50% pruning of an INT8 model stores 0.5 x (8 + 16) = 12 bits
per original weight: bigger than the 8-bit dense model it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from studyapp.core.sizing.units import fmt_bytes, fmt_num

__all__ = ["IndexScheme", "WhatIf", "distillation", "pruning", "sparse_24"]

IndexScheme = Literal["csr", "bitmask"]


@dataclass(frozen=True)
class WhatIf:
    """Bytes before and after a compression step, with the working."""

    name: str
    bytes_before: float
    bytes_after: float
    steps: tuple[str, ...]

    @property
    def saving_fraction(self) -> float:
        """Fraction of the dense size saved; negative when the "compressed" model is bigger."""
        return 1.0 - self.bytes_after / self.bytes_before


def pruning(
    params: float,
    bits: float,
    sparsity: float,
    *,
    index: IndexScheme = "csr",
    index_bits: int = 16,
) -> WhatIf:
    """Unstructured pruning stored sparsely.

    ``csr``: each kept value carries a column index of ``index_bits`` (row pointers are
    one per row and ignored).  ``bitmask``: values plus one bit per original weight.
    """
    dense = params * bits / 8.0
    nnz = params * (1.0 - sparsity)
    if index == "csr":
        after = nnz * (bits + index_bits) / 8.0
        formula = f"nnz x (b + index_bits) / 8 = {fmt_num(nnz)} x ({bits:g} + {index_bits}) / 8 = {fmt_bytes(after)}"
    else:
        after = nnz * bits / 8.0 + params / 8.0
        formula = f"nnz x b / 8 + P / 8 (bitmask) = {fmt_num(nnz)} x {bits:g} / 8 + {fmt_num(params)} / 8 = {fmt_bytes(after)}"
    saving = 1.0 - after / dense
    steps = (
        f"dense = P x b / 8 = {fmt_num(params)} x {bits:g} / 8 = {fmt_bytes(dense)}",
        f"nnz = P x (1 - sparsity) = {fmt_num(params)} x (1 - {sparsity:g}) = {fmt_num(nnz)}",
        f"sparse = {formula}",
        f"saving = 1 - sparse / dense = {saving:.1%}"
        + (" (no saving: the indices cost more than the pruned values)" if saving <= 0 else ""),
    )
    return WhatIf(f"{sparsity:.0%} unstructured pruning ({index})", dense, after, steps)


def sparse_24(params: float, bits: float, *, meta_bits: float = 2.0) -> WhatIf:
    """2:4 semi-structured sparsity: half the values kept, ``meta_bits`` of position metadata per kept value.

    On Ampere and later, sparse tensor cores double peak math throughput; a memory-bound
    decode speeds up at most by the byte ratio.
    """
    dense = params * bits / 8.0
    after = params * 0.5 * (bits + meta_bits) / 8.0
    steps = (
        f"dense = P x b / 8 = {fmt_num(params)} x {bits:g} / 8 = {fmt_bytes(dense)}",
        f"2:4 = P x 0.5 x (b + {meta_bits:g}) / 8 = {fmt_num(params)} x 0.5 x ({bits:g} + {meta_bits:g}) / 8"
        f" = {fmt_bytes(after)}",
        f"saving = {1.0 - after / dense:.1%}; peak tensor throughput x2 on Ampere+;"
        f" memory-bound decode speed-up <= {dense / after:.2f}x",
    )
    return WhatIf("2:4 sparsity", dense, after, steps)


def distillation(teacher_params: float, student_params: float, bits: float) -> WhatIf:
    """Distilling into a smaller student scales memory and bytes-per-token by P_student / P_teacher."""
    ratio = student_params / teacher_params
    dense = teacher_params * bits / 8.0
    after = student_params * bits / 8.0
    steps = (
        f"ratio = P_student / P_teacher = {fmt_num(student_params)} / {fmt_num(teacher_params)} = {fmt_num(ratio)}",
        f"memory = {fmt_bytes(dense)} x {fmt_num(ratio)} = {fmt_bytes(after)}",
        f"memory-bound decode is ~{fmt_num(1.0 / ratio)}x faster (bytes per token scale by the same ratio)",
    )
    return WhatIf("distillation", dense, after, steps)
