"""Homomorphic encryption (CKKS via TenSEAL): secure parameters, depth accounting, measurement.

Guarantees: every parameter set built here is checked against the HomomorphicEncryption.org
128-bit security table (:data:`SECURITY_TABLE_128`) before a context exists; the course's
named sets (:data:`COURSE_PARAMS`) are validated at import.

- Parameters: :class:`CKKSParams` (``validate`` raises :class:`InsecureParameters` over the
  table), :func:`propose_params` (cheapest secure set for a depth and a precision target),
  :func:`predicted_precision_bits` (the precision model it uses).
- Contexts and depth: :func:`make_context`, :func:`levels_left`, :func:`guard_depth`,
  :func:`explain_scale_error` → :class:`DepthExhausted`.
- Measurement (Lesson 07 explorer): :func:`precision_bits`, :func:`measure`,
  :func:`error_vs_depth`.
"""

from .ckks import (
    DepthExhausted,
    error_vs_depth,
    explain_scale_error,
    guard_depth,
    levels_left,
    make_context,
    measure,
    precision_bits,
)
from .params import (
    COURSE_PARAMS,
    SECURITY_TABLE_128,
    CKKSParams,
    InsecureParameters,
    predicted_precision_bits,
    propose_params,
)

__all__ = [
    "COURSE_PARAMS",
    "SECURITY_TABLE_128",
    "CKKSParams",
    "DepthExhausted",
    "InsecureParameters",
    "error_vs_depth",
    "explain_scale_error",
    "guard_depth",
    "levels_left",
    "make_context",
    "measure",
    "precision_bits",
    "predicted_precision_bits",
    "propose_params",
]
