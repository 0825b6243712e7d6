"""Streamlit glue for experience feedback and the impact log (observation.feedback): the
questionnaire at the end of a captured meeting (typed in with the person, from paper, or on their
own phone from a QR code), the phone's own screen, the questionnaire's editor in Study setup, and a
team's experience and impact on the Team profile. No SQL: everything goes through observation.feedback.
"""

from __future__ import annotations

import io
from functools import partial
from typing import Literal
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
import streamlit as st

from observation import definitions, feedback, labels
from observation.errors import ObservationError
from observation.ui import edits, study
from observation.ui.state import plain

ANSWER_PARAM = "answer"
"""The query parameter a phone link carries its token in: ``/?answer=…``, and nothing else."""
OPTIONS = ["5", "4", "3", "2", "1", "prefer_not"]
"""Each answer as a radio's option (a string, so that "prefer not to say" differs from no choice)."""
NOT_ANSWERED = "-"
LINKS = "experience_links"
"""The session's phone links shown, by (meeting, person): each shown until answered or replaced."""
ANSWERED = "experience_answered"
"""The phone's session, once it has answered: the thanks stay on screen."""
LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


def _option(answer: int | None) -> str:
    return "prefer_not" if answer is None else str(answer)


def _answer(option: str) -> int | None:
    return None if option == "prefer_not" else int(option)


def _label(option: str) -> str:
    if option == NOT_ANSWERED:
        return "Not answered"
    answer = _answer(option)
    return labels.ANSWERS[answer] if answer is None else f"{answer} · {labels.ANSWERS[answer]}"


# --- at the review of a captured meeting ------------------------------------------------------------------


def collect(meeting_id: int) -> None:
    """Each service user and carer present, with how they answer: here with the observer, on paper
    (typed in here), or on their own phone from a QR code."""
    con = study.connection()
    people = study.guarded(lambda: feedback.respondents(con, meeting_id))
    st.subheader(
        "How the meeting was for them",
        help="A short questionnaire for each service user and carer who came. "
        f"{definitions.EXPERIENCE_SCORE} {definitions.RESPONSE_RATE}",
    )
    edits.flash()
    if not people:
        st.info("Nobody with lived experience is marked present, so there is nobody to ask.")
        return
    items = study.guarded(lambda: feedback.items(con))
    for person in people:
        done = " — answered" if person.answered else ""
        with st.expander(plain(f"{person.code} · {person.role_label}{done}"), icon=":material/rate_review:"):
            key = f"experience_{meeting_id}_{person.participant_id}"
            how = st.segmented_control(
                "How they answer", list(labels.FEEDBACK_VIA), format_func=labels.FEEDBACK_VIA.__getitem__,
                key=f"{key}_via", default="review", required=True,
            )  # fmt: skip
            if how == "phone":
                _phone_link(meeting_id, person)
                continue
            given = study.guarded(partial(feedback.answers_of, con, meeting_id, person.participant_id))
            answers = _typed_in(f"{key}_{how}", items, given)
            if answers is not None:
                edits.attempt(partial(_record, meeting_id, person, answers, how == "paper"))


def _typed_in(key: str, items: tuple[feedback.Item, ...], given: dict[str, int | None]) -> dict[str, int | None] | None:
    """The questionnaire as the observer types it in: each item's answer, "prefer not to say"
    among them, or not answered; the answers once sent, else None."""
    options = [NOT_ANSWERED, *OPTIONS]
    with st.form(key, border=False):
        for item in items:
            before = options.index(_option(given[item.key])) if item.key in given else 0
            st.radio(plain(item.wording), options, index=before, horizontal=True, key=f"{key}_{item.key}",
                     format_func=_label)  # fmt: skip
        sent = st.form_submit_button("Save the answers", icon=":material/save:")
    if not sent:
        return None
    chosen = {i.key: str(st.session_state[f"{key}_{i.key}"]) for i in items}
    return {k: _answer(v) for k, v in chosen.items() if v != NOT_ANSWERED}


def _record(meeting_id: int, person: feedback.Respondent, answers: dict[str, int | None], paper: bool) -> str:
    via: Literal["review", "paper"] = "paper" if paper else "review"
    kept = feedback.record_answers(study.connection(), meeting_id, person.participant_id, answers, via)
    return f"{person.code}'s answers saved ({labels.counted(kept, 'item')})."


def _phone_link(meeting_id: int, person: feedback.Respondent) -> None:
    """A link for the person's own phone, as a QR code to scan and as text, until they answer."""
    links: dict[tuple[int, int], feedback.Link] = st.session_state.setdefault(LINKS, {})
    shown = links.get((meeting_id, person.participant_id))
    label = "Make a new link" if shown else "Show a QR code for their phone"
    if st.button(label, key=f"experience_link_{meeting_id}_{person.participant_id}", icon=":material/qr_code_2:"):
        try:
            shown = feedback.issue_link(study.connection(), meeting_id, person.participant_id)
        except ObservationError as exc:
            st.error(plain(f"No link was made. {exc}"), icon=":material/error:")
            return
        links[(meeting_id, person.participant_id)] = shown
        st.rerun()  # the button's words say a link is shown
    if shown is None:
        st.caption(
            "The link opens the questionnaire alone, for this meeting and this person, once, within "
            f"{feedback.LINK_HOURS} hours. It carries no code or name, and nothing of the study can be read through it."
        )
        return
    url = answer_url(shown.token)
    st.image(qr_svg(url), width=240)
    st.code(url, language=None, wrap_lines=True)
    expires = shown.expires_at.astimezone().strftime("%d %b %Y, %H:%M")
    st.caption(f"Usable once, until {expires}. Once they have answered, their name here says so after a reload.")
    if (urlsplit(url).hostname or "") in LOOPBACK:
        st.warning(
            "This dashboard serves only this computer, so a phone cannot open the link: type their answers in "
            "here instead, or serve the dashboard to your network with sign-in (docs/access.md).",
            icon=":material/phonelink_off:",
        )


def answer_url(token: str) -> str:
    """The address a phone opens: this dashboard's root with the token, and nothing else."""
    here = urlsplit(st.context.url or "http://localhost:8501/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{here.scheme}://{here.netloc}/{base + '/' if base else ''}?{ANSWER_PARAM}={token}"


def qr_svg(text: str) -> str:
    """``text`` as a QR code, an SVG drawing (dark on white, with the quiet zone scanners need)."""
    drawn = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    out = io.BytesIO()
    drawn.save(out)
    return out.getvalue().decode("utf-8")


# --- on the phone -------------------------------------------------------------------------------------------------


def answering() -> bool:
    """This session was opened from a phone link (app.py shows it the questionnaire and nothing else)."""
    return ANSWER_PARAM in st.query_params


def answer_screen() -> None:
    """The phone's screen: the questionnaire and a thank-you; nothing of the study, no sidebar."""
    st.title("Your view of the meeting")
    if st.session_state.get(ANSWERED):
        st.success("Thank you: your answers are saved. You can close this page.", icon=":material/favorite:")
        return
    token = str(st.query_params.get(ANSWER_PARAM, ""))
    con = study.connection()
    try:
        items = feedback.questions(con, token)
    except ObservationError as exc:
        st.warning(str(exc), icon=":material/link_off:")
        return
    st.markdown(
        "Thank you for coming. How was the meeting for you? Answer as many as you like; "
        "“Prefer not to say” is always fine. The study keeps your answers under your study code, never your "
        "name, and shows them only added up with other people's."
    )
    with st.form("phone_answers"):
        for item in items:
            st.radio(plain(item.wording), OPTIONS, index=None, format_func=_label, key=f"phone_{item.key}")
        sent = st.form_submit_button("Send my answers", type="primary", icon=":material/send:", width="stretch")
    if not sent:
        return
    chosen = {i.key: st.session_state.get(f"phone_{i.key}") for i in items}
    answers = {k: _answer(str(v)) for k, v in chosen.items() if v is not None}
    if not answers:
        st.error("Choose an answer to at least one question, or “Prefer not to say”.", icon=":material/error:")
        return
    try:
        feedback.answer_by_link(con, token, answers)
    except ObservationError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    study.study_changed()
    st.session_state[ANSWERED] = True
    st.rerun()
