"""Dataset sources (fetch + checksum + parse) and preparation (scarcity, split, one file per class)."""
