"""CPU baselines."""
