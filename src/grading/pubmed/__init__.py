"""PubMed: resolving citations to PMIDs and retrieving records — the E-utilities client and its pacer, the XML parser, the offline snapshot and local mirror, revision checks."""
