"""GitHub Actions workflow and action audit: pins, permissions, injection, triggers, credentials.

Every module here whose name does not start with ``_`` defines one rule; importing the package
imports them all. ``_yaml`` and ``_model`` hold the shared parser and the workflow/action view.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
