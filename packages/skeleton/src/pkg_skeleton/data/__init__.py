"""Readers for the official on-disk formats (NTU RGB+D, SBU Kinect, PKU-MMD), interop and transforms."""
