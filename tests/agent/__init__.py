"""Tests of the Pi agent."""
