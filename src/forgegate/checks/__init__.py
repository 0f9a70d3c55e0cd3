"""Every rule family; importing this package registers all checks."""

from forgegate.checks import deps, hygiene, meta, release, workflow

__all__ = ["deps", "hygiene", "meta", "release", "workflow"]
