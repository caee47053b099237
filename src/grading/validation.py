"""One validating layer for what the user writes: the rubric, the sources list, settings.

Pydantic checks the shapes (a table where a table belongs, a list of strings where a list
belongs, numbers in range, no rule listed twice); each error becomes one line naming the file
or environment variable and the key. The names a rubric may use still come from where the
engine defines them (engine/rubric.py's THRESHOLDS and DOMAINS, the rule REGISTRY).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    field_validator,
)
from pydantic import ValidationError as PydanticError

from grading.errors import GradingError


class InputError(GradingError, ValueError):
    """A file or variable the user gave is invalid; the message is one line naming it and the key."""


def read_toml(path: Path, what: str, error: type[Exception] = InputError) -> dict[str, Any]:
    """A TOML file as a dict; one line naming the file for a missing, binary or malformed one."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a {what}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})") from None
    if "\x00" in text:
        raise error(f"{path}: not a {what}: binary content (a NUL byte)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None


def one_line(exc: PydanticError, where: str) -> str:
    """The first pydantic error as `where: key.path: what is wrong`."""
    err = exc.errors()[0]
    parts = [f"#{part + 1}" if isinstance(part, int) else str(part) for part in err["loc"]]
    key = ".".join(p for p in parts if not p.startswith(("function-", "list[", "dict[")))
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {key}: {msg}" if key else f"{where}: {msg}"


Number = StrictInt | StrictFloat


class RubricShape(BaseModel):
    """The rubric's shape; names and ranges are checked by engine/rubric.py against its tables."""

    model_config = ConfigDict(extra="allow")  # unknown top-level keys: rubric.py names them

    version: StrictStr
    start: dict[StrictStr, StrictStr] = {}
    thresholds: dict[StrictStr, Number] = {}
    rules: dict[StrictStr, list[StrictStr]] = {}
    unspecified_population_is_human: StrictBool = True

    @field_validator("rules")
    @classmethod
    def each_rule_once(cls, rules: dict[str, list[str]]) -> dict[str, list[str]]:
        # Listed twice in one domain it would fire twice (a doubled downgrade); in two domains,
        # one of them is not its own, which rubric.py names.
        for domain, ids in rules.items():
            twice = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
            if twice:
                raise ValueError(f"{domain} lists {', '.join(map(repr, twice))} more than once; a rule fires once")
        return rules


def check_rubric_shape(data: dict[str, Any], where: str, error: type[Exception] = InputError) -> None:
    try:
        RubricShape.model_validate(data)
    except PydanticError as exc:
        raise error(one_line(exc, where)) from None


class ListedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: StrictStr | None = Field(default=None, min_length=1)
    url: StrictStr | None = Field(default=None, min_length=1)
    tags: list[Any] = []

    @field_validator("tags", mode="before")
    @classmethod
    def tags_are_strings(cls, tags: object) -> object:
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise ValueError("tags must be a list of non-empty strings")
        return tags


class SourcesListShape(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: list[ListedEntry] = Field(default=[], validate_default=True)

    @field_validator("source", mode="before")
    @classmethod
    def at_least_one(cls, entries: object) -> object:
        if not isinstance(entries, list) or not entries:
            raise ValueError("needs at least one [[source]] entry")
        if not all(isinstance(e, dict) for e in entries):
            raise ValueError("each [[source]] must be a table")
        return entries


def check_sources_list(data: dict[str, Any], where: str, error: type[Exception] = InputError) -> None:
    try:
        SourcesListShape.model_validate(data)
    except PydanticError as exc:
        raise error(one_line(exc, where)) from None


# Settings read from the environment: each variable's type and range.
def env_reader(kind: Any, what: str) -> Callable[[str], Any]:
    """A converter for one environment variable: the value checked by pydantic, a one-line
    error naming the variable (added by Settings.from_env) and saying what is expected."""
    adapter = TypeAdapter(kind)

    def read(text: str) -> Any:
        try:
            return adapter.validate_python(text.strip())
        except PydanticError:
            raise ValueError(f"must be {what}") from None
    return read


NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]

non_negative = env_reader(NonNegative, "a number of 0 or more")
positive = env_reader(Positive, "a number greater than 0")
positive_int = env_reader(PositiveInt, "a whole number greater than 0")
non_negative_int = env_reader(NonNegativeInt, "a whole number of 0 or more")
