"""Benchmarks (issue 5): `python -m bench [--quick]` measures Storelink beside its baselines.

Every section starts what it needs (a private Redis, fresh databases, gunicorn, RQ workers,
the store emulator), prints one `name value unit` line per figure as it goes, and stops all
of it again. The run ends with the five ratio lines the issue asks for. Benchmarks are not
tests: nothing here asserts a timing.
"""
