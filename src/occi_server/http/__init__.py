"""The HTTP surface: routes, auth, errors -> status codes. Nothing imports this package."""
