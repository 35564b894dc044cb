"""Label vectors and layouts: groups, label specs, joint (mask vector)
layouts."""
