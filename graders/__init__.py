"""Pure grading logic: text in, verdict out. No HTTP, no Docker, no global state."""
