"""Shared by every stage: atomic file I/O, runtime setup (device, threads, seeds), image conversions."""
