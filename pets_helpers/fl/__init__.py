"""Federated learning (Lessons 04–06)."""
