import unittest
from wsgiref.util import setup_testing_defaults

from session_gateway.wsgi import SessionMiddleware

from .support import KEY, decode_update, sign


def app(environ, start_response):
    session = environ["session_gateway.session"]
    path = environ["PATH_INFO"]
    if path == "/count":
        session["n"] = session.get("n", 0) + 1
    elif path == "/login":
        session["user"] = "bob"
    elif path == "/logout":
        session.destroy()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{session.sid} {session.principal} {session.get('n')}".encode()]


def call(path, token=None):
    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    if token:
        environ["HTTP_X_SESSION"] = token
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(SessionMiddleware(app, principal="user", key=KEY)(environ, start_response))
    return seen["headers"], body.decode()


class WsgiMiddlewareTest(unittest.TestCase):
    def test_the_session_is_a_dict_in_the_environ_written_back_with_the_head(self):
        headers, body = call("/count", sign({"n": 41}, sub="bob"))
        self.assertEqual(body, "sid-unit-test-0001 bob 42")
        self.assertEqual(decode_update(headers["X-Session-Update"]), {"set": {"n": 42}})

    def test_login_and_destroy(self):
        self.assertEqual(call("/login")[0]["X-Session-Login"], "bob")
        self.assertEqual(call("/logout", sign({"user": "bob"}, sub="bob"))[0]["X-Session-Logout"], "1")

    def test_anonymous_without_a_token(self):
        headers, body = call("/read")
        self.assertEqual(body, "None None None")
        self.assertNotIn("X-Session-Update", headers)


if __name__ == "__main__":
    unittest.main()
