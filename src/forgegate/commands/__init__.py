"""Subcommands beyond ``check``: each module adds its parser and implements its command."""
