"""OCCI Core model: plain data, no HTTP, no formats, no clouds."""

from occi_server.model.attribute import Attribute, AttributeType
from occi_server.model.category import Action, Category, Kind, Mixin
from occi_server.model.entity import Entity, Link, Resource

__all__ = [
    "Action",
    "Attribute",
    "AttributeType",
    "Category",
    "Entity",
    "Kind",
    "Link",
    "Mixin",
    "Resource",
]
