"""Supply-chain operations: checksums, SBOMs, vulnerabilities, signing, provenance, releases."""
