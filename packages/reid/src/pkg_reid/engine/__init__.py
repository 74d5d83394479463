"""Training, extraction and evaluation engines (plain PyTorch loops)."""
