"""Dependency rules, reported by `forgegate audit` and `forgegate licenses`.

Every module here defines rules; importing the package imports them all.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
