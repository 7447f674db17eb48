"""The precision the marts store values at, as SQL both DuckDB and PostgreSQL accept.

A value keeps the precision of its source: a CBS measure its ``Decimals`` (staging.cbs_measure), a delivery
column its declared ``decimals`` (deliveries.yaml), a sum of such values the most decimals of its parts.
A computed ratio (numerator / denominator x scale) is stored at ``RATIO_DECIMALS``; a value whose source
declares no precision (a Swing ODS variable) at ``UNKNOWN_DECIMALS``, which removes binary float noise
without dropping a digit any of these sources publishes.
"""

from __future__ import annotations

RATIO_DECIMALS = 3
UNKNOWN_DECIMALS = 6
PRECISIONS = {"ratio": RATIO_DECIMALS, "unknown": UNKNOWN_DECIMALS}


def rounded_sql(expression: str, decimals: str) -> str:
    """``expression`` rounded half away from zero to ``decimals`` (an SQL integer expression).

    Not ``round(x, d)``: PostgreSQL has no ``round(double precision, integer)``, and its ``round(double)``
    rounds halves to even where DuckDB's rounds them away from zero; ``floor`` is the same on both.
    """
    scale = f"power(cast(10 as double precision), {decimals})"
    return f"(sign({expression}) * floor(abs({expression}) * {scale} + 0.5) / {scale})"
