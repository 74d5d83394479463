"""Dataset readers (official layouts), fake-data writers, transforms and P x K samplers."""
