"""Automatic fixes: planning and rewriting, no network and no printing (see ``pins``).

The ``forgegate fix`` command glue lives in :mod:`forgegate.commands.fix_pins`.
"""
