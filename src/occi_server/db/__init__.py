"""Persistence shared by the local backend and the identity store: engine, tables, migrations."""
