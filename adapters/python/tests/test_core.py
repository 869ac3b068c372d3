import hashlib
import os
import unittest

from session_gateway import InvalidToken, header_key, load_state, verify_token
from session_gateway.header_token import ConfigurationError, resolve_key

from .support import KEY, decode_update, sign


class VerifyTokenTest(unittest.TestCase):
    def test_a_token_the_gateway_signed_verifies(self):
        claims = verify_token(sign({"n": 1}, sub="alice"), KEY)
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["data"], {"n": 1})

    def test_tampered_wrong_key_expired_and_other_algorithms_are_refused(self):
        token = sign({"n": 1})
        head, body, sig = token.split(".")
        forged = sign({"n": 2}).split(".")[1]
        for bad in [f"{head}.{forged}.{sig}", sign({"n": 1}, key=b"another-key-0123456789"), sign(exp_in=-60),
                    sign(alg="none"), "a.b", "", "x.y.z", f"{head}.{body}.!!"]:
            with self.assertRaises(InvalidToken, msg=bad):
                verify_token(bad, KEY)

    def test_the_key_is_derived_from_the_environment_as_the_gateway_does(self):
        self.assertEqual(header_key({"SESSION_HEADER_SECRET": " header-secret-0123456789 "}), b"header-secret-0123456789")
        derived = hashlib.sha256(b"session-gateway/x-session/v1\x00first-secret-0123456789").digest()
        self.assertEqual(header_key({"SESSION_SECRET": " , first-secret-0123456789,second-secret-0123456"}), derived)
        self.assertIsNone(header_key({}))

    def test_no_key_at_all_is_a_configuration_error(self):
        saved = {k: os.environ.pop(k) for k in ["SESSION_HEADER_SECRET", "SESSION_SECRET"] if k in os.environ}
        try:
            with self.assertRaises(ConfigurationError):
                resolve_key(None)
        finally:
            os.environ.update(saved)


class WriteBackTest(unittest.TestCase):
    def headers(self, token, current, principal="user.id", **flags):
        return dict(load_state(token, KEY, principal).write_back(current, **flags))

    def test_only_changed_and_removed_attributes_are_written(self):
        token = sign({"keep": [1, {"a": 2}], "change": 1, "drop": "x"})
        h = self.headers(token, {"keep": [1, {"a": 2}], "change": 2, "new": None})
        self.assertEqual(decode_update(h["X-Session-Update"]), {"set": {"change": 2, "new": None}, "unset": ["drop"]})
        self.assertEqual(self.headers(token, {"keep": [1, {"a": 2}], "change": 1, "drop": "x"}), {})

    def test_non_ascii_values_go_base64url(self):
        h = self.headers(None, {"name": "Zoë ✓"})
        self.assertTrue(h["X-Session-Update"].startswith("b64:"))
        self.assertEqual(decode_update(h["X-Session-Update"]), {"set": {"name": "Zoë ✓"}})

    def test_setting_the_principal_logs_in_and_changing_it_logs_in_again(self):
        h = self.headers(None, {"user": {"id": 7, "name": "Al"}})
        self.assertEqual(h["X-Session-Login"], "7")
        self.assertEqual(self.headers(sign({"user": {"id": 7}}, sub="7"), {"user": {"id": 7}}), {})
        self.assertEqual(self.headers(sign({"user": {"id": 7}}, sub="7"), {"user": {"id": 8}})["X-Session-Login"], "8")

    def test_a_non_ascii_principal_is_sent_as_utf8_bytes(self):
        h = self.headers(None, {"user": {"id": "zoë"}})
        self.assertEqual(h["X-Session-Login"].encode("latin-1").decode("utf-8"), "zoë")

    def test_removing_the_principal_or_clearing_logs_out_keeping_what_the_app_still_holds(self):
        token = sign({"user": {"id": 7}, "cart": [1]}, sub="7")
        h = self.headers(token, {"cart": [1]})
        self.assertEqual(h["X-Session-Logout"], "1")
        self.assertEqual(decode_update(h["X-Session-Update"]), {"set": {"cart": [1]}})
        h = self.headers(token, {"flash": "bye"}, cleared=True)
        self.assertEqual(decode_update(h["X-Session-Update"]), {"set": {"flash": "bye"}})
        self.assertEqual(self.headers(token, {}, cleared=True), {"X-Session-Logout": "1"})

    def test_clear_then_a_new_principal_is_a_login_that_drops_the_old_attributes(self):
        token = sign({"user": {"id": 7}, "cart": [1]}, sub="7")
        h = self.headers(token, {"user": {"id": 9}}, cleared=True)
        self.assertEqual(h["X-Session-Login"], "9")
        self.assertEqual(decode_update(h["X-Session-Update"]), {"set": {"user": {"id": 9}}, "unset": ["cart"]})

    def test_a_login_made_by_another_app_is_not_undone_by_this_one(self):
        # Single sign-on: another app logged in; this one keeps its principal elsewhere and writes its own attribute.
        h = self.headers(sign({"theme": "dark"}, sub="alice"), {"theme": "light"})
        self.assertEqual(decode_update(h["X-Session-Update"]), {"set": {"theme": "light"}})

    def test_destroy_is_a_logout_only_when_there_is_a_session(self):
        self.assertEqual(self.headers(sign({"a": 1}), {}, destroyed=True), {"X-Session-Logout": "1"})
        self.assertEqual(self.headers(None, {}, destroyed=True), {})

    def test_a_bad_token_is_no_session(self):
        state = load_state(sign({"a": 1}, key=b"not-the-key-0123456789"), KEY)
        self.assertFalse(state.exists)
        self.assertEqual(state.original, {})

    def test_principals_with_control_characters_are_refused(self):
        with self.assertRaises(ValueError):
            self.headers(None, {"user": {"id": "a\r\nX-Evil: 1"}})
