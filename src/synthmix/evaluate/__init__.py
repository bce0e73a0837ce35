"""Test-set metrics, and the report that gathers every stage's results."""
