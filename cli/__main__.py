"""`python -m cli …` is the `govsearch` command (the tests run it this way)."""
from .main import main

main()
