"""Everything that talks to the GitHub REST API (through PyGithub) lives in this package."""
