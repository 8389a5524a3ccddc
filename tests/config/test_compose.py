"""docker-compose.yml, the Dockerfile and .dockerignore name things that exist.

There is no Docker engine where the tests run, so the files are checked
statically: every command points at real code (the WSGI and ASGI applications,
the Celery app, manage.py commands, pinned executables), the worker consumes
every queue tasks are sent to, health checks and start order are in place, and
no secret is written into the file.
"""

import re
import shlex
from importlib import import_module, metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery.app.utils import find_app
from channels.routing import ProtocolTypeRouter
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "ws", "worker", "beat", "migrate")
REQUIRED_SERVICES = {
    *("web", "ws", "worker", "beat", "migrate"),
    *("postgres", "redis", "rabbitmq", "minio"),
}
# `${NAME}`, `${NAME:-default}`, `${NAME:?message}` (compose interpolation).
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
APP_TARGET = re.compile(r"^[\w.]+:\w+$")  # module.path:attribute
# Read by boto3 itself rather than by config/settings/.
BOTO3_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def option(args: list[str], *names: str) -> str:
    for i, arg in enumerate(args):
        if arg in names:
            return args[i + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {args}")


def app_target(args: list[str]) -> object:
    """Import `module:attribute` from a server command line and return the attribute."""
    targets = [arg for arg in args if APP_TARGET.match(arg)]
    assert len(targets) == 1, f"expected one module:attribute in {args}"
    module_name, attribute = targets[0].split(":")
    assert (ROOT / Path(*module_name.split("."))).with_suffix(".py").is_file()
    return getattr(import_module(module_name), attribute)


def resolved(value: str) -> str:
    """`value` as compose would pass it, with required variables set to "x"."""
    return INTERPOLATION.sub(lambda ref: ref["arg"] if ref["op"] == ":-" else "x", value)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def bucket_init_name(services: dict) -> str:
    names = [name for name, s in services.items() if s.get("image", "").startswith("minio/mc")]
    assert len(names) == 1, "expected one minio/mc service creating the bucket"
    return names[0]


def test_every_service_is_defined(services):
    assert set(services) >= REQUIRED_SERVICES
    assert services[bucket_init_name(services)]["restart"] == "no"  # one-shot
    assert services["migrate"]["restart"] == "no"


def test_app_services_run_the_image_built_from_this_repository(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, images
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        assert (ROOT / context / "Dockerfile").is_file(), name


def test_web_serves_the_wsgi_application(services):
    args = argv(services["web"])
    if args[0] == "granian":
        assert option(args, "--interface") == "wsgi"
    assert isinstance(app_target(args), WSGIHandler)


def test_ws_serves_the_asgi_application_with_websockets(services):
    args = argv(services["ws"])
    assert args[0] == "daphne"
    application = app_target(args)
    assert isinstance(application, ProtocolTypeRouter)
    assert "websocket" in application.application_mapping


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_load_the_project_app(services, service, subcommand):
    from config.celery import app

    args = argv(services[service])
    assert args[0] == "celery"
    assert find_app(option(args, "-A", "--app")) is app
    assert subcommand in args


def test_worker_consumes_every_queue_tasks_are_sent_to(services):
    from config.celery import app
    from core.events import registry

    consumed = set(option(argv(services["worker"]), "-Q", "--queues").split(","))
    declared = getattr(settings, "CELERY_TASK_QUEUES", None)
    if declared:
        assert consumed == {getattr(queue, "name", queue) for queue in declared}
    assert app.conf.task_default_queue in consumed  # plain .delay() lands here
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    assert {route["queue"] for route in routes.values() if "queue" in route} <= consumed
    assert {spec.queue for spec in registry.by_key.values()} <= consumed


def test_manage_py_commands_exist(services):
    assert argv(services["migrate"])[-3:] == ["manage.py", "migrate", "--noinput"]
    known = get_commands()
    for name, service in services.items():
        if "command" not in service or service.get("entrypoint"):
            continue
        args = argv(service)
        if "manage.py" in args:
            assert args[args.index("manage.py") + 1] in known, name


def test_server_executables_are_pinned_in_requirements(services):
    """The image installs requirements.txt only: an unpinned server is not in it."""
    pinned = {
        re.split(r"[\[=<>~ ]", line, maxsplit=1)[0].lower().replace("_", "-")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for name in ("web", "ws", "worker", "beat"):
        executable = argv(services[name])[0]
        scripts = metadata.entry_points(group="console_scripts", name=executable)
        assert scripts, f"{executable} is not an installed console script"
        distribution = next(iter(scripts)).dist.name.lower().replace("_", "-")
        assert distribution in pinned, f"{name}: {distribution} is not in requirements.txt"


def healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    text = test if isinstance(test, str) else " ".join(test)
    assert "NONE" not in text.split()
    return text


def test_health_checks(services):
    assert "pg_isready" in healthcheck_text(services["postgres"])
    assert re.search(r"redis-cli\s+ping", healthcheck_text(services["redis"]))
    assert option(argv(services["redis"]), "--appendonly") == "yes"  # no rebuild storm
    assert "rabbitmq-diagnostics -q check_port_connectivity" in healthcheck_text(
        services["rabbitmq"]
    )
    assert healthcheck_text(services["minio"])
    web = argv(services["web"])
    port = option(web, "--port", "-b", "--bind").rsplit(":", 1)[-1]
    assert f"127.0.0.1:{port}/healthz" in healthcheck_text(services["web"])
    assert any(mapping.endswith(f":{port}") for mapping in services["web"]["ports"])
    ws = argv(services["ws"])
    assert f"127.0.0.1:{option(ws, '-p', '--port')}/healthz" in healthcheck_text(services["ws"])


def test_app_processes_start_after_migrate(services):
    for name in ("web", "ws", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        bucket = depends[bucket_init_name(services)]["condition"]
        assert bucket == "service_completed_successfully", name
        assert depends["rabbitmq"]["condition"] == "service_healthy", name  # the broker
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_waited_on_condition_can_be_met(services):
    """`service_healthy` needs a health check; `service_completed_successfully` a one-shot."""
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}"
            if rule["condition"] == "service_completed_successfully":
                assert services[target]["restart"] == "no", f"{name} waits on {target}"


def test_the_broker_is_the_rabbitmq_service_the_app_logs_in_to(services):
    """The app's CELERY_BROKER_URL names the user, password and virtual host that
    the rabbitmq service creates, and its data survives a re-created container."""
    from config.settings.tasks import CELERY_TASK_QUEUES

    rabbitmq = services["rabbitmq"]
    created = environment(rabbitmq)
    broker = urlsplit(resolved(environment(services["worker"])["CELERY_BROKER_URL"]))
    assert (broker.scheme, broker.hostname, broker.port) == ("amqp", "rabbitmq", 5672)
    assert broker.username == created["RABBITMQ_DEFAULT_USER"]
    assert broker.path.lstrip("/") == created["RABBITMQ_DEFAULT_VHOST"]
    assert created["RABBITMQ_DEFAULT_PASS"] == "${RABBITMQ_PASSWORD:?set RABBITMQ_PASSWORD in .env}"
    assert "/var/lib/rabbitmq" in " ".join(rabbitmq["volumes"])
    assert rabbitmq["hostname"]  # the node name, and so where its data lives, stays put
    # Durable queues (docs/events.md): queued tasks survive a broker restart.
    assert all(queue["durable"] for queue in CELERY_TASK_QUEUES.values())


def test_bucket_init_creates_the_bucket_the_app_uses(services):
    init = services[bucket_init_name(services)]
    app_env = environment(services["web"])
    assert environment(init)["AWS_STORAGE_BUCKET_NAME"] == app_env["AWS_STORAGE_BUCKET_NAME"]
    script = " ".join(argv(init))
    assert re.search(r"mc mb --ignore-existing \S*\$\$AWS_STORAGE_BUCKET_NAME", script)
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    endpoint = urlsplit(app_env["AWS_S3_ENDPOINT_URL"])
    assert endpoint.hostname == "minio"
    assert f"http://minio:{endpoint.port}" in script


def test_app_environment_is_production_and_names_real_settings(services):
    settings_source = "".join(
        path.read_text() for path in sorted((ROOT / "config" / "settings").glob("*.py"))
    )
    for name in APP_SERVICES:
        env = environment(services[name])
        assert env["DJANGO_ENV"] == "production"
        assert urlsplit(resolved(env["DATABASE_URL"])).hostname == "postgres"
        assert urlsplit(resolved(env["REDIS_URL"])).hostname == "redis"
        assert urlsplit(resolved(env["CELERY_BROKER_URL"])).hostname == "rabbitmq"
        assert resolved(env["SECURE_SSL_REDIRECT"]) == "0"
        for key in env:  # a misspelt name would be silently ignored
            assert f'"{key}"' in settings_source or key in BOTO3_ENV, f"{name}: {key}"


def secret_like(name: str) -> bool:
    return re.search(r"SECRET|PASS|ACCESS_KEY", name) is not None


def test_no_secret_is_written_into_the_file(services):
    required: set[str] = set()
    for name, service in services.items():
        for key, value in environment(service).items():
            refs = list(INTERPOLATION.finditer(value))
            required |= {ref["name"] for ref in refs if ref["op"] == ":?"}
            if secret_like(key):  # required, or optional with an empty default
                assert refs, f"{name}.{key} is a literal"
                assert INTERPOLATION.sub("", value) == "", f"{name}.{key} has a literal part"
                assert all(r["op"] == ":?" or r["arg"] == "" for r in refs), f"{name}.{key}"
        database_url = environment(service).get("DATABASE_URL")
        if database_url:  # its password part is a required variable too
            assert re.search(r"://\w+:\$\{POSTGRES_PASSWORD:\?[^}]*\}@", database_url), name
        broker_url = environment(service).get("CELERY_BROKER_URL")
        if broker_url:
            assert re.search(r"://\w+:\$\{RABBITMQ_PASSWORD:\?[^}]*\}@", broker_url), name
    assert {
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "RABBITMQ_PASSWORD",
        "MINIO_ROOT_PASSWORD",
    } <= required
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert required <= set(example), "every required variable is in .env.example"
    assert all(example[name] == "" for name in required if secret_like(name))


def test_dockerfile_builds_what_compose_runs(services):
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "WORKDIR /app" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    web = argv(services["web"])
    if web[0] == "granian":  # it serves /static from what collectstatic wrote
        static_root = Path(settings.STATIC_ROOT).relative_to(ROOT)
        assert option(web, "--static-path-mount") == f"/app/{static_root}"
        assert option(web, "--static-path-route") == settings.STATIC_URL.rstrip("/")


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "var"} <= ignored
