"""Run a program in a pseudo-terminal and read back where it drew, like a terminal would.

:func:`run_in_pty` gives the program a real terminal (80x40) so it behaves as it does for a
person: colours, a hidden cursor, a live view redrawn in place. :class:`Screen` replays the
output's line moves (newlines, cursor up/down) to tell on which row each piece of text was drawn.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import termios
from dataclasses import dataclass

HANG = 120  # seconds: only there to turn a hang into a failure

_TOKEN = re.compile(rb"\x1b\[(?P<args>[0-9;?]*)(?P<op>[A-Za-z])|(?P<nl>\n)|(?P<text>[^\x1b\n]+)")


@dataclass
class Screen:
    """What a program wrote to its terminal."""

    returncode: int
    raw: bytes

    def _chunks(self) -> list[tuple[int, str]]:
        """``(row, text)`` for each run of text, replaying newlines and cursor moves."""
        row = 0
        chunks = []
        for match in _TOKEN.finditer(self.raw):
            if match.group("nl"):
                row += 1
            elif match.group("op"):
                op, args = match.group("op"), match.group("args").decode()
                count = int(args) if args.isdigit() else 1
                if op == b"A":
                    row -= count
                elif op == b"B":
                    row += count
            elif match.group("text"):
                chunks.append((row, match.group("text").decode(errors="replace")))
        return chunks

    def rows_of(self, needle: str) -> list[int]:
        """The row of every drawing of ``needle``, in the order drawn."""
        return [row for row, text in self._chunks() if needle in text]

    @property
    def final_text(self) -> str:
        """All text written, escapes removed."""
        return "".join(text for _, text in self._chunks())

    @property
    def cursor_shown_at_exit(self) -> bool:
        """Whether the cursor was not left hidden (``ESC[?25l`` without a later ``ESC[?25h``)."""
        return self.raw.rfind(b"\x1b[?25l") <= self.raw.rfind(b"\x1b[?25h")


def run_in_pty(
    argv: list[str],
    *,
    env: dict[str, str],
    answer: bytes | None = None,
    columns: int = 80,
    interrupt_after: bytes | None = None,
) -> Screen:
    """Run ``argv`` with stdin, stdout and stderr on a new terminal; ``answer`` is typed in.

    ``interrupt_after``: send SIGINT (Ctrl-C) once the output has shown these bytes.
    """
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    if answer is not None:
        os.write(master, answer)
    raw = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the program closed its side (EIO on Linux)
                break
            if not chunk:
                break
            raw += chunk
            if interrupt_after is not None and interrupt_after in raw:
                interrupt_after = None
                proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=HANG)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Screen(returncode, bytes(raw))
