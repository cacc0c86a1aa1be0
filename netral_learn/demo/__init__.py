"""Demo data: one regency with realistic OPDs and about 300 people."""
