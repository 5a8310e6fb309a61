"""Sessions: login, refresh with rotation and reuse detection, logout and revocation."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from core.clock import utcnow
from core.errors import TooManyRequests, Unauthorized
from core.ratelimit import SharedLimit
from core.security import Passwords, TokenIssuer, token_digest
from core.tx import Work, atomic
from directory.auth import sessions
from directory.models import Person, RefreshToken, Session


@dataclass
class AuthKit:
    """The process-wide auth parts, built once by the composition root."""

    tokens: TokenIssuer
    passwords: Passwords
    access_lifetime: timedelta
    refresh_lifetime: timedelta
    per_account: SharedLimit
    per_address: SharedLimit
    # `login_failed` and `login_limited` (429s) since start, for metrics to read
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_in: int
    person: Person
    session_id: str


async def do_login(
    username: str, password: str, *, kit: AuthKit, address: str | None, user_agent: str | None
) -> TokenGrant:
    """Open a session for a correct username and password.

    Attempts are limited per account and per address across every server process (429 with
    Retry-After): a try is taken before the password is checked, so concurrent guesses cannot
    slip past the count, and given back when it succeeds. The check runs off the event loop,
    since Argon2 is deliberately slow.
    """
    account_key, address_key = username.lower(), str(address)
    await _take_try(kit, account_key, address_key)
    person = await Person.get_or_none(username=username.lower(), active=True)
    hashed = person.password_hash if person else None
    if not await asyncio.to_thread(kit.passwords.verify, hashed, password) or person is None:
        kit.counts["login_failed"] += 1
        raise Unauthorized("Wrong username or password.", slug="bad-credentials")
    await kit.per_account.reset(account_key)  # a success forgives the account's failures
    await kit.per_address.release(address_key)
    async with atomic() as work:
        session = await Session.create(
            id=uuid.uuid4().hex, person=person, address=address,
            user_agent=(user_agent or "")[:255] or None, created_at=utcnow(),
        )
        work.audit("auth.login", "session", session.id, person_id=person.id, address=address)
        return await _grant(kit, person, session.id)


async def _take_try(kit: AuthKit, account_key: str, address_key: str) -> None:
    """Take one try of the account and one of the address, or neither (429)."""
    wait = await kit.per_account.reserve(account_key)
    if wait is None:
        wait = await kit.per_address.reserve(address_key)
        if wait is not None:
            await kit.per_account.release(account_key)
    if wait is not None:
        kit.counts["login_limited"] += 1
        raise TooManyRequests(
            f"Too many failed logins. Try again in {wait} seconds.", retry_after=wait
        )


async def _grant(kit: AuthKit, person: Person, session_id: str) -> TokenGrant:
    """Issue an access token and the next refresh token of the session (stored hashed)."""
    subject = str(person.id)
    access, _ = kit.tokens.issue(
        subject=subject, typ="access", lifetime=kit.access_lifetime, sid=session_id
    )
    refresh, expires = kit.tokens.issue(
        subject=subject, typ="refresh", lifetime=kit.refresh_lifetime, sid=session_id
    )
    await RefreshToken.create(
        session_id=session_id, digest=token_digest(refresh), issued_at=utcnow(), expires_at=expires
    )
    seconds = int(kit.access_lifetime.total_seconds())
    return TokenGrant(access, refresh, seconds, person, session_id)


async def do_refresh(token: str, *, kit: AuthKit) -> TokenGrant:
    """Swap a refresh token for a new pair; a token used twice ends its whole session."""
    claims = kit.tokens.decode(token, typ="refresh")
    stored = await RefreshToken.get_or_none(digest=token_digest(token)).select_related(
        "session__person"
    )
    if stored is None or stored.session_id != claims.get("sid"):
        raise Unauthorized("The refresh token is not valid.", slug="invalid-token")
    session = stored.session
    if session.revoked_at is not None or not session.person.active:
        raise Unauthorized("This session has ended.", slug="session-ended")
    reused = False
    async with atomic() as work:
        # Conditional update: of two requests racing with one token, exactly one wins.
        won = await RefreshToken.filter(id=stored.id, used_at=None).update(used_at=utcnow())
        if won:
            work.audit("auth.refresh", "session", session.id)
            return await _grant(kit, session.person, session.id)
        reused = True
        await _revoke(work, session, reason="refresh_reuse")
    if reused:
        raise Unauthorized(
            "This refresh token was already used: the session has been ended for safety.",
            slug="refresh-reuse",
        )
    raise AssertionError("unreachable")


async def do_end_session(session: Session, *, reason: str) -> bool:
    """End one session (logout or admin revocation); its websockets close within a second."""
    async with atomic() as work:
        ended = await _revoke(work, session, reason=reason)
    sessions.drop(session.id)  # again after commit: a request may have re-cached it meanwhile
    return ended


async def do_end_sessions_of(person: Person, *, reason: str) -> int:
    """End every open session of a person (admin revocation)."""
    ended = 0
    async with atomic() as work:
        open_sessions = await Session.filter(person_id=person.id, revoked_at=None)
        for session in open_sessions:
            ended += int(await _revoke(work, session, reason=reason))
    for session in open_sessions:
        sessions.drop(session.id)  # again after commit, as in do_end_session
    return ended


async def _revoke(work: Work, session: Session, *, reason: str) -> bool:
    changed = await Session.filter(id=session.id, revoked_at=None).update(
        revoked_at=utcnow(), revoked_reason=reason
    )
    if changed:
        sessions.drop(session.id)
        work.audit("auth.session_ended", "session", session.id, reason=reason)
        work.emit(
            "session.revoked", f"user:{session.person_id}",
            {"session_id": session.id, "reason": reason},
        )
    return bool(changed)
