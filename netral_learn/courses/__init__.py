"""Courses (versioned, ordered modules), programs that target people, and learning progress."""
