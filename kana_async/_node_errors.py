"""Temporary alias of :mod:`kana_async._aptos.errors` for :mod:`kana_async.sim` only.

The simulator's node still imports the VM status table from here; once its import names
:mod:`kana_async._aptos.errors`, delete this module. SDK code must not import it.
"""

from kana_async._aptos.errors import VM_STATUS_CODES

__all__ = ["VM_STATUS_CODES"]
