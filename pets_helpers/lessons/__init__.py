"""The course content: one module per lesson, each defining ``LESSON`` (its exercises)."""

from __future__ import annotations

import importlib

MODULES = {
    "L00": "l00_welcome",
    "L01": "l01_randomized_response",
    "L02": "l02_central_dp",
    "L03": "l03_composition",
    "L07": "l07_ckks",
    "L08": "l08_encrypted_scoring",
    "L09": "l09_synthetic_tables",
}


def get_lesson(lesson_id: str):
    """The :class:`~pets_helpers.grading.Lesson` with id ``lesson_id`` (e.g. ``"L01"``)."""
    if lesson_id not in MODULES:
        raise KeyError(f"unknown lesson {lesson_id!r}; the course has {', '.join(MODULES)}.")
    return importlib.import_module(f"{__name__}.{MODULES[lesson_id]}").LESSON


def find_exercise(exercise_id: str):
    """The exercise with id ``exercise_id`` (e.g. ``"L01.E2"``), from its lesson."""
    if not isinstance(exercise_id, str) or "." not in exercise_id:
        raise ValueError(f"exercise ids look like 'L01.E2', got {exercise_id!r}.")
    return get_lesson(exercise_id.split(".")[0]).exercise(exercise_id)
