"""Console scripts: thin wrappers over the library."""
