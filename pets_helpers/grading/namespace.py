"""How checks see a learner's answers, and how a check becomes a verdict.

A check never touches the learner's objects directly. It asks a *namespace*:

- ``ns.get(name)``: a copy of a value the learner defined (numbers, strings, arrays, frames …),
- ``ns.call(name, *args, **kwargs)``: call a function the learner defined and get a copy of its
  result,
- ``ns.has(name)``: whether the learner defined ``name``.

:class:`LocalNamespace` serves the check cells inside a notebook. The grader uses
``KernelNamespace`` (in :mod:`pets_helpers.grading.kernel`), which runs the learner's function
in the learner's kernel and brings back only plain data (:mod:`.wire`), so nothing the learner patched (say
``numpy.isclose``) or redefined (say ``check``) can reach the comparison.
"""

from __future__ import annotations

import traceback

from .exercise import CheckResult, Exercise, Mistake


class Missing(Exception):
    """The learner has not defined a name the check needs."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(name)


class LearnerError(Exception):
    """The learner's code raised while the check called it."""

    def __init__(self, name: str, ename: str, evalue: str):
        self.name, self.ename, self.evalue = name, ename, evalue
        super().__init__(f"{ename}: {evalue}")


class CallTimeout(Exception):
    """The learner's function did not return in time."""


class KernelDied(Exception):
    """The learner's kernel died; nothing more can be checked."""


def _copy(value, what: str):
    """The copy of ``value`` a check sees: exactly what could cross from the learner's kernel."""
    from .wire import WireError, roundtrip

    try:
        return roundtrip(value)
    except WireError as exc:  # not plain data (a generator, a TenSEAL object, a class…)
        raise LearnerError(what, "UnreadableValue", str(exc)) from None


class LocalNamespace:
    """The learner's own namespace (used by check cells inside the notebook)."""

    def __init__(self, user_ns: dict):
        self._ns = user_ns

    def has(self, name: str) -> bool:
        return name in self._ns

    def get(self, name: str):
        if name not in self._ns:
            raise Missing(name)
        return _copy(self._ns[name], name)

    def call(self, name: str, *args, **kwargs):
        func = self._ns.get(name)
        if func is None:
            raise Missing(name)
        if not callable(func):
            raise LearnerError(name, "TypeError", f"`{name}` is a {type(func).__name__}, "
                               "not a function")
        args, kwargs = _copy((args, kwargs), name)
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            raise LearnerError(name, type(exc).__name__, str(exc)) from None
        return _copy(result, name)


def run_check(exercise: Exercise, ns) -> CheckResult:
    """Run ``exercise.check`` against ``ns`` and turn whatever happens into a verdict.

    Only a check that returns normally passes; a mistake, a missing name, an error or timeout in
    the learner's code, a dead kernel or a bug in the check itself all score zero.
    """
    try:
        praise = exercise.check(ns)
    except Mistake as exc:
        return _fail(exercise, str(exc))
    except Missing as exc:
        return _fail(exercise, f"`{exc.name}` is not defined. Run the cell of {exercise.id} "
                               "first, and check it finished without an error.")
    except LearnerError as exc:
        if exc.ename == "NotDoneYet":
            message = (f"Exercise {exercise.id} is not done yet: replace the "
                       "`raise NotDoneYet(...)` line with your answer and run the cell again.")
        else:
            message = (f"Calling your `{exc.name}` raised {exc.ename}: {exc.evalue}\n"
                       "Fix the error (run the function on a small input to see it), then "
                       "check again.")
        return _fail(exercise, message)
    except CallTimeout as exc:
        return _fail(exercise, f"Your code did not finish in time ({exc}). Look for a loop "
                               "that never ends, or work on whole arrays instead of a Python "
                               "loop over users.")
    except KernelDied:
        return _fail(exercise, "The notebook's kernel died before this exercise could be "
                               "checked, so it scores zero.")
    except Exception as exc:  # a bug in the check must never pass an answer
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _fail(exercise, f"The checker itself failed ({detail}); this scores zero. "
                               "Please report it to the course maintainers.")
    return CheckResult(exercise.id, exercise.title, True, exercise.points, exercise.points,
                       praise or "Correct.")


def _fail(exercise: Exercise, message: str) -> CheckResult:
    return CheckResult(exercise.id, exercise.title, False, 0, exercise.points, message)
