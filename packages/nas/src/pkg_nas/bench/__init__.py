"""The layer-assignment architecture dataset: builder, JSONL records, queries and analysis."""
