"""Helpers the tests share: servers on loopback, deliveries, deployments, subprocess scripts."""

from __future__ import annotations

from pathlib import Path

#: The repository's root: subprocess scripts run from it as ``python -m tests.support.<name>``.
ROOT = Path(__file__).resolve().parents[2]
