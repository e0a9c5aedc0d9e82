"""Renderings: the grammars and shapes of each media type, both directions. No clouds here."""
