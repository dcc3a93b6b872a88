"""A tiny lesson used to test the grading engine itself (not part of the course)."""

import numpy as np

from pets_helpers.grading import Exercise, Lesson, Mistake


def _check_double(ns):
    got = ns.call("double", 3.0)
    if not np.isclose(got, 6.0):
        raise Mistake(f"double(3) should be 6, got {got!r}.")
    return "double works."


def _check_answer(ns):
    if ns.get("answer") != 42:
        raise Mistake("answer should be 42.")


def _check_slow(ns):
    if ns.call("slow") != 1:
        raise Mistake("slow() should return 1.")


HINTS = ("first", "second", "third")
LESSON = Lesson("L99", "Toy", "99_toy", (
    Exercise("L99.E1", "double", 2, _check_double, HINTS),
    Exercise("L99.E2", "answer", 1, _check_answer, HINTS),
    Exercise("L99.E3", "slow", 1, _check_slow, HINTS),
))
