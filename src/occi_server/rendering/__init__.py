"""Renderings: the grammars and shapes of each media type, both directions. No clouds here."""

from occi_server.rendering.html import install as _install_html
from occi_server.rendering.json_media import install as _install_json

# The JSON rendering plugs itself into negotiate's registry as soon as the package is imported.
_install_json()
# HTML console (text/html): registered after JSON, so wildcards still prefer the OCCI types.
_install_html()
