"""Rendering only: the headline for `dvc metrics`, the summary, the markdown and the self-contained HTML report.
Nothing here computes a measurement, so a change to the report's look re-runs only `report`.

One job a module, each importing only those above it: format (numbers as text), numbers (what the
report derives from the metrics, no words), phrasing (the verdicts and the answer), summary
(the typed summary, built once: summary.json and headline.json; phrasing reads its types),
figures (the PNGs), contents (ReportData: all of it, read once), then the writers: plots (the TSV
files of `dvc plots`), svg, markdown and html (a function per section)."""
