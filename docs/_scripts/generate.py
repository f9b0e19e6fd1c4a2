"""Write the documentation's generated sources into docs/_generated/ (run by docs/conf.py at every build).

- ``bench/<name>.md`` and ``benchmarks.md``: each ``bench/results/<name>.json`` as a Markdown table under the command
  that produced it, formatted by ``bench/report.py`` (the one formatter of the results); no number is copied by hand.
- ``modules.md``: every module of ``python/netscope``, folder by folder, with the first sentence of its docstring, read
  from the tree itself, so that the design guide cannot drift from it.
- ``layers.md``: the layers and what each may import, from ``tests/test_layers.py``.
- ``cli.md``: the ``netscope`` command's help, as argparse prints it.
- ``docs/notebooks/*.ipynb``: copies of ``examples/*.ipynb`` (kept without outputs), which myst-nb executes.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
PACKAGE = ROOT / "python" / "netscope"


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only if it changed, so that Sphinx rebuilds only what did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def benchmarks() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import report
    finally:
        sys.path.remove(str(ROOT / "bench"))
    names = sorted(path.stem for path in report.RESULTS.glob("*.json"))
    untitled = sorted(set(names) - set(report.TITLES))
    if untitled:
        raise RuntimeError(f"bench/results has {untitled} without a title in bench/report.py's TITLES")
    parts = []
    for name in report.TITLES:
        if name not in names:
            continue
        table = report.markdown(name)
        write(GENERATED / "bench" / f"{name}.md", table)
        machine = json.loads((report.RESULTS / f"{name}.json").read_text()).get("machine", {})
        where = ", ".join(f"{key} {value}" for key, value in machine.items())
        parts.append(f"{table}\n*`bench/results/{name}.json`; {where}.*\n")
    write(GENERATED / "benchmarks.md", "\n".join(parts))


def first_sentence(doc: str | None) -> str:
    paragraph = " ".join((doc or "").split("\n\n")[0].split())
    end = paragraph.find(". ")
    sentence = paragraph[: end + 1] if end >= 0 else paragraph
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", sentence).replace("|", "\\|")


def modules() -> None:
    lines = []
    folders = sorted({path.parent for path in PACKAGE.rglob("*.py")})
    for folder in folders:
        name = ".".join(("netscope", *folder.relative_to(PACKAGE).parts))
        lines += [f"**`{folder.relative_to(ROOT)}/`** (`{name}`)", "", "| module | what it holds |", "|---|---|"]
        for path in sorted(folder.glob("*.py")):
            doc = ast.get_docstring(ast.parse(path.read_text()))
            lines.append(f"| `{path.name}` | {first_sentence(doc)} |")
        lines.append("")
    write(GENERATED / "modules.md", "\n".join(lines))


def layers() -> None:
    """The import rule of ``tests/test_layers.py`` (``LAYERS``, ``ALLOWED``) as a table, read without importing it."""
    tree = ast.parse((ROOT / "tests" / "test_layers.py").read_text())
    values = {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in ("LAYERS", "ALLOWED")
    }
    lines = ["| layer (from the bottom) | folder | may import |", "|---|---|---|"]
    for layer in values["LAYERS"]:
        allowed = ", ".join(
            f"`{name}`" for name in values["LAYERS"] if name in values["ALLOWED"][layer] and name != layer
        )
        lines.append(f"| `{layer}` | `python/netscope/{layer}/` | {allowed or 'nothing of netscope but itself'} |")
    write(GENERATED / "layers.md", "\n".join(lines) + "\n")


def cli() -> None:
    os.environ["COLUMNS"] = "100"  # argparse wraps the help to the terminal's width
    from netscope.cli import build_parser

    parser = build_parser()
    parts = ["```text", parser.format_help().rstrip(), "```", ""]
    commands = next(action for action in parser._actions if action.dest == "command")
    for name, command in commands.choices.items():
        parts += [f"## `netscope {name}`", "", "```text", command.format_help().rstrip(), "```", ""]
    write(GENERATED / "cli.md", "\n".join(parts))


def notebooks() -> None:
    for path in sorted((ROOT / "examples").glob("*.ipynb")):
        write(DOCS / "notebooks" / path.name, path.read_text())


def main() -> None:
    benchmarks()
    modules()
    layers()
    cli()
    notebooks()


if __name__ == "__main__":
    main()
