"""The documentation's sources cover the public API and describe the tree as it is (no docs build needed:
``sphinx-build -W`` in .ci/run checks that the pages render)."""

import ast
import importlib
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "netscope"
DOCS = ROOT / "docs"
API = sorted((DOCS / "api").glob("*.rst"))
AUTO = re.compile(r"^\.\. auto(?:class|function|module|data|exception|attribute)::\s*(\S+)")


def declared_all(package: str, init: Path):
    """The ``__all__`` of ``package`` as its ``__init__.py`` spells it (importing it only if not a literal), or None."""
    for node in ast.parse(init.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:
                return list(importlib.import_module(package).__all__)
    return None


def public_packages():
    """Every package of netscope whose name has no leading underscore, as (dotted name, folder)."""
    for init in sorted(PACKAGE.rglob("__init__.py")):
        parts = init.parent.relative_to(PACKAGE).parts
        if not any(part.startswith("_") for part in parts):
            yield ".".join(("netscope", *parts)), init.parent


# The command line's reference is its help, generated into docs/cli.md, not the API reference.
COMMAND_LINE = {"netscope.cli"}


def required_names():
    """What the API reference must cover: each name of a public package's ``__all__``; a package without one, as a
    whole (listed with ``:recursive:``, which documents every public module it has when the site is built) or
    module by module."""
    for package, folder in public_packages():
        if package in COMMAND_LINE:
            continue
        names = declared_all(package, folder / "__init__.py")
        if names is not None:
            yield from (f"{package}.{name}" for name in names)
        else:
            yield (
                package,
                {
                    f"{package}.{path.stem}"
                    for path in sorted(folder.glob("*.py"))
                    if path.stem.isidentifier() and not path.stem.startswith("_")
                },
            )


def documented_names():
    """The names that the API reference's sources list (in autosummary tables or auto* directives), and those of
    them listed under ``:recursive:``."""
    names, recursive = set(), set()
    for path in API:
        module, summary, options = None, None, set()
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(".. currentmodule::"):
                module = stripped.split("::", 1)[1].strip()
            if stripped.startswith(".. autosummary::"):
                summary, options = [], set()
                continue
            if summary is not None:
                if line and not line[0].isspace():
                    summary = None
                elif stripped.startswith(":"):
                    options.add(stripped.split(":")[1])
                elif stripped:
                    name = stripped if "." in stripped or module is None else f"{module}.{stripped}"
                    names.add(name)
                    if "recursive" in options:
                        recursive.add(name)
                    continue
            match = AUTO.match(stripped)
            if match:
                target = match.group(1)
                names.add(target if "." in target or module is None else f"{module}.{target}")
    return names, recursive


def test_the_api_reference_lists_every_public_name():
    names, recursive = documented_names()
    missing = []
    for required in required_names():
        if isinstance(required, str):
            missing += [required] if required not in names else []
        else:
            package, modules = required
            missing += [] if package in recursive else sorted(modules - names)
    assert not missing, f"add these to docs/api/index.rst: {missing}"
    assert "netscope.ActiveSubspace" in names and "netscope.integrations.LightningRecorder" in names


def test_the_api_reference_lists_nothing_that_is_gone():
    """Each listed name is a public name today (a renamed module would otherwise leave a page that fails)."""
    public = set()
    for required in required_names():
        public |= {required} if isinstance(required, str) else {required[0], *required[1]}
    gone = sorted(name for name in documented_names()[0] if name not in public)
    assert not gone, f"no longer public: {gone}"


def design_tree():
    """The paths that the design guide's tree names, resolved from its indentation: (path, is_folder)."""
    text = (DOCS / "guides" / "design.md").read_text()
    block = re.search(r"```\n(.*?)```", text, flags=re.S).group(1)
    stack: list[tuple[int, Path]] = []
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        head = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        entries = [entry.strip() for entry in head.split(",")]
        if not head or not all(
            re.fullmatch(r"[\w.\-/]+", entry) and ("." in entry or entry.endswith("/")) for entry in entries
        ):
            continue  # a description's continuation line
        while stack and stack[-1][0] >= indent:
            stack.pop()
        base = stack[-1][1] if stack else ROOT
        for entry in entries:
            path = base / entry.rstrip("/")
            yield path, entry.endswith("/")
            if entry.endswith("/"):
                stack.append((indent, path))


def test_the_design_guide_describes_every_folder_of_the_package_and_names_only_what_exists():
    described = list(design_tree())
    folders = {path for path, is_folder in described if is_folder}
    actual = {path for path in PACKAGE.rglob("*") if path.is_dir() and "__pycache__" not in path.parts} | {PACKAGE}
    assert not sorted(actual - folders), f"describe these in docs/guides/design.md: {sorted(actual - folders)}"
    missing = [str(path.relative_to(ROOT)) for path, is_folder in described if not path.exists()]
    assert not missing, f"docs/guides/design.md names what does not exist: {missing}"
    assert PACKAGE / "active" / "estimator.py" in {path for path, _ in described}


def test_every_benchmark_result_has_a_title_and_no_page_copies_its_table():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        report = importlib.import_module("report")
    finally:
        sys.path.remove(str(ROOT / "bench"))
    results = sorted((ROOT / "bench" / "results").glob("*.json"))
    assert results and not [path.stem for path in results if path.stem not in report.TITLES]
    pages = {
        path: path.read_text() for path in [ROOT / "README.md", *DOCS.glob("**/*.md")] if "_generated" not in path.parts
    }
    for path in results:
        header = "| " + " | ".join(json.loads(path.read_text())["rows"][0]) + " |"
        copied = [str(page.relative_to(ROOT)) for page, text in pages.items() if header in text]
        assert not copied, (
            f"{copied} copy the table of {path.name} by hand: include docs/_generated/bench/{path.stem}.md"
        )


@pytest.mark.parametrize(
    "page",
    sorted(
        p.relative_to(DOCS).as_posix()
        for p in DOCS.glob("**/*.md")
        if "_generated" not in p.parts and "notebooks" not in p.parts
    ),
)
def test_each_page_links_and_includes_only_what_exists(page):
    """Relative links, images and includes of the Markdown pages point at files (the generated ones once built)."""
    path = DOCS / page
    text = path.read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) + re.findall(r"```\{include\}\s+(\S+)", text)
    for target in targets:
        if re.match(r"[a-z]+:", target):
            continue
        resolved = (path.parent / target).resolve()
        if "_generated" in resolved.parts:
            stem = resolved.stem
            assert resolved.parent.name in ("_generated", "bench"), target
            if resolved.parent.name == "bench":
                assert (ROOT / "bench" / "results" / f"{stem}.json").exists(), target
            continue
        assert resolved.exists(), f"{page} links to {target}, which does not exist"


def test_contributing_states_the_layer_rule_that_test_layers_enforces():
    from test_layers import ALLOWED, LAYERS

    rows = {}
    for line in (ROOT / "CONTRIBUTING.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`\w+`", cells[0]) and cells[1].startswith("`python/netscope/"):
            rows[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[3]))
    assert list(rows) == LAYERS
    assert rows == {layer: ALLOWED[layer] - {layer} for layer in LAYERS}


def test_the_slow_table_names_tests_that_exist():
    """CONTRIBUTING.md's inner loop leaves out the tests that tests/conftest.py's SLOW names: each must exist."""
    from conftest import SLOW

    for file, names in SLOW.items():
        path = ROOT / "tests" / file
        assert path.exists(), file
        defined = {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}
        assert not sorted(set(names or ()) - defined), f"{file} has no tests {sorted(set(names or ()) - defined)}"
