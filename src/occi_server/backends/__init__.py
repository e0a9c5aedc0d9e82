"""Clouds behind the OCCI surface; all implement backends.base.Backend."""
