"""Streamlit glue for the Access page: who may sign in, with which role and teams."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observation import access
from observation.ui.edits import attempt, flash
from observation.ui.signin import sign_in_configured
from observation.ui.study import connection, team_names


def people() -> list[access.Grant]:
    """Everyone given a role, as a table; returns them (the form that takes access away lists them)."""
    flash()
    if not sign_in_configured():
        st.info(
            "Sign-in is not configured, so this dashboard is yours alone, on this computer. The roles below "
            "apply once an identity provider is set up (docs/access.md: Sign-in for a team).",
            icon=":material/info:",
        )
    given = access.grants(connection())
    if not given:
        st.caption("Nobody has been given access yet.")
        return given
    teams = team_names()
    st.dataframe(
        pd.DataFrame(
            {
                "Email": [g.email for g in given],
                "Role": [g.role for g in given],
                "Teams": [", ".join(teams.get(i, f"team {i}") for i in g.teams) or "all" for g in given],
            }
        ),
        hide_index=True,
        key="access_table",
    )
    return given


def give() -> None:
    """The form that gives someone a role (replacing the one they had)."""
    teams = team_names()
    with st.form("access_give"):
        st.markdown("**Give access**")
        email = st.text_input("Email", placeholder="name@organisation.nhs.uk", help="As the identity provider gives it")
        role = st.selectbox("Role", list(access.ROLES), format_func=access.ROLES.__getitem__)
        chosen = st.multiselect(
            "Teams (coaches only)", list(teams), format_func=teams.__getitem__, placeholder="Choose a coach's teams"
        )
        if st.form_submit_button("Give access", icon=":material/person_add:"):
            attempt(lambda: _given(access.grant(connection(), email, role, chosen if role == "coach" else ())))


def take_away(given: list[access.Grant]) -> None:
    """The form that takes someone's access away from one of ``given``."""
    emails = [g.email for g in given]
    if not emails:
        return
    with st.form("access_revoke"):
        st.markdown("**Take access away**")
        email = st.selectbox("Email", emails, key="access_revoke_email")
        if st.form_submit_button("Take access away", icon=":material/person_remove:"):
            attempt(lambda: f"{email} may no longer sign in." if access.revoke(connection(), email) else "No change.")


def _given(grant: access.Grant) -> str:
    return f"{grant.email} may now sign in as a {grant.role}."
