"""Evaluators that reproduce the official codes (Caltech dbEval code3.2.1, CityPersons Python, KITTI)."""
