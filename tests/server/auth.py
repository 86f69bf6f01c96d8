"""Accounts and tokens: login, personal access tokens, refresh rotation, logout.

Only hashes of tokens are stored. A session is one login; refresh replaces its refresh
token (the old one dies at once) and issues a new access token; logout revokes the
session's refresh token and the access token used to call it.
"""

import hashlib
import hmac
import secrets
import time
import uuid

PBKDF2_ROUNDS = 20000  # enough to be a real hash, cheap enough for tests that log in a lot


def hash_password(password, salt=None):
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${PBKDF2_ROUNDS}${salt}${digest.hex()}"


def check_password(password, stored):
    try:
        _, rounds, salt, digest = stored.split("$")
        again = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(again.hex(), digest)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class AuthError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code  # "unauthorized" | "token_expired"
        self.message = message


class Auth:
    def __init__(self, store, ttl):
        self.store = store
        self.ttl = ttl

    def _user(self, user_id):
        row = self.store.get("users", user_id)
        return {"id": row["id"], "email": row["email"], "name": row["name"]}

    def _issue(self, user_id, session_id=None):
        """New access + refresh token for a (new or existing) session."""
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        db = self.store.db
        with self.store.lock:
            if session_id is None:
                session_id = str(uuid.uuid4())
                db.execute("INSERT INTO sessions (id, user_id, refresh_hash) VALUES (?, ?, ?)",
                           (session_id, user_id, token_hash(refresh)))
            else:
                db.execute("UPDATE sessions SET refresh_hash = ? WHERE id = ?",
                           (token_hash(refresh), session_id))
            db.execute("INSERT INTO access_tokens (token_hash, session_id, user_id, expires_at) "
                       "VALUES (?, ?, ?, ?)",
                       (token_hash(access), session_id, user_id, time.time() + self.ttl))
        return {"access_token": access, "refresh_token": refresh, "expires_in": self.ttl,
                "token_type": "Bearer", "user": self._user(user_id)}

    def login(self, email, password):
        with self.store.lock:
            row = self.store.db.execute(
                "SELECT id, password_hash FROM users WHERE lower(email) = lower(?)", (email,)).fetchone()
        if not row or not row[1] or not check_password(password, row[1]):
            raise AuthError("unauthorized", "wrong email or password")
        return self._issue(row[0])

    def exchange_personal_token(self, token):
        with self.store.lock:
            row = self.store.db.execute(
                "SELECT user_id FROM personal_tokens WHERE token_hash = ?", (token_hash(token),)).fetchone()
        if not row or not self.store.get("users", row[0]):
            raise AuthError("unauthorized", "unknown personal access token")
        return self._issue(row[0])

    def add_personal_token(self, user_id, token=None, name="token"):
        token = token or "astro_pat_" + secrets.token_urlsafe(24)
        with self.store.lock:
            self.store.db.execute("INSERT OR REPLACE INTO personal_tokens VALUES (?, ?, ?)",
                                  (token_hash(token), user_id, name))
        return token

    def refresh(self, refresh_token):
        with self.store.lock:
            row = self.store.db.execute(
                "SELECT id, user_id FROM sessions WHERE refresh_hash = ? AND revoked = 0",
                (token_hash(refresh_token),)).fetchone()
            if not row:
                raise AuthError("unauthorized", "unknown or retired refresh token")
            return self._issue(row[1], session_id=row[0])

    def authenticate(self, authorization):
        """Authorization header -> user id, or AuthError."""
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("unauthorized", "missing bearer token")
        token = authorization[len("Bearer "):].strip()
        with self.store.lock:
            row = self.store.db.execute(
                "SELECT user_id, expires_at, revoked, session_id FROM access_tokens WHERE token_hash = ?",
                (token_hash(token),)).fetchone()
        if not row or row[2]:
            raise AuthError("unauthorized", "unknown access token")
        if row[1] < time.time():
            raise AuthError("token_expired", "the access token has expired")
        if not self.store.get("users", row[0]):
            raise AuthError("unauthorized", "the user no longer exists")
        return row[0]

    def logout(self, authorization):
        user_id = self.authenticate(authorization)
        token = authorization[len("Bearer "):].strip()
        with self.store.lock:
            row = self.store.db.execute("SELECT session_id FROM access_tokens WHERE token_hash = ?",
                                        (token_hash(token),)).fetchone()
            self.store.db.execute("UPDATE sessions SET revoked = 1, refresh_hash = NULL WHERE id = ?", (row[0],))
            self.store.db.execute("UPDATE access_tokens SET revoked = 1 WHERE session_id = ?", (row[0],))
        return user_id
