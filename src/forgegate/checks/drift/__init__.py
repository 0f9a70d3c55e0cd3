"""Drift gates: facts that several files state and that have stopped agreeing (lock vs
declared dependencies, tool pins, Python versions, version strings, image and hash pins, SBOMs).

Every module here whose name does not start with ``_`` defines one rule; importing the package
imports them all. ``_project`` and ``_locks`` read pyproject.toml and lock files for them.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
