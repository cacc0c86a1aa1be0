"""Pages that belong to no single feature: beranda, language switch, health checks."""
