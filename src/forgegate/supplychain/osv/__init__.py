"""An offline OSV database: read, index, match, and serve it to pip-audit on 127.0.0.1.

``osv-schema.json`` is ossf/osv-schema's validation/schema.json (Apache-2.0), commit
51b8156b69b9e2e9ff2301e649db61636067fcfa; a test keeps it equal to the copy in ../shared.
"""
