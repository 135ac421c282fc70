"""``examples/notebook.ipynb`` runs top to bottom in a real Jupyter kernel against the simulator.

nbclient starts an ipykernel process, runs every cell as Jupyter would (top-level ``await``,
``display`` handles updated from a stream) and gives back the outputs, which are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _texts(cell: Any, kind: str) -> list[str]:
    """Every output of ``cell`` of mime type ``kind`` (stream text included as text/plain)."""
    found = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream" and kind == "text/plain":
            found.append(output["text"])
        elif kind in output.get("data", {}):
            found.append(output["data"][kind])
    return found


def test_the_notebook_runs_in_a_real_kernel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # the paths of today, without a warning
    for name in ("KANA_NETWORK", "KANA_PRIVATE_KEY", "KANA_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "examples/notebook.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "the notebook is stored without outputs"
    )
    client = NotebookClient(
        notebook,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        errors = [o for o in cell.outputs if o["output_type"] == "error"]
        assert not errors, errors

    setup, info, price, book, trade, history, cleanup = code
    assert "".join(_texts(setup, "text/plain")).startswith("connected to sim at http://127.0.0.1:")

    info_html = "".join(_texts(info, "text/html"))
    assert info_html.startswith("<table><caption>MarketInfo</caption>")
    assert "<tr><td>market_id</td><td>1338</td></tr>" in info_html
    price_text = "".join(_texts(price, "text/plain"))
    assert re.fullmatch(
        r"MarketPrice\(best_ask_price=\d+\.\d+, best_bid_price=\d+\.\d+\)", price_text
    )

    # The book cell drew one output and updated it in place: later frames are update messages,
    # so the stored output is a single display with the latest book as a depth table.
    book_html = _texts(book, "text/html")
    assert len(book_html) == 1, book.outputs
    assert "<caption>market 1338: spread " in book_html[0]
    printed = "".join(_texts(book, "text/plain"))
    assert "5 updates, the last: OrderBook(market 1338: " in printed

    position_html = "".join(_texts(trade, "text/html"))
    assert "<caption>Position</caption>" in position_html
    assert "<tr><td>size</td><td>1</td></tr>" in position_html
    assert "1 open position(s)" in "".join(_texts(trade, "text/plain"))

    assert "1 trade(s) in the history" in "".join(_texts(history, "text/plain"))
    assert "Decimal(" not in "".join(_texts(history, "text/plain"))
    assert "closed" in "".join(_texts(cleanup, "text/plain"))
