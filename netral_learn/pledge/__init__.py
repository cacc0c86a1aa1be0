"""Ikrar serentak: a timed pledge event with a public big-screen tally per OPD."""
