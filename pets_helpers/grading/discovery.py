"""Finding the lessons: the engine discovers them, it does not import the content by name.

A module ``lNN_name.py`` in :data:`CONTENT_PACKAGE` *is* lesson ``LNN`` with notebook
``NN_name.ipynb`` — the file name is where a lesson's identity is written. Its ``Lesson(...)``
must repeat the same id and notebook stem (checked when it is loaded), and the release command
stamps the id into the notebook's metadata. Adding a lesson is adding its module: no registry.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from functools import lru_cache

CONTENT_PACKAGE = "pets_helpers.lessons"
MODULE_NAME = re.compile(r"^l(\d{2})_([a-z0-9_]+)$")


def discover() -> dict[str, str]:
    """Lesson id → module name, for every ``lNN_*.py`` in this package, in lesson order."""
    found = {}
    spec = importlib.util.find_spec(CONTENT_PACKAGE)
    for info in pkgutil.iter_modules(list(spec.submodule_search_locations or [])):
        match = MODULE_NAME.match(info.name)
        if not match:
            continue
        lesson_id = f"L{match.group(1)}"
        if lesson_id in found:
            raise RuntimeError(f"two modules claim lesson {lesson_id}: {found[lesson_id]} and "
                               f"{info.name}; keep one lNN_*.py per lesson")
        found[lesson_id] = info.name
    return dict(sorted(found.items()))


def lesson_ids() -> list[str]:
    """The ids of every lesson in the course, in order (``["L00", "L01", ...]``)."""
    return list(discover())


def notebook_stem(lesson_id: str) -> str:
    """The stem of a lesson's notebook file, from its module name (``L01`` → ``01_...``)."""
    return _module_name(lesson_id)[1:]


def _module_name(lesson_id: str) -> str:
    modules = discover()
    if lesson_id not in modules:
        raise KeyError(f"unknown lesson {lesson_id!r}; the course has {', '.join(modules)}.")
    return modules[lesson_id]


@lru_cache(maxsize=None)
def get_lesson(lesson_id: str):
    """The :class:`~pets_helpers.grading.Lesson` with id ``lesson_id`` (e.g. ``"L01"``)."""
    name = _module_name(lesson_id)
    lesson = importlib.import_module(f"{CONTENT_PACKAGE}.{name}").LESSON
    if lesson.id != lesson_id or lesson.notebook != name[1:]:
        raise RuntimeError(f"{name}.py defines Lesson({lesson.id!r}, ..., {lesson.notebook!r}); "
                           f"its file name makes it {lesson_id!r} with notebook {name[1:]!r}.")
    return lesson


def find_exercise(exercise_id: str):
    """The exercise with id ``exercise_id`` (e.g. ``"L01.E2"``), from its lesson."""
    if not isinstance(exercise_id, str) or "." not in exercise_id:
        raise ValueError(f"exercise ids look like 'L01.E2', got {exercise_id!r}.")
    return get_lesson(exercise_id.split(".")[0]).exercise(exercise_id)
