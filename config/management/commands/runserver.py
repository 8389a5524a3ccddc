"""daphne's runserver, refusing the development SECRET_KEY off loopback (config/secret_key.py)."""

from daphne.management.commands.runserver import Command as DaphneRunserver
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError

from config.secret_key import refuse_development_key


class Command(DaphneRunserver):
    def run(self, **options):
        try:
            refuse_development_key(server="runserver", host=self.addr)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        super().run(**options)
