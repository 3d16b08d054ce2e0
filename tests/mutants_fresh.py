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

first runs the tests unmutated (they must pass), then prints one line per
mutant (``killed`` with the test that failed, ``survived``, ``timeout``,
``no tests``, or ``error N`` for another exit code, which makes the script
exit 1) and the totals; ``--status`` picks mutants by mutmut's verdict,
``--mutant NAME`` (repeatable) names them. A kill by a timing test on a busy
machine is visible in its line: judge it again with ``--jobs 1``.
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
# cannot start; the same command passed on the unmutated tree first); 3: it broke pytest itself.
VERDICTS = {0: "survived", 1: "killed", 2: "killed", 3: "killed", 4: "killed", 5: "no tests"}
UNMUTATED = "none"  # a MUTANT_UNDER_TEST that names no mutant: mutmut's trampolines run the original code


def listed() -> dict[str, str]:
    """Every mutant ``mutmut results`` knows, with its verdict."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line)


def run_tests(mutant: str, tests: list[str], timeout: float) -> tuple[str, str, float]:
    """``(verdict, why, seconds)``: why is the first failing test, or the output's last line."""
    started = time.monotonic()
    env = {**os.environ, "MUTANT_UNDER_TEST": mutant}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(command, cwd="mutants", env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", f"the tests ran past {timeout:.0f} s", time.monotonic() - started
    lines = (done.stdout + done.stderr).strip().splitlines() or [""]
    why = next((line for line in lines if line.startswith(("FAILED ", "ERROR "))), lines[-1])
    return VERDICTS.get(done.returncode, f"error {done.returncode}"), why, time.monotonic() - started


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
    known = listed()
    unknown = [m for m in args.mutant if m not in known]
    if unknown:
        parser.error(f"no such mutant: {', '.join(unknown)} (`mutmut results --all true` lists them)")
    pattern = re.compile(args.status)
    todo = args.mutant or [m for m, verdict in known.items() if pattern.fullmatch(verdict)]
    # Unmutated, the same tests must pass: else every mutant would look killed (a typo in a path, a broken setup).
    verdict, why, seconds = run_tests(UNMUTATED, args.tests, args.timeout)
    if verdict != "survived":
        print(f"the tests do not pass unmutated, so no mutant can be judged: {why}", file=sys.stderr)
        return 1
    print(f"unmutated: the tests pass in {seconds:.0f} s", flush=True)
    totals: collections.Counter[str] = collections.Counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        for mutant, (verdict, why, seconds) in zip(todo, pool.map(lambda m: run_tests(m, args.tests, args.timeout), todo)):
            totals[verdict] += 1
            print(f"{mutant}: {verdict} ({seconds:.0f} s){'' if verdict == 'survived' else ': ' + why}", flush=True)
    print(", ".join(f"{n} {v}" for v, n in totals.most_common()) or f"no mutant is {args.status!r}")
    return 1 if any(v.startswith("error") for v in totals) else 0


if __name__ == "__main__":
    sys.exit(main())
