"""Build .dvc/plots/offline.html: the page `dvc plots show` fills, with vega, vega-lite and
vega-embed inside it, so the plots draw without a network (DVC's own page loads them from a CDN).

    python scripts/offline_plots.py          # downloads the three packages from the npm registry

The versions are the ones DVC's page asks for (dvc_render.vega.VegaRenderer.SCRIPTS), each checked
against the npm registry's sha512 before use. The three are BSD-3-Clause (University of Washington
Interactive Data Lab); each licence text is copied into the page above its code. `.dvc/config`
points `plots.html_template` at the page. Run this again only to change versions.
"""
from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".dvc" / "plots" / "offline.html"
# package, version, file in its tarball, npm's sha512 of the tarball
PACKAGES = [
    ("vega", "5.20.2", "package/build/vega.min.js",
     "qmH7aD9GGPpssVdxL1xgcdxTbQzyRUeRR16Os385ymvQhiwCYQNA6+eXUPAZDTVLfk0RXu6Jzj6kUE5jQ80EVw=="),
    ("vega-lite", "5.2.0", "package/build/vega-lite.min.js",
     "Yxcg8MvYfxHcG6BbkaKT0oVCIMIcE19UvqIsEwBmyd/7h2nzW7oRnID81T8UrY7hpDrIr6wa2JADOT2dhGNErw=="),
    ("vega-embed", "6.18.2", "package/build/vega-embed.min.js",
     "wcDyQPE4J5aiCDc3/suH5RQDvrKkjuLkhzUcbOLwEkNF8/+pp17tS0JghzEvAPNRg+5aG1/N2ydixq8Lk3dOlg=="),
]
REGISTRY = "https://registry.npmjs.org"

PAGE = """<!DOCTYPE html>
<!-- synthmix: DVC's plots page with its scripts inside (built by scripts/offline_plots.py), so
     `dvc plots show` draws without a network. The placeholders are DVC's. -->
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
__SCRIPTS__
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def package_files(name: str, version: str, member: str, sha512: str) -> tuple[str, str]:
    """(licence text, minified script) of one npm package, its tarball checked against sha512."""
    url = f"{REGISTRY}/{name}/-/{name}-{version}.tgz"
    data = urllib.request.urlopen(url, timeout=60).read()
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != sha512:
        raise SystemExit(f"{url}: sha512 {got} is not the pinned {sha512}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        def read(path: str) -> str:
            member = tar.extractfile(path) if path in tar.getnames() else None
            if member is None:
                raise SystemExit(f"{url}: no file {path} in the package")
            return member.read().decode("utf-8")
        return read("package/LICENSE"), read(member)


def main() -> None:
    blocks = []
    for name, version, member, sha512 in PACKAGES:
        licence, script = package_files(name, version, member, sha512)
        if "</script" in script or any("{" + p + "}" in script for p in ("scripts", "plot_divs", "refresh_tag")):
            raise SystemExit(f"{name}: its code holds a string that would end the <script> or a DVC placeholder")
        licence = licence.replace("--", "- -")          # inside an HTML comment
        blocks.append(f"<!-- {name} {version} ({REGISTRY}/{name}), licence:\n{licence}-->\n<script>{script}</script>")
    OUT.write_text(PAGE.replace("__SCRIPTS__", "\n".join(blocks)), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
