"""Fail if a built page loads anything from the network: every script, stylesheet, image, frame or font it
asks for must be a file of the site (links to read elsewhere are fine).

python docs/_scripts/check_offline.py build/docs
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Tags whose address the browser fetches by itself, with the attribute that holds it.
FETCHED = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)"
    r"|<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[^>]*>"
    r"|url\(\s*[\"']?([^\"')]+)",
    re.I,
)
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def remote_loads(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        for match in FETCHED.finditer(path.read_text(errors="replace")):
            address = next(group for group in match.groups() if group)
            tag = match.group(0)
            if tag.lower().startswith("<link") and re.search(r"rel\s*=\s*[\"']?(?:canonical|alternate)", tag, re.I):
                continue  # a link the reader may follow, not a load
            if REMOTE.match(address):
                found.append(f"{path.relative_to(root)}: {address}")
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "build/docs")
    found = remote_loads(root)
    for line in found:
        print(line)
    print(f"{len(found)} remote loads in {root}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
