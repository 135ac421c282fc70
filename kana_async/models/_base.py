"""The base of every model: a frozen msgspec Struct that ignores unknown fields."""

from __future__ import annotations

import msgspec


class Model(msgspec.Struct, frozen=True, kw_only=True):
    """A frozen, keyword-only record decoded straight from JSON bytes.

    Unknown fields are ignored and new optional fields have defaults, so a server that adds a
    field never breaks a user. Numbers that arrive as strings are accepted (decoders are lax).
    """


class HotModel(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A :class:`Model` for hot-path stream rows: untracked by the garbage collector.

    Safe because these rows hold only scalars, so they can never be part of a reference cycle.
    """
