"""`govsearch` on the command line: a thin skin over indexer/ and search/ that needs no Flask."""

import indexer  # noqa: F401  (before numpy loads: one BLAS thread, see indexer/__init__.py)
