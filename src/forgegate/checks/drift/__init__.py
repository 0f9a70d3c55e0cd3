"""The drift family: the same fact stated in several places, and the places disagreeing."""

from forgegate.checks.drift import (
    lock_stale,
    sbom_stale,
    unhashed_requirements,
    unpinned_base_image,
    version_string,
)

__all__ = [
    "lock_stale",
    "sbom_stale",
    "unhashed_requirements",
    "unpinned_base_image",
    "version_string",
]
