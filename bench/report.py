"""How figures are printed: `name value unit`, one per line, flushed at once; notes start with `#`."""

import math
import sys


def figure(name: str, value: float, unit: str = "") -> float:
    """Print one figure and answer its value."""
    print(f"{name} {format_value(value)} {unit}".rstrip(), flush=True)
    return value


def note(text: str) -> None:
    """A line that is not a figure (what was measured, what was skipped and why)."""
    print(f"# {text}", flush=True)


def warn(text: str) -> None:
    """A note on stderr too, so a log reader sees trouble."""
    note(text)
    print(f"bench: {text}", file=sys.stderr, flush=True)


def format_value(value: float) -> str:
    """Figures with a precision that fits them; NaN for what could not be measured."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, int):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when either is missing or the denominator is zero."""
    if numerator is None or denominator is None or math.isnan(numerator) or math.isnan(denominator) or not denominator:
        return math.nan
    return numerator / denominator
