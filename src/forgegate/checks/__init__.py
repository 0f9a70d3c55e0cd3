"""Every rule family; importing this package registers all checks."""

from forgegate.checks import deps, drift, hygiene, meta, release, workflow

__all__ = ["deps", "drift", "hygiene", "meta", "release", "workflow"]
