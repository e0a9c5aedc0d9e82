"""The catalogue of standard categories (data only; no HTTP, no clouds)."""
