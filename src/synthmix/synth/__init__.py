"""Synthetic images: the filter rule relative to the judge, generate-until-enough, refinement."""
