"""Reading environment variables: yes/no, whole numbers, seconds, each malformed value a ConfigError naming it."""

from collections.abc import Mapping

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service: `problems` says why, one line each."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = problems


def seconds_list(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """`"5,30,120"` → (5, 30, 120); unset or empty is `default`."""
    value = env.get(name, "")
    try:
        delays = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        delays = (-1,)
    if any(delay < 0 for delay in delays):
        raise ConfigError(f"{name} must be comma-separated whole seconds, not {value!r}")
    return delays or default


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off; unset or empty is `default`."""
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {env[name]!r}")
    return value in TRUE_WORDS


def whole(env: Mapping[str, str], name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number from `minimum` to `maximum`; unset or empty is `default`."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum or (maximum is not None and number > maximum):
        upto = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name} must be a whole number of at least {minimum}{upto}, not {env[name]!r}")
    return number


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds above zero (fractions allowed); unset or empty is `default`."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise ConfigError(f"{name} must be a number of seconds above 0, not {env[name]!r}")
    return number


class Reader:
    """Reads variables with the helpers above, collecting every malformed one instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def __call__(self, helper, name: str, default, **limits):
        try:
            return helper(self.env, name, default, **limits)
        except ConfigError as error:
            self.problems.append(str(error))
            return default


def whole_numbers(environ: Mapping[str, str], defaults: Mapping[str, int], minimum: int = 1) -> tuple[dict[str, int], list[str]]:
    """Whole-number variables outside Settings (gunicorn's): their values, and the malformed ones' problems."""
    read = Reader(environ)
    return {name: read(whole, name, default, minimum=minimum) for name, default in defaults.items()}, read.problems
