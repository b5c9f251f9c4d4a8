"""The usual single-resource document to its model, in C (``_decode.c``): the fast path of
``Codec.decode_data``, made by ``_fastdecode.make_data_decoder`` and held to the generated
Python decoder (its ``fallback``) by ``tests/codec/test_decode_c.py``."""

from collections.abc import Callable
from typing import Any, final

K_EXACT: int
K_ENUM: int
K_DATETIME: int
K_MAPPING: int
K_HOOK: int
SRC_ID: int
SRC_TYPE: int
SRC_RELS: int
SRC_LINKS: int
SRC_META: int
SRC_EXTRA: int
SRC_ATTRS: int
#: The most attributes a model may have for a DataDecoder (more: ValueError).
MAX_ATTRS: int

@final
class DataDecoder:
    """``decoder(doc)``: the model of a parsed document of the usual shape, else
    ``fallback(doc)``, whatever that returns."""

    @property
    def fallback(self) -> Callable[[Any], Any]: ...
    @property
    def slot_stores(self) -> int:
        """How many stores (the model's, a relationship's, an identifier's) are made at a
        slot's offset rather than through a descriptor."""
    def __new__(
        cls,
        type_name: str,
        wires: tuple[str, ...],
        kinds: tuple[int, ...],
        aux: tuple[Any, ...],
        types: tuple[Any, ...],
        defaults: tuple[Any, ...],
        known: frozenset[str],
        model: type[Any],
        stores: tuple[tuple[Any, int, Any], ...],
        rel: tuple[Any, ...],
        ident: tuple[Any, ...],
        empties: tuple[Any, ...],
        fromisoformat: Callable[[str], Any],
        parse_datetime: Callable[[str], Any],
        link_one: Callable[[Any], object],
        fallback: Callable[[Any], Any],
        /,
    ) -> DataDecoder: ...
    def __call__(self, doc: Any, /) -> Any: ...
