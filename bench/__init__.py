"""Benchmarks of homerelay side by side with the original one-slot relay (`python -m bench`)."""
