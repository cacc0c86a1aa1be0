"""A bare Flask 'hello' app: the yardstick a learner page is compared with under the same gunicorn."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
