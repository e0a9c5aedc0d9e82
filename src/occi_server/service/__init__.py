"""OCCI behaviour: what each operation means and what it answers. No formats, no HTTP, no SQL."""
