"""Certificates: issued once on completion, numbered without gaps, rendered once, verifiable."""
