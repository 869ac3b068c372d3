"""A Flask app that stores each of Flask's tagged JSON types in the session and reports what comes back."""

import datetime
import sys
import uuid

from flask import Flask, jsonify, session
from markupsafe import Markup

from session_gateway.flask import GatewaySessionInterface

app = Flask(__name__)
app.session_interface = GatewaySessionInterface()


@app.post("/write")
def write():
    session["tuple"] = (1, "two", (3,))
    session["bytes"] = b"\x00\xff raw"
    session["datetime"] = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    session["uuid"] = uuid.UUID("12345678-1234-5678-1234-567812345678")
    session["markup"] = Markup("<b>Zoë</b>")
    session["tag_like"] = {" t": "a dict whose only key looks like a tag"}
    session.permanent = True
    return "", 204


@app.get("/read")
def read():
    return jsonify(permanent=session.permanent, values={name: [type(value).__name__, repr(value)] for name, value in session.items()})


@app.get("/healthz")
def healthz():
    return "ok"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[sys.argv.index("--port") + 1]), threaded=True)
