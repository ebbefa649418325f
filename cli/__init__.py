"""`govsearch` on the command line: a thin skin over indexer/ and search/ that needs no Flask."""
