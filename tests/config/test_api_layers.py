"""Nothing outside an `api/` package imports from one (DESIGN.md §2): presentation
for other paths (the feed, notifications, pushes) lives in `<app>/rendering.py`.

import-linter (`make lint-imports`, pyproject.toml) checks the app layers, that no
app imports another app's api and that no package has an import cycle; this scan
also covers an app importing its own api from outside it, which those contracts
leave to the cycle check.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_APP_CODE = {"tests", ".venv", "var", "node_modules"}


def _app_modules():
    for package in sorted(ROOT.iterdir()):
        if package.name in NOT_APP_CODE or not (package / "__init__.py").exists():
            continue
        for path in sorted(package.rglob("*.py")):
            yield path.relative_to(ROOT)


def _is_api(module: str) -> bool:
    """An app's api: `<app>.api` and below (`core.api` is a module, still an api)."""
    parts = module.split(".")
    return len(parts) > 1 and parts[1] == "api"


def _in_api_package(path: Path) -> bool:
    return len(path.parts) > 2 and path.parts[1] == "api"


def api_imports(source: str) -> list[str]:
    """`module: line` of each import of an `api` package (or module) in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [f"{name}: {node.lineno}" for name in names if _is_api(name)]
    return found


def test_no_module_outside_an_api_package_imports_one():
    offenders = {
        str(path): found
        for path in _app_modules()
        if not _in_api_package(path) and (found := api_imports((ROOT / path).read_text()))
    }
    assert not offenders, offenders


def test_the_scan_sees_the_app_code_and_every_form_of_import():
    scanned = {str(path) for path in _app_modules()}
    expected = {"tweets/rendering.py", "tweets/feed/hydrate.py", "notifications/realtime.py"}
    assert expected <= scanned
    assert not any(name.startswith("tests/") for name in scanned)
    assert _in_api_package(Path("tweets/api/views.py"))
    assert not _in_api_package(Path("core/api.py"))  # a module named api is not a package
    assert not _in_api_package(Path("config/settings/api.py"))

    source = (
        "import tweets.api.serializers\n"
        "from accounts.api import serializers\n"
        "from core.api import urlpatterns\n"
        "from tweets.rendering import render_posts\n"
        "from config.settings.api import REST_FRAMEWORK\n"
        "def late():\n"
        "    from notifications.api.serializers import NotificationSerializer\n"
    )
    assert api_imports(source) == [
        "tweets.api.serializers: 1",
        "accounts.api: 2",
        "accounts.api.serializers: 2",
        "core.api: 3",
        "core.api.urlpatterns: 3",
        "notifications.api.serializers: 7",
        "notifications.api.serializers.NotificationSerializer: 7",
    ]
