"""BKPSDM reports: completion funnel per unit subtree, follow-up lists, exports, API."""
