"""`/healthz` (process alive) and `/readyz` (database and Redis reachable)."""

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.representations import HealthOut, ReadinessOut
from api.resources import get_redis, get_session

bp = Blueprint("health", __name__)
# The schemas that dump these answers also document them (api.openapi).
_HEALTH = HealthOut()
_READINESS = ReadinessOut()


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(_HEALTH.dump({"status": "ok"}))


@bp.get("/readyz")
def readyz():
    """Database and Redis both answer; 503 names the one that does not."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        checks["database"] = "unavailable"
    try:
        get_redis().ping()
    except RedisError:
        checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    answer = {"status": "ok" if ready else "unavailable", "checks": checks}
    return jsonify(_READINESS.dump(answer)), 200 if ready else 503
