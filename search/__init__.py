"""Reading the index: query parsing, ranking, facets, highlighting, the result model."""

import indexer  # noqa: F401  (before numpy loads: one BLAS thread, see indexer/__init__.py)
