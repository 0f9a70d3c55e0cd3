"""Repository hygiene: files that should not be tracked, leaked secrets, missing basics."""

from forgegate.checks.hygiene import backup_files

__all__ = ["backup_files"]
