"""JSON API under /api/v1 for integration clients (personnel systems, provincial dashboards)."""
