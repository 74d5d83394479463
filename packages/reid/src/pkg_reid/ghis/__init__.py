"""Global Hard Identity Searching (GHIS)."""
