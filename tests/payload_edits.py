"""Edits of JSON payloads for tests: replace or delete a value at a path, and hypothesis strategies of such edits."""

import copy

from hypothesis import strategies as st

DELETE = object()  # marker for "remove this key" in mutations


def mutate(payload, path, value):
    """Return a deep copy of `payload` with the value at `path` replaced (or deleted with DELETE)."""
    result = copy.deepcopy(payload)
    if not path:
        return value
    target = result
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


# Values that look like what WooCommerce sends, so mutations hit near the valid edges too.
PLAUSIBLE = st.sampled_from(
    [
        "", "0", "0.00", "17.98", "-1", "1e5", "NaN", "Infinity", "93", "parent", "variation",
        "2026-11-27T10:27:37", "2026-11-27", "2026-02-30T00:00:00", "9999-12-31T23:59:59-01:00",
        0, 1, -1, 2**63, 2**64, 8.99, -0.0, float("nan"), float("inf"), [], {},
    ]
)  # fmt: skip
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=24), PLAUSIBLE
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
REPLACEMENTS = st.one_of(st.just(DELETE), JSON_VALUES)


def paths(value, prefix=()):
    """Every path into a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def mutations(base):
    """Strategy: up to three (path, replacement) edits of `base`."""
    return st.lists(st.tuples(st.sampled_from(list(paths(base))), REPLACEMENTS), min_size=1, max_size=3)


def apply_mutations(base, edits):
    """Apply the edits that still reach an existing location."""
    payload = base
    for path, value in edits:
        try:
            payload = mutate(payload, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    return payload
