"""The course content: one module per lesson, ``lNN_name.py``, each defining ``LESSON``.

Lessons are discovered by :mod:`pets_helpers.grading.discovery` from these file names; nothing
here needs editing when a lesson is added.
"""

from ..grading.discovery import discover, find_exercise, get_lesson, lesson_ids, notebook_stem

MODULES = discover()

__all__ = ["MODULES", "discover", "find_exercise", "get_lesson", "lesson_ids", "notebook_stem"]
