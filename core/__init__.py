"""Kernel of Tongban: settings, database, event feed and bus, auth primitives, audit, errors."""
