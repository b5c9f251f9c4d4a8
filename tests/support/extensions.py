"""The C extensions ``hatch_build.py`` compiles, for tests that need them: the webhook
receiver's scanner (``recrubo_async/_scan.c``, see also ``scanner.py``) and the data
decoder (``recrubo_async/_decode.c``).

Without one (a build with no C compiler) such a test skips, unless
``RECRUBO_REQUIRE_EXTENSION=1`` (CI sets it): then its absence fails.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any, NoReturn

import pytest

from recrubo_async import _fastdecode

#: Every C extension's module, as ``hatch_build.EXTENSIONS`` builds them: all or none.
EXTENSIONS = ("recrubo_async._scan", "recrubo_async._decode")


def require_extension(module_name: str, *, module: bool = False) -> ModuleType:
    """The compiled module ``module_name`` (one of ``EXTENSIONS``); without it the test (the
    whole ``module`` when called at import) skips, or fails when CI requires the extension."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        missing(f"the C extension {module_name} is not built", module=module)


def require_extensions(*, module: bool = False) -> None:
    """Every C extension (``EXTENSIONS``), as ``require_extension`` requires one."""
    for name in EXTENSIONS:
        require_extension(name, module=module)


def require_decoder(*, module: bool = False) -> Callable[..., Any]:
    """The C decoder where ``_fastdecode`` picks it up (``_CDataDecoder``); without it the
    test (the whole ``module`` when called at import) skips, or fails when CI requires it."""
    decoder = _fastdecode._CDataDecoder
    if decoder is None:
        missing("the C decoder (recrubo_async._decode) is not built", module=module)
    return decoder


def missing(message: str, *, module: bool) -> NoReturn:
    """Skip for an extension that is not built (the whole ``module`` when called at import),
    or fail when ``RECRUBO_REQUIRE_EXTENSION=1``."""
    if os.environ.get("RECRUBO_REQUIRE_EXTENSION") == "1":
        pytest.fail(f"{message}, and RECRUBO_REQUIRE_EXTENSION=1")
    pytest.skip(message, allow_module_level=module)
