"""Errors a user can act on: the CLI prints them as one line, without a traceback."""
from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (bad input, missing data, a run that cannot resume)."""


class ArtifactError(UserError):
    """A run file that is missing, corrupt or from an incompatible version."""
