"""Who is signed in: the identity provider's word for it (or, with none configured, the one local
researcher), the sign-in screen, and the account line in the sidebar."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from observation import access
from observation.ui.state import plain, settings, stop_with
from observation.ui.study import connection, guarded


def sign_in_configured() -> bool:
    """An identity provider is configured: ``[auth]`` in .streamlit/secrets.toml."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def signed_in() -> access.Identity | None:
    """The person this session acts for, made the one every write and export of this run checks;
    None when sign-in is configured and nobody (or nobody with a role in this study) is signed in.

    Without an identity provider the dashboard is one researcher's, on their own computer: it
    refuses to serve any address but this computer's."""
    if not sign_in_configured():
        if str(st.get_option("server.address")) not in LOOPBACK:
            stop_with(
                "No sign-in is configured, so this dashboard serves only this computer: set server.address "
                "to 127.0.0.1, or configure sign-in (docs/access.md: Sign-in for a team)."
            )
        me = access.local_researcher()
        access.act_as(me)
        return me
    if not st.user.get("is_logged_in"):
        return None
    email = _vouched_email()
    if _session_expired():
        st.session_state.pop("signed_in_as", None)
        st.logout()
        return None
    con = connection()
    found = guarded(lambda: access.identity_of(con, email)) if email else None
    if st.session_state.get("signed_in_as") != email:  # once per session: audit who came, and with what
        guarded(lambda: access.record_sign_in(con, found, email or "(no verified email from the identity provider)"))
        st.session_state["signed_in_as"] = email
    if found is None:
        return None
    access.act_as(found)
    return found


def _vouched_email() -> str:
    """The address the identity provider vouches for: its email claim when it marks it verified;
    otherwise (Microsoft Entra ID sends no email_verified, and lets users edit their email) the
    account's user principal name, preferred_username, which the organisation assigns."""
    if st.user.get("email_verified") is True and st.user.get("email"):
        return str(st.user.get("email"))
    return str(st.user.get("preferred_username") or "")


def _session_expired() -> bool:
    """Sign-in lasts ``OBSERVATION_SESSION_HOURS`` from the identity provider's sign-in time (the
    ID token's ``iat``), however long Streamlit's cookie would last."""
    issued = st.user.get("iat")
    try:
        signed_in_at = dt.datetime.fromtimestamp(float(str(issued)), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return True  # every ID token carries iat: without one, sign in again
    return dt.datetime.now(tz=dt.UTC) - signed_in_at > dt.timedelta(hours=settings().session_hours)


def sign_in_screen() -> None:
    """Signed out, or signed in without a role in this study: say which, and offer the way on."""
    st.title("Microsystem involvement")
    if st.user.get("is_logged_in"):
        email = _vouched_email() or "an account without a verified email address"
        st.warning(
            f"You are signed in as {plain(email)}, but this study has not given you access. "
            "Ask one of its researchers to add you on the Access page.",
            icon=":material/lock:",
        )
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        return
    st.write("Observations of service-user and carer involvement in improvement meetings. Sign in to continue.")
    st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")


def account(me: access.Identity) -> None:
    """Who is signed in, in the sidebar, with the way out."""
    with st.sidebar:
        if sign_in_configured():
            st.caption(f"Signed in as {plain(me.email)} · {me.role}")
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
        else:
            st.caption(
                f"Local mode: no sign-in is configured, so you are the one researcher ({plain(me.email)}) "
                "and the dashboard answers only on this computer."
            )
