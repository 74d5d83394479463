"""Readers and writers for the official on-disk formats (Caltech, CityPersons, KITTI) and fakes."""
