import datetime
import json
import unittest
import uuid

from flask import Flask, session
from markupsafe import Markup

from session_gateway.flask import GatewaySessionInterface

from .support import KEY, decode_update, sign


def make_app():
    app = Flask(__name__)
    app.session_interface = GatewaySessionInterface(principal="user.id", key=KEY)

    @app.post("/login/<name>")
    def login(name):
        session["user"] = {"id": name}
        return "", 204

    @app.post("/logout")
    def logout():
        session.clear()
        return "", 204

    @app.post("/typed")
    def typed():
        session["t"] = (1, "two")
        session["b"] = b"\x00\xffbytes"
        session["d"] = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        session["u"] = uuid.UUID("12345678-1234-5678-1234-567812345678")
        session["m"] = Markup("<b>bold</b>")
        session["nested"] = {"list": [(1, 2)], " t": "a key that looks like a tag"}
        session.permanent = True
        return "", 204

    @app.get("/types")
    def types():
        return {name: type(session[name]).__name__ for name in ["t", "b", "d", "u", "m"]} | {
            "nested_inner": type(session["nested"]["list"][0]).__name__, "nested_key": session["nested"][" t"],
            "permanent": session.permanent, "new": session.new, "sid": session.sid, "principal": session.principal,
            "equal": session["t"] == (1, "two") and session["b"] == b"\x00\xffbytes"
            and session["d"] == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
            and session["u"] == uuid.UUID("12345678-1234-5678-1234-567812345678") and session["m"] == Markup("<b>bold</b>"),
        }

    @app.post("/nested")
    def nested():
        session["cart"].append("pear")  # no session.modified = True: still saved
        return "", 204

    @app.get("/read")
    def read():
        return {"pop": session.pop("missing", "default"), "get": session.get("cart")}

    return app


class FlaskAdapterTest(unittest.TestCase):
    def setUp(self):
        self.client = make_app().test_client()

    def post(self, path, token=None):
        return self.client.post(path, headers={"X-Session": token} if token else {})

    def test_login_sets_the_principal_and_the_attribute_and_no_cookie(self):
        r = self.post("/login/alice")
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r.headers["X-Session-Login"], "alice")
        self.assertEqual(decode_update(r.headers["X-Session-Update"]), {"set": {"user": {"id": "alice"}}})
        self.assertNotIn("Set-Cookie", r.headers)

    def test_clear_while_logged_in_logs_out(self):
        r = self.post("/logout", sign({"user": {"id": "alice"}}, sub="alice"))
        self.assertEqual(r.headers["X-Session-Logout"], "1")
        self.assertNotIn("X-Session-Update", r.headers)

    def test_tagged_types_round_trip_as_with_flask_own_session(self):
        r = self.post("/typed")
        data = decode_update(r.headers["X-Session-Update"])["set"]
        self.assertEqual(data["t"], {" t": [1, "two"]})
        self.assertEqual(data["_permanent"], True)
        r = self.client.get("/types", headers={"X-Session": sign(data)})
        body = r.get_json()
        self.assertEqual(body["t"], "tuple")
        self.assertEqual(body["b"], "bytes")
        self.assertEqual(body["d"], "datetime")
        self.assertEqual(body["u"], "UUID")
        self.assertEqual(body["m"], "Markup")
        self.assertEqual(body["nested_inner"], "tuple")
        self.assertEqual(body["nested_key"], "a key that looks like a tag")
        self.assertTrue(body["equal"])
        self.assertTrue(body["permanent"])
        self.assertFalse(body["new"])
        self.assertEqual(body["sid"], "sid-unit-test-0001")
        self.assertIn("Cookie", r.headers["Vary"])
        # Reading changes nothing: no write-back at all.
        self.assertNotIn("X-Session-Update", r.headers)

    def test_a_nested_change_is_saved_without_the_modified_flag(self):
        r = self.post("/nested", sign({"cart": ["apple"]}))
        self.assertEqual(decode_update(r.headers["X-Session-Update"]), {"set": {"cart": ["apple", "pear"]}})

    def test_get_and_pop_and_an_unsigned_header_is_no_session(self):
        r = self.client.get("/read", headers={"X-Session": sign({"cart": ["x"]}, key=b"forged-key-0123456789")})
        self.assertEqual(r.get_json(), {"pop": "default", "get": None})
        self.assertEqual(self.client.get("/read", headers={"X-Session": sign({"cart": ["x"]})}).get_json()["get"], ["x"])


if __name__ == "__main__":
    unittest.main()
