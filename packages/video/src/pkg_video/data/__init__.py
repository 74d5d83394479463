"""Official-format readers (Kinetics-400 CSVs, Moments in Time, MMAction2 lists), sampling, transforms."""
