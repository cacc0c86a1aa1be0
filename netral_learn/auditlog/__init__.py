"""The audit log for inspectors: its page, its anchors outside the database, its commands."""
