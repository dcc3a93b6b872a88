"""The grading engine: exercises and checks, feedback boxes, hints, the notebook grader.

It knows nothing of any one lesson; lessons live in :mod:`pets_helpers.lessons`.
"""

from .exercise import CheckResult, Exercise, Lesson, Mistake, NotDoneYet
from .in_notebook import check, hint

__all__ = ["CheckResult", "Exercise", "Lesson", "Mistake", "NotDoneYet", "check", "hint"]
