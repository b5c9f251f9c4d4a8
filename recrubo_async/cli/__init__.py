"""The ``recrubo`` command line: the emulator, flow generation, watching runs, get/list
and a webhook listener, on top of the SDK.

Run ``recrubo --help`` (or ``python -m recrubo_async.cli --help``) for the commands.
Exit statuses: 0 success, 1 API or runtime error, 2 usage error, 130 interrupted.
"""

from __future__ import annotations

from ._app import main

__all__ = ["main"]
