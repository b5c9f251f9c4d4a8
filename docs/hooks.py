"""MkDocs hook: the site's home page is README.md, its links rewritten for the site.

It also writes the list of valid ``CandidateField`` names into the models reference from
the code, so the list has one source.

README.md links the guides as ``docs/x.md`` (right on GitHub and PyPI); on the site those
pages are ``x.md``. The benchmark findings live beside their code and are put in by
docs/benchmarks.md. Any other relative link is left alone, so a broken one fails the strict
build.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_LINK = re.compile(r"\]\((?!https?://|#)([^)\s]+)\)")
_MOVED = {"benchmarks/findings.md": "benchmarks.md"}
_FIELD_NAMES = (
    "<!-- candidate-field-names (docs/hooks.py fills this in from CandidateField.NAMES) -->"
)


def _site_link(match: re.Match[str]) -> str:
    target = match.group(1)
    path, sep, anchor = target.partition("#")
    if path in _MOVED:
        path = _MOVED[path]
    elif path.startswith("docs/"):
        path = path.removeprefix("docs/")
    return f"]({path}{sep}{anchor})"


def _field_names() -> str:
    from recrubo_async.models import CandidateField

    return ", ".join(f"`{name}`" for name in sorted(CandidateField.NAMES)) + "."


def on_page_markdown(markdown: str, page: Any, config: Any, **_: Any) -> str:
    if page.file.src_uri == "reference/models.md":
        if _FIELD_NAMES not in markdown:
            raise ValueError(f"reference/models.md lost its placeholder {_FIELD_NAMES}")
        return markdown.replace(_FIELD_NAMES, _field_names())
    if page.file.src_uri != "index.md":
        return markdown
    readme = Path(config.config_file_path).parent / "README.md"
    return _LINK.sub(_site_link, readme.read_text(encoding="utf-8"))
