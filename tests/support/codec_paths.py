"""The codec on each decoding path, so that every decode test runs on both.

``FAST`` decodes valid resource objects by generated code, ``CHECKED`` by the converter
alone (``_fastdecode.FAST_DECODE`` switched off): the same models and the same errors.
"""

from __future__ import annotations

import pytest

from recrubo_async._jsonapi import Codec

FAST = Codec(fast=True)
CHECKED = Codec(fast=False)

#: Runs a test once per path, its ``codec`` argument the codec of that path.
both_paths = pytest.mark.parametrize(
    "codec", [pytest.param(FAST, id="fast"), pytest.param(CHECKED, id="checked")]
)
