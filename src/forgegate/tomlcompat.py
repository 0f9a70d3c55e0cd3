"""``tomllib`` on Python 3.11+, the ``tomli`` backport on 3.10 (one place for the fallback)."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["tomllib"]
