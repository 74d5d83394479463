"""Training, evaluation, inference, detection and export (plain PyTorch, the loop visible in train.py)."""
