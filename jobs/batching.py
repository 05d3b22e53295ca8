"""The order in which a batch of buffered events is applied.

A batch holds events of many records, several per record at times. `collapse` keeps, per
record, what matters of them in arrival order; `rounds` splits the result so that each round
holds at most one event per record and can be written in one statement per kind.
"""

from collections import Counter
from collections.abc import Callable

from jobs.buffer import Event


def collapse(events: list[Event], change_time: Callable[[Event], str]) -> list[Event]:
    """Per record, keep arrival order but merge runs of full versions into the newest of them.

    `change_time`: an event's modification time as text that sorts in time order (its
    connector's `Deliveries.change_time`), "" when it carries none.

    Deletions (`{"id": N}`, no time) stay where they arrived, between the runs they separate;
    a run that contains a restore stays a restore (one not newer than what is stored makes
    the drain ask the store, `jobs.refresh`).
    """
    runs: dict[tuple[str, str, str], list[Event]] = {}
    order: list[tuple[tuple[str, str, str], int]] = []
    for event in events:
        key = (event.connection_id, event.resource, str(event.payload.get("id")))
        ops = runs.setdefault(key, [])
        last = ops[-1] if ops else None
        if event.event != "deleted" and last is not None and last.event != "deleted":
            newest = max((last, event), key=change_time)
            restored = "restored" if "restored" in (last.event, event.event) else newest.event
            ops[-1] = Event(newest.connection_id, newest.resource, restored, max(last.received_at, event.received_at), newest.payload)
            continue
        ops.append(event)
        order.append((key, len(ops) - 1))
    return [runs[key][index] for key, index in order]


def rounds(events: list[Event]) -> list[list[Event]]:
    """Split collapsed events into rounds: a record's first event in round 1, its second in round 2..."""
    rounds: list[list[Event]] = []
    depth: Counter = Counter()
    for event in events:
        key = (event.connection_id, event.resource, str(event.payload.get("id")))
        if depth[key] == len(rounds):
            rounds.append([])
        rounds[depth[key]].append(event)
        depth[key] += 1
    return rounds
