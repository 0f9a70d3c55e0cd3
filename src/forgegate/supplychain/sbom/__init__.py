"""CycloneDX SBOMs: dependency sources (``sources``) and the document built from them (``bom``)."""
