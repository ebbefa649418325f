"""Reading the index: query parsing, ranking, facets, highlighting, the result model."""
