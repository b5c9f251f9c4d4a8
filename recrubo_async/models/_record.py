"""Base of the typed nested objects the API sends inside an attribute (``analyzeResult``).

A record is read leniently, because these objects are produced by an AI engine and change
shape more often than resources do: a key it does not know, or a known key whose value has
another type than documented, is kept under its wire name in ``extra`` (the field stays
None) rather than failing the whole document. It is also a read-only mapping from wire
names to values, so code written against the plain JSON (``result.get("hardSkills")``)
keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import attrs

from ._base import EMPTY, wire_name_of

_R = TypeVar("_R", bound="Record")

#: A field's reader: the wire value to the field's value; ``TypeError`` when it is not one.
Reader = Callable[[Any], Any]


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def records(cls: type[_R]) -> Reader:
    """A reader of a list of ``cls`` records (every item an object)."""

    def read(value: Any) -> tuple[_R, ...]:
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise TypeError("not a list of objects")
        return tuple(cls.from_wire(v) for v in value)

    return read


def field(reader: Reader) -> Any:
    """A record field: None by default, read from the wire by ``reader``."""
    return attrs.field(default=None, metadata={"read": reader})


@attrs.frozen(kw_only=True)
class Record(Mapping[str, Any]):
    """A typed nested object: snake_case fields for the documented keys, ``extra`` for the
    rest, and ``record["wireName"]`` for either."""

    _FIELDS: ClassVar[tuple[tuple[str, str, Reader], ...]] = ()

    #: Keys this SDK version does not know, or whose value was not of the documented type.
    extra: Mapping[str, Any] = attrs.field(default=EMPTY, repr=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._FIELDS = ()  # filled in by ``_index`` once attrs has made the class

    @classmethod
    def _index(cls) -> tuple[tuple[str, str, Reader], ...]:
        if not cls._FIELDS:
            cls._FIELDS = tuple(
                (f.name, wire_name_of(f), f.metadata["read"])
                for f in attrs.fields(cls)
                if "read" in f.metadata
            )
        return cls._FIELDS

    @classmethod
    def from_wire(cls: type[_R], value: Mapping[str, Any]) -> _R:
        """The record of a wire object; never fails on an unknown key or a mistyped value.

        Raises:
            TypeError: ``value`` is not an object.
        """
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object for {cls.__name__}, got {type(value).__name__}")
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        wire_names = set()
        for name, wire_name, read in cls._index():
            wire_names.add(wire_name)
            raw = value.get(wire_name)
            if raw is None:
                continue
            try:
                known[name] = read(raw)
            except TypeError:
                extra[wire_name] = raw
        extra.update((k, v) for k, v in value.items() if k not in wire_names)
        return cls(**known, extra=extra or EMPTY)

    def to_wire(self) -> dict[str, Any]:
        """The wire object: the fields set, under their wire names, then ``extra``."""
        out = {key: _wire(value) for key, value in self._known()}
        out.update(self.extra)
        return out

    def _known(self) -> Iterator[tuple[str, Any]]:
        for name, wire_name, _ in self._index():
            value = getattr(self, name)
            if value is not None:
                yield wire_name, value

    # -- the mapping view, by wire name -----------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        for wire_name, value in self._known():
            if wire_name == key:
                return value
        return self.extra[key]

    def __iter__(self) -> Iterator[str]:
        for wire_name, _ in self._known():
            yield wire_name
        yield from (k for k in self.extra if k not in dict(self._known()))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _wire(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_wire()
    if isinstance(value, tuple):
        return [_wire(v) for v in value]
    return value
