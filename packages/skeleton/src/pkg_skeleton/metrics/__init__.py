"""Package-specific metrics: the official PKU-MMD detection evaluation and recognition summaries."""
