"""CDMI (SNIA Cloud Data Management Interface 1.1.1 / 2.0, ISO/IEC 17826): the pieces that know
the standard but neither HTTP nor a cloud: object IDs (objectid.py), byte ranges (ranges.py),
capabilities (capabilities.py) and the JSON bodies of containers and data objects (bodies.py).
http/cdmi.py serves them at /cdmi/ over a backend's stored objects (backends/base.ObjectStore)."""
