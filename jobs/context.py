"""One transaction per job, and failures that say whether a retry can help."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rq import get_current_job
from sqlalchemy.orm import Session

from config import get_settings
from db.session import transaction
from stores.errors import MappingError

log = logging.getLogger(__name__)


class PermanentJobError(Exception):
    """Retrying cannot help (the payload is malformed, say); fail at once with this message."""


# Failures where the same input will fail the same way however long we wait.
PERMANENT_ERRORS = (PermanentJobError, MappingError)


@contextmanager
def job_transaction() -> Iterator[Session]:
    """Commit the job's writes on success, roll back on error; permanent errors skip retries."""
    try:
        with transaction(get_settings().database_url) as session:
            yield session
    except PERMANENT_ERRORS as error:
        job = get_current_job()
        if job is not None:
            # RQ retries while retries_left > 0; a malformed payload would fail each time.
            job.retries_left = 0
        log.error("job failed permanently: %s", error)
        raise
