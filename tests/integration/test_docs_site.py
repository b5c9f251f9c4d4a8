"""The documentation site builds with ``mkdocs build --strict`` and its reference is complete.

The build is the one ``make docs`` runs (into a temporary folder here): a broken link, a
cross-reference to a name that does not exist or a docstring griffe cannot read fails it.
The reference must name every exported name of every public module, and show what users
once had to call ``help()`` for.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recrubo_async.models import CandidateField

from ..support import ROOT

INSTALL_HINT = (
    "the documentation tools are missing: pip install -e '.[docs]' "
    "(the dev extra includes them; `make docs` installs them)"
)
#: Each public module and its reference page (docs/reference/<page>.md).
PAGES = {
    "recrubo_async": "client",
    "recrubo_async.models": "models",
    "recrubo_async.waiters": "waiters",
    "recrubo_async.bus": "bus",
    "recrubo_async.idempotency": "idempotency",
    "recrubo_async.webhooks": "webhooks",
    "recrubo_async.webhooks.aiohttp": "webhooks-aiohttp",
    "recrubo_async.errors": "errors",
    "recrubo_async.testing": "testing",
}
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly from this checkout."""
    for module in ("mkdocs", "mkdocstrings_handlers", "material", "pymdownx"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(f"{module} is not installed: {INSTALL_HINT}")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    return out


def page(site: Path, name: str) -> str:
    return (site / "reference" / name / "index.html").read_text(encoding="utf-8")


def names(markup: str, module: str, name: str) -> bool:
    """Whether the page has ``module.name``'s entry, or links to where it is described."""
    if f'id="{module}.{name}"' in markup:
        return True
    # recrubo_async re-exports the errors and the models and errors modules: its page links
    # each to the page that describes it.
    submodule = PAGES.get(f"{module}.{name}")
    if submodule is not None:
        return f'href="../{submodule}/"' in markup
    return f'href="../errors/#recrubo_async.errors.{name}"' in markup


def text_of(markup: str) -> str:
    """The page's visible text, whitespace collapsed."""
    return " ".join(html.unescape(TAG.sub(" ", markup)).split())


def test_strict_build_makes_the_home_page_from_the_readme(site: Path) -> None:
    """README.md is the home page, and its docs/ links point at the site's pages."""
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "asyncio-first Python SDK" in text_of(home)
    assert 'href="waiters/"' in home
    assert 'href="docs/' not in home


@pytest.mark.parametrize("module", sorted(PAGES))
def test_reference_names_every_exported_name(site: Path, module: str) -> None:
    """Each name in a public module's ``__all__`` has an entry on its page, or a link to one."""
    markup = page(site, PAGES[module])
    exported: list[str] = importlib.import_module(module).__all__
    missing = [name for name in exported if not names(markup, module, name)]
    assert not missing, f"docs/reference/{PAGES[module]}.md does not name {missing}"


def test_reference_shows_the_arguments_users_looked_up_with_help(site: Path) -> None:
    """create's arguments, send_by, Channel, CandidateField names, node text, WebhookPayload."""
    resources = text_of(page(site, "resources"))
    for path in (
        "recrubo_async.resources.message_threads.MessageThreads.create",
        "recrubo_async.resources.flow_runs.FlowRuns.create",
        "recrubo_async.resources.messages.Messages.create",
    ):
        assert f'id="{path}"' in page(site, "resources"), path
    for argument in ("channel", "identifier", "chatbot_paused", "candidate"):
        assert argument in resources
    for argument in ("flow_id", "message_thread_id", "state", "initial_message"):
        assert argument in resources
    assert "who the message is from" in resources  # send_by

    models = text_of(page(site, "models"))
    for value in ("whatsapp", "sms", "messenger", "web"):
        assert f'"{value}"' in models
    assert all(name in models for name in CandidateField.NAMES)
    assert "A node holds no text of its own" in models

    webhooks = text_of(page(site, "webhooks"))
    for attribute in ("webhook_id", "event", "fields", "resource", "raw_resource"):
        assert f"recrubo_async.webhooks.WebhookPayload.{attribute}" in page(site, "webhooks")
        assert attribute in webhooks
