"""Where each event is published: a scan of the project's source for `publish(Event(...))`
(and `publish_many(Event(...) for ...)`).

Publishing registers nothing at import time (a service module may never be
imported by a check), so the source is read instead: every `publish(...)` call
in the modules of the project's own apps, with its argument resolved through
the module's imports to an event class. A call whose argument is not a
constructor call of a resolvable name (`publish(event)`) is reported, so the
check cannot be fooled into "published nowhere" by a variable.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

from core.events.types import DomainEvent

PUBLISH = frozenset(
    {
        "core.events.publish",
        "core.events.outbox.publish",
        "core.events.publish_with",
        "core.events.outbox.publish_with",
    }
)
# publish_many takes a comprehension: its element is read like publish's argument.
PUBLISH_MANY = frozenset({"core.events.publish_many", "core.events.outbox.publish_many"})
COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.SetComp)


@dataclass(frozen=True)
class Site:
    """One `publish(...)` call: where it is and the event class it publishes."""

    path: str  # relative to the project directory
    line: int
    event: type[DomainEvent] | None  # None: the argument could not be read as an event class
    text: str  # the argument's source, for messages

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def project_modules() -> Iterator[tuple[str, Path]]:
    """(module name, file) of every Python module of the project's own installed apps."""
    base = Path(settings.BASE_DIR).resolve()
    seen: set[Path] = set()
    for config in apps.get_app_configs():
        root = Path(config.path).resolve()
        if not root.is_relative_to(base) or "site-packages" in root.parts:
            continue
        for file in sorted(root.rglob("*.py")):
            relative = file.relative_to(root)
            if file in seen or "migrations" in relative.parts:
                continue
            seen.add(file)
            parts = [*config.name.split("."), *relative.with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), file


def scan_apps() -> list[Site]:
    base = Path(settings.BASE_DIR).resolve()
    sites: list[Site] = []
    for module, file in project_modules():
        source = file.read_text(encoding="utf-8")
        if "publish" in source:
            sites += scan_source(source, module=module, path=str(file.relative_to(base)))
    return sites


def scan_source(source: str, *, module: str, path: str) -> list[Site]:
    tree = ast.parse(source, filename=path)
    names = _bound_names(tree, module=module, is_package=path.endswith("__init__.py"))
    sites = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _dotted(node.func, names)
        if called not in PUBLISH and called not in PUBLISH_MANY:
            continue
        arg = node.args[0] if node.args else next((k.value for k in node.keywords), None)
        if called in PUBLISH_MANY:
            arg = arg.elt if isinstance(arg, COMPREHENSIONS) else None
        event = None
        if isinstance(arg, ast.Call) and (target := _dotted(arg.func, names)):
            event = _event_class(target)
        shown = arg.func if isinstance(arg, ast.Call) else arg
        text = (ast.get_source_segment(source, shown) or "") if shown is not None else ""
        sites.append(Site(path=path, line=node.lineno, event=event, text=text))
    return sorted(sites, key=lambda site: site.line)


def _event_class(dotted: str) -> type[DomainEvent] | None:
    try:
        found = import_string(dotted)
    except ImportError:
        return None
    if isinstance(found, type) and issubclass(found, DomainEvent):
        return found
    return None


def _bound_names(tree: ast.Module, *, module: str, is_package: bool) -> dict[str, str]:
    """Local name → dotted path, from the module's imports (at any depth) and classes."""
    package = module if is_package else module.rpartition(".")[0]
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - (node.level - 1)]
                origin = ".".join([*parent, origin] if origin else parent)
            for alias in node.names:
                names[alias.asname or alias.name] = f"{origin}.{alias.name}"
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = f"{module}.{node.name}"
    return names


def _dotted(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, names)
        return f"{base}.{node.attr}" if base else None
    return None
