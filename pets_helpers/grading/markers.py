"""The few textual conventions shared by solution notebooks, the release command and the grader.

- An exercise cell starts with a comment line ``# Exercise L01.E2 — title``.
- Its answer sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines (in markdown cells:
  ``<!-- BEGIN SOLUTION -->`` … ``<!-- END SOLUTION -->``).
- A check cell is exactly ``check("L01.E2")``.
- Notebook metadata ``{"pets": {"lesson": "L01"}}`` names the lesson.
"""

import re

EXERCISE_CELL = re.compile(r"^\s*#\s*Exercise\s+(L\d{2}\.E\d+)\b")
CHECK_CELL = re.compile(r"""^\s*check\(\s*["'](L\d{2}\.E\d+)["']\s*\)\s*;?\s*$""")
BEGIN = re.compile(r"^(\s*)(#|<!--)\s*BEGIN SOLUTION\b.*$")
END = re.compile(r"^\s*(#|<!--)\s*END SOLUTION\b.*$")


def exercise_of_cell(source: str) -> str | None:
    """The exercise id a code cell answers, from its first line, or None."""
    first = source.lstrip("\n").split("\n", 1)[0]
    match = EXERCISE_CELL.match(first)
    return match.group(1) if match else None
