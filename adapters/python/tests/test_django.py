import time
import unittest

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        SECRET_KEY="unit-test", SESSION_ENGINE="session_gateway.django", SESSION_GATEWAY_KEY=None,
        ALLOWED_HOSTS=["*"], MIDDLEWARE=[], INSTALLED_APPS=[], ROOT_URLCONF=__name__, USE_TZ=True,
    )
    django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from session_gateway.django import SessionMiddleware, SessionStore  # noqa: E402

from .support import KEY, decode_update, sign  # noqa: E402

urlpatterns = []


def run(view, token=None, status=200):
    settings.SESSION_GATEWAY_KEY = KEY
    request = RequestFactory().get("/", **({"HTTP_X_SESSION": token} if token else {}))

    def get_response(req):
        view(req.session)
        response = HttpResponse("ok", status=status)
        response.set_cookie(settings.SESSION_COOKIE_NAME, "must-not-reach-the-browser")
        return response

    response = SessionMiddleware(get_response)(request)
    return request.session, response


class DjangoEngineTest(unittest.TestCase):
    def test_the_engine_loads_the_gateway_data_and_writes_back_changes(self):
        def view(s):
            self.assertEqual(s["n"], 1)
            s["n"] = 2
            s.setdefault("list", []).append("x")
        session, response = run(view, sign({"n": 1}))
        self.assertEqual(decode_update(response["X-Session-Update"]), {"set": {"n": 2, "list": ["x"]}})
        self.assertEqual(session.session_key, "sid-unit-test-0001")
        self.assertNotIn(settings.SESSION_COOKIE_NAME, response.cookies)
        self.assertIn("Cookie", response["Vary"])

    def test_login_cycle_and_flush_as_contrib_auth_uses_them(self):
        def login(s):
            s.cycle_key()
            s["_auth_user_id"] = "5"
        _, response = run(login)
        self.assertEqual(response["X-Session-Login"], "5")

        _, response = run(lambda s: s.cycle_key(), sign({"_auth_user_id": "5"}, sub="5"))
        self.assertEqual(response["X-Session-Login"], "5")  # rotate the id again, same principal

        _, response = run(lambda s: s.flush(), sign({"_auth_user_id": "5", "x": 1}, sub="5"))
        self.assertEqual(response["X-Session-Logout"], "1")

    def test_a_500_saves_nothing(self):
        _, response = run(lambda s: s.__setitem__("n", 3), sign({"n": 1}), status=500)
        self.assertFalse(response.has_header("X-Session-Update"))

    def test_expiry_reports_the_gateway_timeouts_and_set_expiry_is_enforced(self):
        def view(s):
            self.assertTrue(1790 <= s.get_expiry_age() <= 1800)
            self.assertTrue(s.get_expire_at_browser_close())
        run(view, sign({"n": 1}))
        # set_expiry(30): 30 s of inactivity; the gateway last saw the session 60 s ago.
        stale = sign({"n": 1, "_session_expiry": 30, "_auth_user_id": "5"}, sub="5", la=int(time.time() * 1000) - 60_000)
        session, response = run(lambda s: self.assertIsNone(s.get("n")), stale)
        self.assertEqual(response["X-Session-Logout"], "1")
        fresh = sign({"n": 1, "_session_expiry": 30})
        session, response = run(lambda s: self.assertEqual(s.get_expiry_age(), 30), fresh)

    def test_a_store_made_without_the_middleware_is_empty_and_says_why_once(self):
        with self.assertLogs("session_gateway", "WARNING") as logs:
            store = SessionStore()
            SessionStore()
        self.assertEqual(len(logs.output), 1)
        self.assertIn("is not in MIDDLEWARE", logs.output[0])
        self.assertEqual(dict(store.items()), {})
        self.assertIsNone(store.session_key)


if __name__ == "__main__":
    unittest.main()
