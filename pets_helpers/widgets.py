"""Interactive controls (ε sliders and friends) that degrade to a static figure when headless.

``explore(draw, epsilon=Slider(...), oracle=Choice(...))`` shows the controls and a plot that
``draw(**values)`` redraws whenever a control moves. Under the grader, nbval or any run with
``PETS_HEADLESS=1`` (or outside a Jupyter kernel), it draws once with the default values instead,
so notebooks run the same everywhere.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Sequence

import matplotlib.pyplot as plt


@dataclass(frozen=True)
class Slider:
    """A numeric control; ``log=True`` moves in powers of ten (good for ε)."""

    description: str
    min: float
    max: float
    value: float
    step: float | None = None
    log: bool = False
    integer: bool = False

    def __post_init__(self):
        if not self.min <= self.value <= self.max:
            raise ValueError(f"slider {self.description!r}: value {self.value} is outside "
                             f"[{self.min}, {self.max}]")
        if self.log and self.min <= 0:
            raise ValueError(f"slider {self.description!r}: a log slider needs min > 0")

    def widget(self):
        import ipywidgets as w
        style = {"description_width": "initial"}
        if self.log:
            step = self.step or 0.05
            return w.FloatLogSlider(value=self.value, base=10, min=math.log10(self.min),
                                    max=math.log10(self.max), step=step,
                                    description=self.description, continuous_update=False,
                                    style=style)
        cls = w.IntSlider if self.integer else w.FloatSlider
        step = self.step or (1 if self.integer else (self.max - self.min) / 100)
        return cls(value=self.value, min=self.min, max=self.max, step=step,
                   description=self.description, continuous_update=False, style=style)


@dataclass(frozen=True)
class Choice:
    """A control that picks one of a few options."""

    description: str
    options: Sequence
    value: object

    def __post_init__(self):
        if self.value not in self.options:
            raise ValueError(f"choice {self.description!r}: {self.value!r} is not one of "
                             f"{list(self.options)}")

    def widget(self):
        import ipywidgets as w
        return w.ToggleButtons(options=list(self.options), value=self.value,
                               description=self.description)


def is_headless() -> bool:
    """True under the grader/nbval (``PETS_HEADLESS=1``) or outside a Jupyter kernel."""
    if os.environ.get("PETS_HEADLESS") == "1":
        return True
    try:
        shell = get_ipython()  # noqa: F821
    except NameError:
        return True
    return shell is None or type(shell).__name__ != "ZMQInteractiveShell"


def explore(draw: Callable[..., None], **controls) -> None:
    """Show ``controls`` and a figure that ``draw(**values)`` redraws on every change.

    ``draw`` makes its own figure with matplotlib. Headless, it is drawn once with the defaults.
    """
    _check_controls(controls)
    if is_headless():
        draw(**{name: c.value for name, c in controls.items()})
        plt.show()
        return
    from IPython.display import display

    display(build_explorer(draw, **controls))


def build_explorer(draw: Callable[..., None], **controls):
    """The ipywidgets box behind :func:`explore` (controls on top, the live figure below)."""
    import ipywidgets as w

    _check_controls(controls)
    widgets = {name: c.widget() for name, c in controls.items()}

    def redraw(**values):
        draw(**values)
        plt.show()

    out = w.interactive_output(redraw, widgets)
    return w.VBox([w.HBox(list(widgets.values()), layout=w.Layout(flex_flow="row wrap")), out])


def _check_controls(controls) -> None:
    for name, control in controls.items():
        if not isinstance(control, (Slider, Choice)):
            raise TypeError(f"control {name!r} must be a Slider or a Choice, got "
                            f"{type(control).__name__}")
