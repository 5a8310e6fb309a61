"""Composition root: the app factory, websocket gateway, scheduler, CLI and demo data."""
