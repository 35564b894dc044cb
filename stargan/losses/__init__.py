"""Loss terms as small functions returning Variables."""
