"""The drift family: the same fact stated in several places, and the places disagreeing."""

from forgegate.checks.drift import (
    lock_stale,
    python_version,
    sbom_stale,
    tool_versions,
    unhashed_requirements,
    unpinned_base_image,
    version_string,
)

__all__ = [
    "lock_stale",
    "python_version",
    "sbom_stale",
    "tool_versions",
    "unhashed_requirements",
    "unpinned_base_image",
    "version_string",
]
