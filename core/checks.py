"""System checks (`manage.py check`, run by CI and before every server start).

The event catalogue (DESIGN.md §3): every handled event is published somewhere,
and every published event has a handler or says on its class why it has none.
"Published" is read from the source (core.events.scan), not trusted from a
declaration.
"""

from collections.abc import Iterable

from django.core.checks import CheckMessage, Error, register

from core.events.registry import Registry, registry
from core.events.scan import Site, scan_apps
from core.events.types import DomainEvent, catalogue, definition_problems, qualified

UNHANDLED_HINT = 'Add a handler, or say why none is needed: unhandled: ClassVar[str] = "..."'


@register("events")
def check_event_catalogue(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    return catalogue_problems(events=list(catalogue), handlers=registry, sites=scan_apps())


def catalogue_problems(
    *, events: Iterable[type[DomainEvent]], handlers: Registry, sites: list[Site]
) -> list[CheckMessage]:
    events = list(events)
    known = {cls.name: cls for cls in events}
    errors: list[CheckMessage] = []
    published: dict[str, list[Site]] = {}
    for site in sites:
        if site.event is None:
            errors.append(
                Error(
                    f"publish({site.text}...) at {site.where}: cannot tell which event this is",
                    hint="Pass the event's constructor call: publish(PostLiked(post_id=...)).",
                    id="events.E001",
                )
            )
        elif known.get(site.event.name) is not site.event:
            errors.append(
                Error(
                    f"{qualified(site.event)} (published at {site.where}) is not in the catalogue",
                    id="events.E002",
                )
            )
        else:
            published.setdefault(site.event.name, []).append(site)

    for cls in events:
        errors += [
            Error(f"event class {qualified(cls)} {problem}", id="events.E003")
            for problem in definition_problems(cls)
        ]
        handled_by = [spec.key for spec in handlers.handlers_for(cls.name)]
        where = [site.where for site in published.get(cls.name, [])]
        if handled_by and not where:
            errors.append(
                Error(
                    f"{cls.name} ({qualified(cls)}) is handled by {', '.join(handled_by)} "
                    "but published nowhere",
                    hint="Publish it from the service that makes the change, or drop the handler.",
                    id="events.E004",
                )
            )
        if where and not handled_by and not cls.unhandled.strip():
            errors.append(
                Error(
                    f"{cls.name} is published ({', '.join(where)}) but nothing handles it",
                    hint=UNHANDLED_HINT,
                    id="events.E005",
                )
            )
        if handled_by and cls.unhandled:
            errors.append(
                Error(
                    f"{cls.name} says it is unhandled but {', '.join(handled_by)} handles it",
                    hint="Delete its `unhandled` reason.",
                    id="events.E006",
                )
            )
        if not where and not handled_by:
            errors.append(
                Error(
                    f"{cls.name} ({qualified(cls)}) is neither published nor handled",
                    hint="Delete the class, or publish it.",
                    id="events.E007",
                )
            )

    for key, spec in handlers.by_key.items():
        errors += [
            Error(
                f"handler {key} is registered for {qualified(cls)}, which is not in the catalogue",
                id="events.E002",
            )
            for cls in spec.events
            if known.get(cls.name) is not cls
        ]
    return errors
