"""Rendering only: the headline for `dvc metrics`, the summary, the markdown and the self-contained HTML report.
Nothing here computes a measurement, so a change to the report's look re-runs only `report`."""
