"""``python -m recrubo_async.cli``: the same as the ``recrubo`` console script."""

from __future__ import annotations

from . import main

raise SystemExit(main())
