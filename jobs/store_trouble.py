"""What a store's failure means for a job, in plain words: what a waiting poll waits for, why a run
failed and what the operator can do about it.

Jobs write these words into sync runs and failed-job reasons; the API, the console and the
command line show them as written. A failure a store caused is expected: its job raises an
`ExpectedFailure`, which the worker logs as one warning line, without a traceback.
"""

from dataclasses import dataclass
from datetime import datetime

from stores import errors
from stores.connector import Connector
from stores.errors import StoreError

# The ExpectedFailure classes by dotted name, as a failed job's last line names them; listed
# here because the process reading failed jobs (web) need not import the jobs raising them.
EXPECTED_FAILURE_NAMES = frozenset(
    {"jobs.polls.PollFailed", "jobs.refresh.StoreUnavailable", "jobs.registration.RegistrationIncomplete"}
)


class ExpectedFailure(Exception):
    """A job failed for a reason outside Storelink (the store), said in plain words in its message."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name not in EXPECTED_FAILURE_NAMES:
            raise TypeError(f"list {name} in EXPECTED_FAILURE_NAMES, so that its failed jobs read plainly")


@dataclass(frozen=True)
class Trouble:
    """One kind of store failure: what a poll says while it waits, the cause, and the next step."""

    waiting: str
    title: str
    next_step: str


TRY_AGAIN = "The next scheduled poll tries again; Sync now once the store is back."
NOT_ANSWERING = Trouble(
    "store not answering",
    "The store is not answering",
    "Check that the store is online and that its API URL is right (Edit connection). " + TRY_AGAIN,
)
TOO_SLOW = Trouble(
    "store not answering in time",
    "The store did not answer in time",
    "The store may be overloaded or down: check it, or ask its host. " + TRY_AGAIN,
)
BUSY = Trouble(
    "store busy",
    "The store is busy and asks Storelink to wait",
    "Waiting did not help: ask the store's host to allow more requests, or poll less often "
    "(Edit synchronization schedule). " + TRY_AGAIN,
)
FAILING = Trouble(
    "store failing",
    "The store is failing",
    "Look at the store's error log, or ask its host. " + TRY_AGAIN,
)
TLS = Trouble(
    "store's certificate refused",
    "The store's HTTPS certificate was not accepted",
    "Renew or fix the store's certificate. A store with a private certificate authority needs STORE_CA_BUNDLE.",
)
PAUSED = " Polling is paused until then."
KEYS_REFUSED = Trouble(
    "keys refused",
    "The store refused the API keys",
    "Create new API keys in the store's admin and enter them under Edit connection." + PAUSED,
)
NO_PERMISSION = Trouble(
    "keys lack permission",
    "The API keys lack permission",
    "In the store's admin, give the API keys the permissions Storelink needs, or create keys that have them "
    "(Edit connection).",
)
REDIRECTED = Trouble(
    "store redirects",
    "The store sends Storelink to another address",
    "Use the address the store redirects to as the API URL (Edit connection).",
)
NOT_FOUND = Trouble(
    "REST API not found",
    "The store's REST API did not find what Storelink asked for",
    "Check the API URL and that the store's API is switched on (Edit connection).",
)
UNEXPECTED = Trouble(
    "unexpected answer",
    "The store answered unexpectedly",
    "Try again in a moment. If it persists, look at the store's error log and at security plugins "
    "that block the REST API.",
)
BY_CODE = {
    errors.TLS_ERROR: TLS,
    errors.INVALID_CREDENTIALS: KEYS_REFUSED,
    errors.INSUFFICIENT_PERMISSIONS: NO_PERMISSION,
}
# The codes every system shares; any other is a system's own "this is not its API" (connector.advice).
SHARED_CODES = frozenset({*BY_CODE, errors.UNREACHABLE, errors.UNEXPECTED_RESPONSE})


TROUBLES = (NOT_ANSWERING, TOO_SLOW, BUSY, FAILING, TLS, KEYS_REFUSED, NO_PERMISSION, REDIRECTED, NOT_FOUND, UNEXPECTED)


def trouble_in(reason: str | None) -> Trouble | None:
    """The kind of failure a run's `error` (as `explain` wrote it) names, or None."""
    return next((trouble for trouble in TROUBLES if (reason or "").startswith(trouble.title + " (")), None)


def trouble_of(error: StoreError) -> Trouble:
    """The kind of failure `error` is."""
    if error.code == errors.UNREACHABLE:
        return TOO_SLOW if "did not answer within" in error.message else NOT_ANSWERING
    if error.code in BY_CODE:
        return BY_CODE[error.code]
    if error.code not in SHARED_CODES:
        return NOT_FOUND
    status = error.status or 0
    if status == 429:
        return BUSY
    if status >= 500 or status in errors.RETRYABLE_STATUSES:
        return FAILING
    if 300 <= status < 400:
        return REDIRECTED
    if status == 404:
        return NOT_FOUND
    return UNEXPECTED


def explain(error: StoreError, connector: Connector | None = None) -> str:
    """Why it failed and what to do, as one paragraph: `The store is not answering (cannot ...). What to do: ...`.

    `connector`: the store's, whose own words say what to do on the store for refused keys
    (`texts["replace_keys"]`) and missing permissions (`advice`).
    """
    trouble = trouble_of(error)
    next_step = trouble.next_step
    if connector is not None and trouble is KEYS_REFUSED and "replace_keys" in connector.texts:
        replace = connector.texts["replace_keys"]
        next_step = f"{replace[:1].upper()}{replace[1:]} and enter them under Edit connection.{PAUSED}"
    elif connector is not None and trouble is NO_PERMISSION and error.code in connector.advice:
        next_step = f"{connector.advice[error.code].next_step} Then verify again under Edit connection."
    elif connector is not None and trouble is NOT_FOUND and "api_not_found" in connector.texts:
        next_step = connector.texts["api_not_found"]
    return f"{trouble.title} ({error.message}). What to do: {next_step}"


def waiting_for(error: StoreError, retry: int, retries: int, delay: float, resume_at: datetime) -> str:
    """What a poll waits for: `store not answering (cannot connect ...); retry 3 of 5 in 16 s, at 10:00:21 UTC`."""
    return (
        f"{trouble_of(error).waiting} ({error.message}); "
        f"retry {retry} of {retries} in {round(delay)} s, at {resume_at:%H:%M:%S} UTC"
    )


def without_class_name(reason: str) -> str:
    """A failed job's last line without the `jobs.polls.PollFailed: ` of an expected failure."""
    name, separator, rest = reason.partition(": ")
    return rest if separator and name in EXPECTED_FAILURE_NAMES else reason
