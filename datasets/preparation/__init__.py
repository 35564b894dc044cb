"""Raw pictures -> face training sets: detection, filters, the prepare
pipeline."""
