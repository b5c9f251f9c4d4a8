"""One list of resources: ``recrubo_async.resources.RESOURCES`` is what ``Client`` offers
and what the command line reaches."""

from __future__ import annotations

import functools
from typing import Any, get_type_hints

import pytest

from recrubo_async import Client
from recrubo_async.cli._parsing import KINDS, resolve_kind
from recrubo_async.resources import RESOURCES, ResourceEntry


def _client_properties() -> dict[str, Any]:
    return {
        name: get_type_hints(attr.func)["return"]
        for name, attr in vars(Client).items()
        if isinstance(attr, functools.cached_property)
    }


def test_every_entry_is_a_client_property_of_its_class_and_every_property_an_entry() -> None:
    assert _client_properties() == {entry.attribute: entry.cls for entry in RESOURCES}
    client = Client("key-for-the-registry-test", base_url="http://127.0.0.1:9")
    for entry in RESOURCES:
        assert type(getattr(client, entry.attribute)) is entry.cls, entry.attribute


def test_entries_are_listed_once_in_name_order() -> None:
    names = [entry.attribute for entry in RESOURCES]
    assert names == sorted(set(names))


@pytest.mark.parametrize("entry", [e for e in RESOURCES if e.cli], ids=lambda e: e.attribute)
def test_the_command_line_reaches_each_listed_resource_by_any_spelling(
    entry: ResourceEntry,
) -> None:
    assert {"list", "retrieve"} <= set(entry.verbs)
    for name in (entry.attribute, entry.kebab, entry.json_type, entry.json_type.upper()):
        assert resolve_kind(name) is entry


def test_the_command_line_reads_the_registry() -> None:
    assert tuple(entry for entry in RESOURCES if entry.cli) == KINDS
    assert {entry.attribute for entry in RESOURCES if not entry.cli} == {"embed", "management"}
