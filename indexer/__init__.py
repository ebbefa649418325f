"""Writing the index: files, cleaning, metadata, structure, the analyzer and the writer."""
