"""Whether a configuration fits, with a "borderline" band instead of a hard yes/no at the limit.

Within 3% of the usable memory the answer depends on what the estimate leaves out
(allocator fragmentation, CUDA graphs, the exact runtime version), so teaching a flat
"fits" or "does not fit" there would teach false precision.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["BORDERLINE", "FitVerdict", "fit_verdict", "verdict_text"]

#: Relative distance from the usable memory within which a verdict is "borderline".
BORDERLINE = 0.03

FitVerdict = Literal["fits", "borderline", "does not fit"]


def fit_verdict(need: float, usable: float) -> FitVerdict:
    """ "fits" / "does not fit", or "borderline" when ``need`` is within 3% of ``usable``."""
    if abs(need - usable) <= BORDERLINE * usable:
        return "borderline"
    return "fits" if need < usable else "does not fit"


def verdict_text(need: float, usable: float) -> str:
    verdict = fit_verdict(need, usable)
    if verdict == "borderline":
        side = "just under" if need <= usable else "just over"
        return (
            f"borderline ({side} the limit, within {BORDERLINE:.0%}: measure before relying on it)"
        )
    return verdict
