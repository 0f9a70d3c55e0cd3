"""forgegate: a supply-chain and repository-health gate for GitHub."""

__version__ = "0.1.0"
