"""jsonschema, imported without one slow optional format checker.

jsonschema imports its optional format checkers when it is imported. rfc3987-syntax (installed
wherever jsonschema[format-nongpl] is, e.g. beside cyclonedx-bom) compiles a grammar for about a
second at import, which would triple the time of a one-file ``forgegate check``. forgegate's
schemas use no IRI formats, so that module is kept out of the import (once, for the process).
"""

from __future__ import annotations

import sys

_BLOCK = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
if _BLOCK:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
try:
    import jsonschema
finally:
    if _BLOCK:
        del sys.modules["rfc3987_syntax"]

__all__ = ["jsonschema"]
