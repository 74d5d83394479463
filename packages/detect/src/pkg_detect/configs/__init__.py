"""YAML recipes shipped inside the wheel."""
