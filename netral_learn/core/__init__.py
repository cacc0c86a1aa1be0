"""Cross-cutting pieces shared by the feature packages."""
