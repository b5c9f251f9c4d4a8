"""Models built without ``__init__`` (``_construct.constructor``): the same objects.

A speed trick of the decoders and the webhook receiver: a model built by slot stores is
the model its ``__init__`` builds, field for field (eq, hash, repr, pickling, weak
references, frozenness), and a class whose ``__init__`` does more than store is built by
it.
"""

from __future__ import annotations

import copy
import pickle
import weakref
from typing import Any

import attrs
import pytest

from recrubo_async._construct import _build_plan, constructor
from recrubo_async._fastdecode import make_resource_decoder
from recrubo_async.bus import ResourceEvent
from recrubo_async.models import GenericResource, Relationship, Resource, ResourceIdentifier
from recrubo_async.models._base import registered_types
from recrubo_async.webhooks import WebhookPayload, WebhookResult

from ..support.codec_paths import FAST

BUILT_MODELS: list[type[Any]] = [
    *sorted(registered_types().values(), key=lambda cls: cls.__name__),
    GenericResource,
    Relationship,
    ResourceIdentifier,
    ResourceEvent,
    WebhookResult,
]


@pytest.mark.parametrize("cls", BUILT_MODELS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("fast", [True, False], ids=["slot stores", "init"])
def test_a_model_built_without_init_is_the_model_init_builds(cls: type[Any], fast: bool) -> None:
    fields = attrs.fields(cls)
    # Distinct, hashable values: each must land in its own field.
    values = [f"value of {f.name}" for f in fields]
    built = constructor(cls, fast=fast)(*values)
    made = cls(**{f.alias: v for f, v in zip(fields, values, strict=True)})
    assert _build_plan(cls) is not None
    assert type(built) is cls
    assert all(getattr(built, f.name) is getattr(made, f.name) for f in fields)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert pickle.loads(pickle.dumps(built)) == made
    assert copy.copy(built) == made and attrs.evolve(built) == made
    # Weak references work on the built one exactly when they work on the model.
    try:
        weakref.ref(made)
    except TypeError:
        with pytest.raises(TypeError):
            weakref.ref(built)
    else:
        assert weakref.ref(built)() is built
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(built, fields[0].name, "changed")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(built, fields[0].name)


def test_every_sdk_model_takes_the_cheapest_way_to_build() -> None:
    # The webhook receiver builds an event, a payload and a result per delivery.
    per_delivery = [ResourceEvent, WebhookPayload, WebhookResult]
    for cls in [*registered_types().values(), Relationship, ResourceIdentifier, *per_delivery]:
        plan = _build_plan(cls)
        assert plan is not None and plan.builder is not None, cls.__name__


def test_a_class_whose_init_does_more_than_store_is_built_by_init() -> None:
    @attrs.frozen
    class Validated:
        x: Any = attrs.field(validator=attrs.validators.instance_of(int))

    @attrs.frozen
    class Converted:
        x: Any = attrs.field(converter=int)

    @attrs.frozen
    class PostInit:
        x: Any
        seen: Any = None

        def __attrs_post_init__(self) -> None:
            object.__setattr__(self, "seen", "post-init ran")

    @attrs.frozen(cache_hash=True)
    class CachedHash:
        x: Any

    @attrs.frozen(slots=False)
    class NotSlotted:
        x: Any

    @attrs.frozen(init=False)
    class OwnInit:
        x: Any

        def __init__(self, x: Any) -> None:
            self.__attrs_init__(x=("own init", x))

    for cls in (Validated, Converted, PostInit, CachedHash, NotSlotted, OwnInit):
        assert _build_plan(cls) is None, cls.__name__
    with pytest.raises(TypeError):
        constructor(Validated, fast=True)("7")
    assert constructor(Validated, fast=True)(7) == Validated(7)
    assert constructor(Converted, fast=True)("7").x == 7
    assert constructor(PostInit, fast=True)(7, None).seen == "post-init ran"
    assert hash(constructor(CachedHash, fast=True)(7)) == hash(CachedHash(7))
    assert constructor(NotSlotted, fast=True)(7) == NotSlotted(7)
    assert constructor(OwnInit, fast=True)(7).x == ("own init", 7)


def test_a_resource_with_a_validator_is_validated_on_the_fast_path() -> None:
    def not_negative(_: object, __: attrs.Attribute[Any], value: int | None) -> None:
        if value is not None and value < 0:
            raise ValueError("size must not be negative")

    @attrs.frozen(kw_only=True)
    class Sized(Resource):
        TYPE = "testSized"

        size: int | None = attrs.field(default=None, validator=not_negative)

    attrs.resolve_types(Sized)
    decoder = make_resource_decoder(FAST.converter, Sized, owned=True)
    assert decoder is not None
    assert decoder("s1", "testSized", {"size": 3}, None, None, None) == Sized(id="s1", size=3)
    with pytest.raises(ValueError, match="negative"):
        decoder("s1", "testSized", {"size": -1}, None, None, None)
