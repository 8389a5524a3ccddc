"""Run N API writes in this process and print their statuses and event ids as JSON.

Started as a subprocess by the broker-down test, so that it has its own
Celery connection (pointed at a port where no broker listens).
"""

import json
import os
import sys

import django


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.test import Client, override_settings

    client = Client()
    results = []
    with override_settings(ROOT_URLCONF="tests.eventapp.urls"):
        for n in range(count):
            response = client.post("/effects", {"n": n}, content_type="application/json")
            body = response.json() if response.status_code < 500 else {}
            results.append({"status": response.status_code, "event_id": body.get("event_id")})
    print(json.dumps(results))


if __name__ == "__main__":
    main(int(sys.argv[1]))
