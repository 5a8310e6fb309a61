"""Uploaded files (快传): streamed storage with SHA-256, readable only through what references them."""
