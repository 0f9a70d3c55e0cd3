"""The rule families, one subpackage (or module) each; :mod:`forgegate.registry` imports a
family when a run or a rule id needs it, which registers its checks."""
