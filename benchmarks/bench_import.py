"""Import time: ``import kana_async`` against importing what it needs, each in a fresh interpreter.

The baseline imports exactly the third-party packages that ``import kana_async`` itself loads
(found by a first interpreter that imports the SDK and lists them), so the ratio is the SDK's
own cost on top of libraries it cannot do without. The same is measured for what users write
first, ``from kana_async import KanaClient, Network``, against what *that* loads (a package
that only deferred its cost to the first attribute read would fail this one). A further
baseline imports every declared dependency of the package. Rounds rotate the stacks; medians
are printed.

The interpreters read and write compiled bytecode in a temporary cache of their own
(``PYTHONPYCACHEPREFIX``), ``PYTHONDONTWRITEBYTECODE`` removed: an installed package has its
``.pyc`` files, so an environment that forbids writing them (recompiling the SDK's sources on
every run, but not the already-compiled site-packages) would measure the compiler instead::

    python benchmarks/bench_import.py --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _common import Result, SectionFailed, paired_ratios, rotated

_TIMER = (
    "import time, sys; t = time.perf_counter(); {imports}; "
    "d = time.perf_counter() - t; "
    "f = open('/proc/self/statm'); rss = int(f.read().split()[1]) * 4096 / 2**20; "
    "print(d, rss)"
)

_LOADED = (
    "import sys; before = set(sys.modules); {statement}; "
    "names = {m.split('.')[0] for m in set(sys.modules) - before}; "
    "std = set(sys.stdlib_module_names); "
    "print(__import__('json').dumps(sorted(n for n in names "
    "if n not in std and not n.startswith('_') and n != 'kana_async')))"
)

# The runtime dependencies in pyproject.toml (websockets by the module the SDK uses).
DECLARED = ["httpx", "websockets.asyncio.client", "msgspec", "aptos_sdk", "anyio", "sniffio"]


# What users write first; measured against what it loads, like `import kana_async`.
FIRST_USE = "from kana_async import KanaClient, Network"

_ENV: dict[str, str] = {}


def _bytecode_env(cache: str) -> dict[str, str]:
    """The environment for the interpreters: bytecode cached under ``cache``, writing allowed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _python(code: str) -> str:
    """The output of ``python -c code`` in a fresh interpreter, bounded to 120 s.

    Raises:
        SectionFailed: the interpreter took longer.
    """
    try:
        return subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
            env=_ENV or None,
        ).stdout
    except subprocess.TimeoutExpired:
        raise SectionFailed(f"a fresh interpreter running {code[:60]!r} took over 120 s") from None


#: Fresh interpreters per measurement: its time is the fastest of them (a spike of the shared
#: machine in one start-up is not the import's cost; the fastest start-up is the closest to it).
TRIES = 5


def _time(imports: str) -> tuple[float, float]:
    """(ms, RSS MB after) of ``imports``: the fastest of :data:`TRIES` fresh interpreters."""
    best = (float("inf"), 0.0)
    for _ in range(TRIES):
        out = _python(_TIMER.format(imports=imports)).split()
        best = min(best, (float(out[0]) * 1000, float(out[1])))
    return best


def run_all(rounds: int) -> Result:
    """The import stacks, ``rounds`` fresh interpreters each, rotated, with a bytecode cache."""
    with tempfile.TemporaryDirectory(prefix="kana-bench-pyc-") as cache:
        _ENV.clear()
        _ENV.update(_bytecode_env(cache))
        try:
            return _run_all(rounds)
        finally:
            _ENV.clear()


def _what_it_loads(statement: str) -> tuple[str, str]:
    """A row label and the statement importing the third-party packages ``statement`` loads."""
    loaded = json.loads(_python(_LOADED.replace("{statement}", statement)))
    label = f"what `{statement}` loads: " + ", ".join(loaded)
    return label, "; ".join(f"import {m}" for m in loaded) or "pass"


def _run_all(rounds: int) -> Result:
    sdk_label, sdk_need = _what_it_loads("import kana_async")
    first_label, first_need = _what_it_loads(FIRST_USE)
    stacks = {
        "import kana_async": "import kana_async",
        sdk_label: sdk_need,
        FIRST_USE: FIRST_USE,
        first_label: first_need,
        "every declared dependency": "; ".join(f"import {m}" for m in DECLARED),
        "bare interpreter": "pass",
    }
    names = list(stacks)
    ms: dict[str, list[float]] = {name: [] for name in names}
    rss: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm the file cache
        _time(stacks[name])
    for round_ in range(rounds):
        for name in rotated(names, round_):
            t, mb = _time(stacks[name])
            ms[name].append(t)
            rss[name].append(mb)
    rows = []
    for name in names:
        m = sorted(ms[name])
        rows.append(
            [
                name,
                f"{m[len(m) // 2]:.0f}",
                f"{m[0]:.0f}-{m[-1]:.0f}",
                f"{sorted(rss[name])[len(m) // 2]:.1f}",
            ]
        )
    sdk, need, first, first_need_name, declared = names[:5]
    return Result(
        title="Import time",
        description=(
            f"In-process import time (perf_counter around the import statements) in a fresh "
            f"interpreter, each measurement the fastest of {TRIES}, {rounds} rounds, bytecode "
            "cached as an installed "
            "package has it. `what ... loads` is the set of third-party packages that "
            "statement brings in, imported on their own."
        ),
        headers=["stack", "import ms (median)", "min-max", "RSS after, MB"],
        rows=rows,
        ratios=[
            (
                f"`{sdk}` / what it loads (time; lower is better)",
                paired_ratios(ms[sdk], ms[need]),
                "<= 1.15",
            ),
            (
                f"`{first}` / what it loads (time; lower is better)",
                paired_ratios(ms[first], ms[first_need_name]),
                "<= 1.15",
            ),
            (
                f"`{sdk}` / every declared dependency (time)",
                paired_ratios(ms[sdk], ms[declared]),
                "",
            ),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    print(run_all(args.rounds).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
