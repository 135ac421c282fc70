"""What the command line reports as a mistake of the user: one line, non-zero exit."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A user mistake (bad option, unknown market, missing key): printed as one line, exit 2."""
