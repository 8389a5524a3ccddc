"""The two storages media uses (config/settings/base.py, STORAGES): "default" is
private (raw uploads wait there for processing), "media" serves the processed
images under unguessable names."""

from django.core.files.storage import Storage, default_storage, storages


def media_storage() -> Storage:
    return storages["media"]


def private_storage() -> Storage:
    return default_storage
