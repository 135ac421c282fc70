"""Temporary alias of :mod:`kana_async._aptos.abort_codes` for :mod:`kana_async.sim` only.

The simulator's contract still imports the abort code tables from here; once its import names
:mod:`kana_async._aptos.abort_codes`, delete this module. SDK code must not import it.
"""

from kana_async._aptos.abort_codes import KANA_ABORT_CODES, SIMULATOR_ABORT_CODES

__all__ = ["KANA_ABORT_CODES", "SIMULATOR_ABORT_CODES"]
