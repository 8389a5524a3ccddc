"""Model instances built from values already read, without `Model.__init__`.

`Model.from_db` runs `__init__` over every concrete field (DEFERRED for those not
read) and sends pre_init and post_init: 7 µs for a user summary (timeit),
made 20 times and more per feed page and once per authenticated request. With no
receiver of those signals for the model, `loaded` gives the same instance (the
values in its `__dict__`, every other field deferred, its state "read from this
database") in 1.7 µs. With a receiver, it is `from_db`: receivers see every
instance.
"""

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import DEFERRED, Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)


def loaded(model: type[M], alias: str, names: Iterable[str], values: Iterable[object]) -> M:
    """What `model.from_db` gives for these values of these fields (attnames, in
    any order)."""
    known = dict(zip(names, values, strict=True))
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        fields = [f.attname for f in model._meta.concrete_fields]
        return model.from_db(alias, fields, [known.get(name, DEFERRED) for name in fields])
    instance = model.__new__(model)
    # The field descriptors that define __set__ (files, foreign key ids) only store
    # the value in __dict__ for an instance that had none.
    instance.__dict__.update(known)
    state = instance._state = ModelState()
    state.adding = False
    state.db = alias
    return instance
