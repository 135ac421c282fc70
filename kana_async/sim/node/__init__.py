"""The simulator's fake Aptos fullnode.

* :mod:`.app`: :class:`FakeNode`, the node REST API under ``/v1`` (aiohttp);
* :mod:`.state`: :class:`NodeState`, accounts, blocks and execution (pure, synchronous);
* :mod:`.mempool`: waiting transactions and Aptos' per-account limits;
* :mod:`.gas`: the gas schedule and bounds; :mod:`.framework`: ``0x1::aptos_account::transfer``;
* :mod:`.bcs`: decoding and verifying BCS signed transactions (its own reader);
* :mod:`.vm_status`: the Aptos VM status numbers the node reports;
* :mod:`.transactions`: transaction records, accounts and the node's error answers.
"""

from __future__ import annotations

from .app import BCS_CONTENT_TYPE, FakeNode
from .state import Ledger, NodeState
from .transactions import NodeError, Transaction

__all__ = ["BCS_CONTENT_TYPE", "FakeNode", "Ledger", "NodeError", "NodeState", "Transaction"]
