"""The package's version, written here so that reading it costs no metadata lookup at import.

It must equal ``version`` in the project's build configuration (a test compares the two).
"""

from typing import Final

__all__ = ["VERSION"]

VERSION: Final = "0.1.0"
