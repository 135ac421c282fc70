"""``python -m kana_async`` / ``kana-async``: the command line.

``kana-async --help`` lists the commands: market data (``markets``, ``price``, ``book``,
``trades``), the account (``positions``, ``orders``, ``history``), ``stream``, trading
(``place``, ``cancel``), ``demo`` and ``sim`` (the local simulator).
"""

from __future__ import annotations

import sys

from kana_async._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
