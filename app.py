"""Entry point: ``flask --app app run`` (or any ``flask --app app …`` command)."""
from netral_learn import create_app

app = create_app()
