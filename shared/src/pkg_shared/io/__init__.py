"""Readers for video, audio, images and annotation tables; every failure names the file."""
