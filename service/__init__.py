"""Everything with a network face: schemas, the grading engine, the CLI (and later the HTTP app)."""
