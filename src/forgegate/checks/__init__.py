"""Every rule family; importing this package registers all checks."""

from forgegate.checks import hygiene, meta, release, workflow

__all__ = ["hygiene", "meta", "release", "workflow"]
