"""Classification counts and search-quality metrics (Hit@k, regret, Kendall tau-b, Spearman)."""
