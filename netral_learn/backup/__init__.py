"""Backup and restore: one streamed archive of database, stored files and manifest."""
