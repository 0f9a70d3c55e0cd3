"""Repository hygiene: files that should not be tracked, leaked secrets, missing basics.

Every module in this package defines one rule; importing the package imports them all.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
