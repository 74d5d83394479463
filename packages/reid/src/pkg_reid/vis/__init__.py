"""Visualisation: ranked-list montages and hard-identity pair sheets."""
