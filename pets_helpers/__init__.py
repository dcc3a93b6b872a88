"""PETs Lab helpers: real privacy mechanisms, widgets and the course autograder.

Layers:
- the library: one sub-package per PET (``ldp``, ``dp``, ``accounting``, ``fl``, ``he``, later
  ``synth``), ``attacks``, the data (``datasets`` — one module per table —, ``census``,
  ``linkage``), plus ``randomness``, ``validation``, ``plots`` and ``widgets``;
- the engine: ``grading`` (checks, feedback, notebook runner, reports) and ``release``;
- the content: ``lessons`` (one module per lesson: exercises, checks, hints).
"""

__version__ = "0.1.0"
