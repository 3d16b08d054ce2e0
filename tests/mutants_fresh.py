"""Run mutmut's mutants again, each in a fresh pytest process, where mutmut's forks misjudge them.

mutmut 3 runs each mutant in a fork of the process that collected its test
statistics, so three kinds of mutant are misjudged there:

- code that runs at import (a dataclass's field definitions, an option
  table) ran before the fork chose the mutant: the mutant is never applied
  and is reported "survived";
- a fork of a process whose torch or CTranslate2 thread pools have run
  crashes: "segfault", whatever the mutant;
- a fork of a process whose asyncio loop or thread pools have run can
  deadlock: "timeout".

A fresh process applies the mutant from the first import, as mutmut's own
trampolines do (``MUTANT_UNDER_TEST``). In the folder where ``mutmut run``
ran (tests/README.md, "Mutation testing")::

    python tests/mutants_fresh.py --status "segfault|timeout|survived" tests/test_dispatch.py summarize/server/dispatch.py

prints one line per mutant (``killed``, ``survived``, ``timeout`` or
``no tests``) and the totals; ``--status`` picks mutants by mutmut's verdict,
``--mutant NAME`` (repeatable) names them.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# pytest's exit codes. 2 and 4: the mutant broke collection or the conftest's imports (the suite
# cannot start; the same command passes on the unmutated tree); 3: it broke pytest itself.
VERDICTS = {0: "survived", 1: "killed", 2: "killed", 3: "killed", 4: "killed", 5: "no tests"}


def mutants(status: str) -> list[str]:
    """The mutants whose mutmut verdict matches ``status`` (a regular expression), from ``mutmut results``."""
    listed = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                            capture_output=True, text=True, check=True).stdout
    pattern = re.compile(rf"^\s*(\S+): (?:{status})$")
    return [m.group(1) for m in map(pattern.match, listed.splitlines()) if m]


def judge(mutant: str, tests: list[str], timeout: float) -> tuple[str, str, float]:
    started = time.monotonic()
    env = {**os.environ, "MUTANT_UNDER_TEST": mutant}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        code = subprocess.run(command, cwd="mutants", env=env, capture_output=True, timeout=timeout).returncode
        verdict = VERDICTS.get(code, f"error {code}")
    except subprocess.TimeoutExpired:
        verdict = "timeout"
    return mutant, verdict, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tests", nargs="+", help="the test files (and modules, for their doctests) that guard the module")
    parser.add_argument("--status", default="segfault|timeout|survived|suspicious", help="mutmut verdicts to judge again")
    parser.add_argument("--mutant", action="append", default=[], help="judge this mutant (repeatable) instead of choosing by --status")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one mutant's tests may take (default 120)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants judged at once (default 2)")
    args = parser.parse_args(argv)
    if not os.path.isdir("mutants"):
        parser.error("no mutants/ folder here: run `mutmut run` first, in this folder")
    todo = args.mutant or mutants(args.status)
    totals: collections.Counter[str] = collections.Counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        for mutant, verdict, seconds in pool.map(lambda m: judge(m, args.tests, args.timeout), todo):
            totals[verdict] += 1
            print(f"{mutant}: {verdict} ({seconds:.0f} s)", flush=True)
    print(", ".join(f"{n} {v}" for v, n in totals.most_common()) or f"no mutant is {args.status!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
