"""Ids in paths and relationships: from an id string, a model or an identifier, checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from ._validate import check_path_id
from .models._base import Resource, ResourceIdentifier

#: Ids that ``quote`` would leave as they are (UUIDs): checked once rather than quoted.
_PATH_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")

#: Ids ``_PATH_SAFE`` passed, remembered: a job's id is checked on every poll, and a set
#: look-up is a tenth of the regex's cost (benchmarks/findings.md, session 6). Emptied
#: when full, so it stays small; only exact ``str`` ids that passed are ever in it.
_SAFE_IDS: set[str] = set()
_SAFE_IDS_MAX = 512


def resource_id(value: str | Resource, what: str = "id", type_name: str | None = None) -> str:
    """A path-safe id from a string or a model; a clear error for anything else.

    ``type_name``: the JSON:API type the path is for; a model of another type is refused
    (``candidates.delete(flow)`` would otherwise delete the candidate with the flow's id).
    """
    if type(value) is str and value in _SAFE_IDS:
        return value
    if isinstance(value, Resource):
        if type_name is not None and value.type != type_name:
            raise _wrong_type(what, type_name, value.type)
        value = value.id
    if type(value) is str and _PATH_SAFE.fullmatch(value) and value.strip(".") != "":
        if len(_SAFE_IDS) >= _SAFE_IDS_MAX:
            _SAFE_IDS.clear()
        _SAFE_IDS.add(value)
        return value
    return quote(check_path_id(value, what), safe="")


def checked_id(value: str | Resource, what: str = "id", type_name: str | None = None) -> str:
    """The id itself (not quoted) once it is known safe in a path: for what keeps an id
    and puts it in a path later (waits, tokens), which ``resource_id`` would quote twice.
    ``type_name``: as for ``resource_id``, a model of another type is refused.
    """
    if isinstance(value, Resource):
        if type_name is not None and value.type != type_name:
            raise _wrong_type(what, type_name, value.type)
        value = value.id
    return check_path_id(value, what)


def id_of(
    value: str | Resource | ResourceIdentifier, what: str, type_name: str | None = None
) -> str:
    """The id of a model, identifier or id string (for ``*_id`` attributes); a model or
    identifier of another type than ``type_name`` is refused."""
    if isinstance(value, (Resource, ResourceIdentifier)):
        if type_name is not None and value.type != type_name:
            raise _wrong_type(what, type_name, value.type)
        return value.id
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty id string or a model; got {value!r}")
    return value


def ref(
    value: str | Resource | ResourceIdentifier, type_name: str, what: str
) -> ResourceIdentifier:
    """A relationship target from a model, an identifier, or an id of ``type_name``."""
    if isinstance(value, (Resource, ResourceIdentifier)):
        if value.type != type_name:
            raise _wrong_type(what, type_name, value.type)
        return ResourceIdentifier(type=value.type, id=value.id)
    return ResourceIdentifier(type=type_name, id=id_of(value, what))


def refs(
    values: Sequence[str | Resource | ResourceIdentifier], type_name: str, what: str
) -> tuple[ResourceIdentifier, ...]:
    """Several relationship targets (``[]`` empties a to-many relationship)."""
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list of ids or models, not one string")
    return tuple(ref(v, type_name, what) for v in values)


def _wrong_type(what: str, type_name: str, given: str) -> ValueError:
    return ValueError(f"{what} must be a {type_name} resource; got a {given}")
