"""Write a batch the database may refuse in part: the rest is stored, each refused item named with why.

A refusal is the database (or its driver) declining a value: a number out of range, text it
cannot encode, a broken constraint. The same value is refused however often it is sent, so
one must cost only itself. An outage (OperationalError) is no refusal: it fails the whole
transaction, which its caller retries.
"""

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

# The database's errors about values, and the driver's when text cannot be encoded (a lone surrogate).
REFUSALS = (DataError, IntegrityError, UnicodeEncodeError)

Item = TypeVar("Item")
Result = TypeVar("Result")


def refusal_reason(error: Exception) -> str:
    """Why the database refused, without the statement or its values (they may be a customer's data)."""
    if isinstance(error, UnicodeEncodeError):
        return f"text it cannot encode ({error.reason})"
    original = getattr(error, "orig", None) or error
    diagnosis = getattr(original, "diag", None)  # PostgreSQL's primary message leaves out detail and context
    message = getattr(diagnosis, "message_primary", None) or str(original)
    lines = message.strip().splitlines()
    return lines[0] if lines else type(original).__name__


def store_apart(
    session: Session, items: Sequence[Item], store: Callable[[Sequence[Item]], Result]
) -> tuple[list[Result], list[tuple[Item, str]]]:
    """Run `store` on `items` in a savepoint; where the database refuses, on each half, down to single items.

    Answers what `store` answered for each part it stored, in order, and the items the database
    refused, each with why. Parts are stored in their order, so later versions of a record still
    come after earlier ones. Any other error propagates: the caller's transaction fails whole.
    """
    try:
        with session.begin_nested():
            return [store(items)], []
    except REFUSALS as error:
        if len(items) <= 1:
            return [], [(item, refusal_reason(error)) for item in items]
    middle = len(items) // 2
    stored, refused = store_apart(session, items[:middle], store)
    stored_after, refused_after = store_apart(session, items[middle:], store)
    return stored + stored_after, refused + refused_after
