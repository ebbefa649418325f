"""Writing the index: files, cleaning, metadata, structure, the analyzer and the writer."""

import os

# numpy's OpenBLAS starts a thread per core and keeps them spinning between calls.
# Our products are small (a unit's sentences by its words, 3,000 candidates by 128
# dimensions) and our parallelism is processes (the writer's, the server's workers):
# the threads only took CPU from them (a unit's topic vector cost twice its time in
# CPU).  OpenBLAS reads this once, when numpy loads; a value already set wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
