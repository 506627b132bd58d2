"""Frozen copies of the scoring rules at main 3a5f2e6, the oracle of test_fast_property."""
