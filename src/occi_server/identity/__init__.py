"""Local identities: projects, users and tokens on the server's own database."""

from occi_server.identity.store import Identity, IdentityStore, Project, User

__all__ = ["Identity", "IdentityStore", "Project", "User"]
