"""A Flask app written the ordinary way — login, a counter, an autosaved draft, logout — behind session-gateway.

The one line that differs from the same app on Flask's own cookie session is marked. Run it with any WSGI server:
    gunicorn --bind 127.0.0.1:8091 app:app            (python3 -m gunicorn, from Debian's python3-gunicorn)
    python3 app.py --port 8091                          (werkzeug's development server)
with SESSION_SECRET (or SESSION_HEADER_SECRET) set to the gateway's, and adapters/python on PYTHONPATH (or
`pip install ./adapters/python`).
"""

import os
import sys

from flask import Flask, jsonify, request, session

from session_gateway.flask import GatewaySessionInterface

app = Flask(__name__)
# Before: app.secret_key = "..."   (Flask kept the whole session in its own signed cookie)
app.session_interface = GatewaySessionInterface(principal="user.id")

BACKEND = os.environ.get("APP_NAME", "flask")


@app.after_request
def name_the_backend(response):
    response.headers["X-Backend"] = BACKEND
    return response


@app.post("/api/login")
def login():
    name = (request.get_json(silent=True) or {}).get("user")
    if not isinstance(name, str) or not name:
        return jsonify(error="user required"), 400
    session["user"] = {"id": name, "name": name.title()}
    return jsonify(principal=name)


@app.post("/api/logout")
def logout():
    session.clear()
    return jsonify(ok=True)


@app.post("/api/counter")
def counter():
    session["counter"] = session.get("counter", 0) + 1
    return jsonify(counter=session["counter"])


@app.put("/api/draft")
def save_draft():
    session["draft"] = (request.get_json(silent=True) or {}).get("text", "")
    return "", 204


@app.get("/api/whoami")
def whoami():
    user = session.get("user")
    return jsonify(backend=BACKEND, pid=os.getpid(), principal=user["id"] if user else None,
                   counter=session.get("counter", 0), draft=session.get("draft", ""))


@app.get("/healthz")
def healthz():
    return "ok"


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8091
    app.run(host="127.0.0.1", port=port, threaded=True)
