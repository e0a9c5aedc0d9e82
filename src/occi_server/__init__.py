"""occi-server: an OCCI 1.2 (and 1.1) server with an embedded cloud and an OpenStack backend."""

__version__ = "0.1.0"
