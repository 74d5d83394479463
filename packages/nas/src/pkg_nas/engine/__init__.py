"""Training, evaluation and inference loops (plain PyTorch, visible top to bottom)."""
