"""The CLI's own error: a user mistake, reported in one line with exit status 2."""

from __future__ import annotations


class UsageError(Exception):
    """The command line asks for something impossible (exit status 2)."""


class CommandError(Exception):
    """A command could not do its job for a reason outside the SDK (exit status 1)."""
