"""The part of the grader that runs inside the learner's kernel.

- :func:`serve` answers one request ``(op, name, args, kwargs, closed)`` read from a file (``closed``:
  the shortcuts of the exercise being checked); the answer,
  ``("ok", value)``, ``("missing",)`` or ``("error", ename, evalue)``, is written back in the
  data-only :mod:`~pets_helpers.grading.wire` format, so only plain data ever leaves the kernel.
- :func:`close_shortcuts` guards the library functions that are the answer to an exercise: they
  refuse the learner's code while that exercise's check calls into it (and only then); it also
  blocks importing the lesson modules (they hold reference answers).

Everything here runs in the learner's process and can be patched by the learner: the grader
never trusts what comes back beyond decoding it as plain data and checking it.
"""

import contextlib
import os
import sys

SHORTCUT_MESSAGE = ("write it yourself; the library's version ({name}) is switched off while "
                    "your answer is checked or graded")
LESSONS_PACKAGE = "pets_helpers.lessons"
#: The shortcuts closed right now: those of the exercise whose check is calling into the
#: learner's code. Empty otherwise — the notebook's own cells, and the checks of other exercises
#: (a later exercise may build on the library's version of an earlier one), use the library freely.
_closed: frozenset = frozenset()


def serve(request_path: str, response_path: str) -> None:
    from pets_helpers.grading import wire

    global _closed
    user_ns = get_ipython().user_ns  # noqa: F821 — defined inside IPython kernels
    with open(request_path, "rb") as fh:
        op, name, args, kwargs, shortcuts = wire.decode(fh.read())
    _closed = frozenset(shortcuts)
    try:
        if op == "has":
            answer = ("ok", name in user_ns)
        elif name not in user_ns:
            answer = ("missing",)
        elif op == "get":
            answer = ("ok", user_ns[name])
        else:
            func = user_ns[name]
            if not callable(func):
                raise TypeError(f"`{name}` is a {type(func).__name__}, not a function")
            answer = ("ok", func(*args, **kwargs))
        data = wire.encode(answer)
    except wire.WireError as exc:
        data = wire.encode(("error", "UnreadableValue", str(exc)))
    except Exception as exc:
        data = wire.encode(("error", type(exc).__name__, str(exc)[:2000]))
    finally:
        _closed = frozenset()
    with open(response_path, "wb") as fh:
        fh.write(data)


class ShortcutClosed(RuntimeError):
    """Raised when learner code calls a library function that is an exercise's answer."""


def _from_library(frame, package_dir: str) -> bool:
    """True when ``frame`` runs course code (not the learner's, and not :func:`serve` calling
    a learner's name that is bound straight to a library function)."""
    return (frame is not None and frame.f_code.co_filename.startswith(package_dir)
            and frame.f_code.co_filename != __file__)


def _blocked(func, name: str, package_dir: str):
    import functools

    @functools.wraps(func)
    def guard(*args, **kwargs):
        # The library may still use its own functions; learner code may not, while checked.
        if name not in _closed or _from_library(sys._getframe(1), package_dir):
            return func(*args, **kwargs)
        raise ShortcutClosed(SHORTCUT_MESSAGE.format(name=name))

    guard.__pets_shortcut__ = True
    return guard


class _LessonBlocker:
    """An import hook refusing ``pets_helpers.lessons.lNN_*`` to learner code while grading:
    lesson modules hold reference answers. The course's own code (``check``/``hint``) may
    still load them."""

    def __init__(self, package_dir: str):
        self.package_dir = package_dir

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(LESSONS_PACKAGE + ".l"):
            return None
        import importlib

        machinery = os.path.dirname(importlib.__file__)
        frame = sys._getframe(1)
        while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                     or frame.f_code.co_filename.startswith(machinery)):
            frame = frame.f_back
        if _from_library(frame, self.package_dir):
            return None
        raise ImportError(f"{fullname} holds the course's reference answers and cannot be "
                          f"imported from a notebook while grading; use the library "
                          f"(pets_helpers.ldp, pets_helpers.dp, ...) instead.")


def close_shortcuts(shortcuts) -> list[str]:
    """Guard every ``"module:qualname"`` in ``shortcuts`` (:func:`guard_shortcuts`) and block
    imports of lesson modules, before any learner code runs. Returns the shortcuts that could
    not be found (so a lesson naming a wrong one is noticed)."""
    package_dir = _package_dir()
    for name in list(sys.modules):
        if name.startswith(LESSONS_PACKAGE + ".l"):
            del sys.modules[name]
    sys.meta_path.insert(0, _LessonBlocker(package_dir))
    return guard_shortcuts(shortcuts)


_guarded: set = set()


def _package_dir() -> str:
    import pets_helpers

    return os.path.dirname(os.path.abspath(pets_helpers.__file__)) + os.sep


def guard_shortcuts(shortcuts, namespaces=()) -> list[str]:
    """Replace each ``"module:qualname"`` in ``shortcuts`` by a guard that raises
    :class:`ShortcutClosed` when code outside the package calls it while the shortcut is in
    :data:`_closed` (see :func:`closed`), wherever the function is bound in an imported
    ``pets_helpers`` module or in one of ``namespaces`` (a notebook's globals, for names
    imported before). Guarding twice is a no-op. Returns the shortcuts not found."""
    import importlib

    package_dir = _package_dir()
    missing, originals = [], {}
    for spec in shortcuts:
        if spec in _guarded:
            continue
        module_name, _, qualname = spec.partition(":")
        try:
            owner = importlib.import_module(module_name)
            *path, attr = qualname.split(".")
            for part in path:
                owner = getattr(owner, part)
            func = getattr(owner, attr)
        except (ImportError, AttributeError, ValueError):
            missing.append(spec)
            continue
        _guarded.add(spec)
        raw = vars(owner).get(attr) if isinstance(owner, type) else None
        if isinstance(raw, property):  # a computed attribute: guard its getter
            setattr(owner, attr, property(_blocked(raw.fget, spec, package_dir), raw.fset,
                                          raw.fdel, raw.__doc__))
            continue
        guard = _blocked(func, spec, package_dir)
        setattr(owner, attr, guard)
        originals[id(func)] = guard
    # Rebind every other name under which the same function was imported (``from .x import f``).
    if originals:
        spaces = [vars(module) for name, module in list(sys.modules.items())
                  if name.startswith("pets_helpers") and module is not None]
        for space in spaces + list(namespaces):
            for attr, value in list(space.items()):
                guard = originals.get(id(value))
                if guard is not None and value is not guard:
                    space[attr] = guard
    return missing


@contextlib.contextmanager
def closed(shortcuts):
    """Close ``shortcuts`` (already guarded) for the duration of the block, as during a check."""
    global _closed
    before, _closed = _closed, frozenset(shortcuts)
    try:
        yield
    finally:
        _closed = before
