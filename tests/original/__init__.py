"""Tests that run the original system's own code, unchanged, against homerelay."""
