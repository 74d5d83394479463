"""Evaluation: official Market-1501 protocol (two AP conventions), CUHK03 classic, re-ranking."""
