"""Streamlit glue for experience feedback and the impact log (observation.feedback): the
questionnaire at the end of a captured meeting (typed in with the person, from paper, or on their
own phone from a QR code), the phone's own screen, the questionnaire's editor in Study setup, and a
team's experience and impact on the Team profile. No SQL: everything goes through observation.feedback.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import partial
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import qrcode
import qrcode.image.svg
import streamlit as st

from observation import access, definitions, disclosure, feedback, labels, presenting
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.presenting import percent, score_text
from observation.ui import edits, study
from observation.ui.state import metric_row, plain

ANSWER_PARAM = "answer"
"""The query parameter a phone link carries its token in: ``/?answer=…``, and nothing else."""
OPTIONS = ["5", "4", "3", "2", "1", "prefer_not"]
"""Each answer as a radio's option (a string, so that "prefer not to say" differs from no choice)."""
NOT_ANSWERED = "-"
LINKS = "experience_links"
"""The session's phone links shown, by (meeting, person): each shown until answered or replaced."""
ANSWERED = "experience_answered"
"""The link a phone's session has answered by: its thanks stay on screen for that link."""
LOGGED = "experience_changes_logged"
"""How many changes this session logged: the log-a-change form's widgets are keyed by it."""
LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


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
        done = " — answered on their phone" if person.by_phone else " — answered" if person.answered else ""
        with st.expander(plain(f"{person.code} · {person.role_label}{done}"), icon=":material/rate_review:"):
            if person.by_phone:
                st.caption("Their answers are theirs: they are not shown here, and cannot be typed over.")
                continue
            key = f"experience_{meeting_id}_{person.participant_id}"
            how = st.segmented_control(
                "How they answer", list(labels.FEEDBACK_VIA), format_func=labels.FEEDBACK_VIA.__getitem__,
                key=f"{key}_via", default="review", required=True,
            )  # fmt: skip
            if how == "phone":
                _phone_link(meeting_id, person)
                continue
            if person.answered:
                st.caption("Their answers are saved (not shown here: nobody's answers are shown against their "
                           "code). Answer an item again to replace its answer.")  # fmt: skip
            answers = _typed_in(f"{key}_{how}", items)
            if answers is not None:
                edits.attempt(partial(_record, meeting_id, person, answers, how == "paper"))


def _typed_in(key: str, items: tuple[feedback.Item, ...]) -> dict[str, int | None] | None:
    """The questionnaire as the observer types it in: each item's answer, "prefer not to say"
    among them, or not answered; the answers once sent, else None."""
    options = [NOT_ANSWERED, *OPTIONS]
    with st.form(key, border=False, clear_on_submit=True):
        for item in items:
            st.radio(plain(item.wording), options, horizontal=True, key=f"{key}_{item.key}", format_func=_label)
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
    expires = shown.expires_at.astimezone(_browser_zone()).strftime("%d %b %Y, %H:%M")
    st.caption(f"Usable once, until {expires}. Once they have answered, their name here says so after a reload.")
    if (urlsplit(url).hostname or "") in LOOPBACK:
        st.warning(
            "This dashboard serves only this computer, so a phone cannot open the link: type their answers in "
            "here instead, or serve the dashboard to your network with sign-in (docs/access.md).",
            icon=":material/phonelink_off:",
        )


def _browser_zone() -> dt.tzinfo | None:
    """The browser's time zone (None: the server's), so an expiry reads in the observer's own time."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


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
    token = str(st.query_params.get(ANSWER_PARAM, ""))
    if st.session_state.get(ANSWERED) == token:
        st.success("Thank you: your answers are saved. You can close this page.", icon=":material/favorite:")
        return
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
    st.session_state[ANSWERED] = token
    st.rerun()


# --- a team's experience and impact (Team profile) ------------------------------------------------------------

STATE_WORDS = {"asked": "", "reworded": " (earlier wording)", "removed": " (no longer asked)"}
SECTION_HELP = f"{definitions.EXPERIENCE_SCORE} {definitions.RESPONSE_RATE} {definitions.IMPACT_SHARE}"
NO_FEEDBACK = "No answers to the experience questionnaire are recorded for this team in these dates."


def headline(flt: StudyFilter, rule: disclosure.Rule | None = None) -> None:
    """The experience score, response rate and changes from lived experience of the filter's
    teams, as a row of figures (the Overview's, under the involvement figures), once anyone has
    answered or a change is logged; in presenter mode (``rule``), of the whole study, as the room's
    other figures are."""
    flt = StudyFilter() if rule is not None else flt
    found = feedback.totals(study.experience_by_month(flt), study.impact_by_month(flt))
    if found.responded or found.changes:  # a study that neither asks nor logs is not told it has 0%
        measures(found, rule)


def measures(found: feedback.Totals, rule: disclosure.Rule | None = None) -> None:
    """The three figures, each with the counts it rests on; in presenter mode (``rule``) without
    counts, each "hidden" where it rests on a count the rule hides."""
    score, rate, share = metric_row(3)
    shown = presenting.experience_shown(found, rule)

    def note(text: str) -> dict[str, object]:  # a plain line under the figure: no colour, no arrow
        return {} if rule is not None else {"delta": text, "delta_color": "off", "delta_arrow": "off"}

    score.metric("Experience score", shown.score, help=definitions.EXPERIENCE_SCORE, border=True,
                 **note(f"from {labels.counted(found.scored, 'response')}"))  # type: ignore[arg-type]  # fmt: skip
    rate.metric("Response rate", shown.response_rate, help=definitions.RESPONSE_RATE, border=True,
                **note(f"{found.responded:,} of {found.attended:,} attendances"))  # type: ignore[arg-type]  # fmt: skip
    logged = f"{found.with_lived_experience:,} of {labels.counted(found.changes, 'change')} logged"
    share.metric("From lived experience", shown.impact_share, help=definitions.IMPACT_SHARE, border=True,
                 **note(logged))  # type: ignore[arg-type]  # fmt: skip
    if rule is not None:
        st.caption(
            f"A figure reads “hidden” where a count it rests on (responses, attendances, changes logged, or "
            f"changes from lived experience) is from 1 to {rule.threshold - 1}, and “—” where there is nothing "
            "to measure yet."
        )


def team_experience(flt: StudyFilter, team_id: int) -> None:
    """The team's experience score, response rate and changes from lived experience against the
    other teams in the filter; each item's score; the changes logged (a researcher logs one here)."""
    st.subheader("Experience and impact", help=SECTION_HELP)
    edits.flash()
    by_month = study.experience_by_month(flt)
    changes = study.impact_by_month(flt)
    mine = feedback.totals(by_month[by_month["team_id"] == team_id], changes[changes["team_id"] == team_id])
    others = feedback.totals(by_month[by_month["team_id"] != team_id], changes[changes["team_id"] != team_id])
    measures(mine)
    if others.attended or others.changes:
        st.caption(
            f"The other teams in the filter: experience score {score_text(others.score)} "
            f"({labels.counted(others.scored, 'response')}), response rate {percent(others.response_rate)}, "
            f"changes from lived experience {percent(others.impact_share)} (of {others.changes:,})."
        )
    items = study.item_scores(profile_filter(flt, team_id))
    if mine.responded:
        st.dataframe(
            items.assign(
                wording=[w + STATE_WORDS[state] for w, state in zip(items["wording"], items["state"], strict=True)],
                mean=items["mean"].map(score_text),
            )[["wording", "mean", "answers", "prefer_not"]],
            hide_index=True,
            column_config={
                "wording": st.column_config.TextColumn("Item", width="large"),
                "mean": "Score",
                "answers": st.column_config.NumberColumn("Answers", format="%d"),
                "prefer_not": st.column_config.NumberColumn("Preferred not to say", format="%d"),
            },
        )
    else:
        st.info(NO_FEEDBACK, icon=":material/rate_review:")
    impact_log(flt, team_id)


def profile_filter(flt: StudyFilter, team_id: int) -> StudyFilter:
    return flt.model_copy(update={"teams": (team_id,)})


def impact_log(flt: StudyFilter, team_id: int) -> None:
    """The team's changes logged, latest first; a researcher logs one below."""
    st.markdown("**Changes to the improvement work**")
    log = study.impact_log(profile_filter(flt, team_id))
    if log.empty:
        st.caption("No change is logged for this team in these dates.")
    else:
        # a table, not a grid: what changed is read whole, its lines wrapped (its cells are Markdown)
        st.table(feedback.log_table(log, escape=plain), hide_index=True)
    if access.current().role == "researcher":
        _log_a_change(flt, team_id)


def _log_a_change(flt: StudyFilter, team_id: int) -> None:
    """The form that logs a change: what is typed stays when a save is refused, and the form is new
    after a save (its widgets' keys carry a number that each save moves on)."""
    meetings = study.meeting_rows(profile_filter(flt, team_id), "contributing")
    held = meetings[meetings["status"] == "held"].sort_values("meeting_date", ascending=False)
    choices: dict[int | None, str] = {None: "Not at a meeting"}
    days = zip(held["meeting_id"], held["meeting_date"], strict=True)
    choices |= {int(m): f"{pd.Timestamp(d):%d %b %Y}" for m, d in days}
    n = st.session_state.setdefault(LOGGED, 0)
    with st.expander("Log a change", icon=":material/add:"), st.form(f"impact_new_{n}"):
        day = st.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY", key=f"impact_date_{n}")
        kinds = labels.IMPACT_KINDS
        kind = st.selectbox("Change", list(kinds), format_func=kinds.__getitem__, key=f"impact_kind_{n}")
        origin = st.selectbox(
            "The idea came from", list(labels.IMPACT_ORIGINS), format_func=labels.IMPACT_ORIGINS.__getitem__,
            index=None, placeholder="Choose whom the idea came from", key=f"impact_origin_{n}",
        )  # fmt: skip
        meeting = st.selectbox(
            "Arose at the meeting of", list(choices), format_func=choices.__getitem__, key=f"impact_meeting_{n}"
        )
        example = "The agenda now goes out a week ahead, in plain English"
        what = st.text_area("What changed", max_chars=2000, placeholder=example, key=f"impact_what_{n}")
        if st.form_submit_button("Log the change", type="primary", icon=":material/save:"):
            edits.attempt(partial(_record_impact, team_id, day, kind, origin, meeting, what))


def _record_impact(team_id: int, day: dt.date, kind: str, origin: str | None, meeting: int | None, what: str) -> str:
    feedback.record_impact(study.connection(), team_id, day, kind, what, origin, meeting)
    st.session_state[LOGGED] = st.session_state.get(LOGGED, 0) + 1  # the next run draws an empty form
    return f"Change logged: {labels.IMPACT_KINDS[kind].lower()}, {day:%d %b %Y}."


def team_experience_in_the_room(team_id: int, rule: disclosure.Rule) -> None:
    """The team's experience and impact as a room may see them, over the whole study period as the
    room's other figures are: the three figures, each hidden when it rests on a count under the
    threshold; no count, no item, no change's words."""
    st.subheader("Experience and impact", help=SECTION_HELP)
    team = profile_filter(StudyFilter(), team_id)
    measures(feedback.totals(study.experience_by_month(team), study.impact_by_month(team)), rule)


# --- the questionnaire's editor (Study setup) -------------------------------------------------------------------


def questionnaire_editor() -> None:
    """The items asked now, each to reword or stop asking, and a new one to add. A reworded item is
    a new version: the answers given before keep the words they were given to."""
    con = study.connection()
    items = study.guarded(lambda: feedback.items(con))
    st.caption(
        "Each service user and carer present at a held meeting is asked these, on a five-point scale from "
        "strongly disagree to strongly agree, or prefer not to say. Rewording an item starts it afresh: answers "
        "given to the old words are kept with them, and each version is scored on its own."
    )
    for number, item in enumerate(items, start=1):
        with st.form(f"questionnaire_{item.key}", border=True):
            # the buttons as wide as their words: in columns, a 1,280 px window cut both to "Re…"
            row = st.container(horizontal=True, vertical_alignment="bottom")
            with row:
                said = st.text_input(f"Item {number} (version {item.version})", value=item.wording, max_chars=200)
                if st.form_submit_button("Reword", icon=":material/edit:"):
                    edits.attempt(partial(_reword, item, said))
                if st.form_submit_button(
                    "Remove", icon=":material/remove_circle:", help="Stop asking it; its answers stay"
                ):
                    edits.attempt(partial(_retire, item))
    # A new box after an item is added; one refused keeps its words to mend (clear_on_submit clears both).
    added = st.session_state.get(ADDED, 0)
    with st.form("questionnaire_new"):
        said = st.text_input(
            "A new item",
            max_chars=200,
            placeholder="The papers came in time for me to read them",
            key=f"new_item_{added}",
        )
        if st.form_submit_button("Add the item", icon=":material/add:"):
            edits.attempt(partial(_add, said))


def _reword(item: feedback.Item, wording: str) -> str:
    new = feedback.reword(study.connection(), item.key, wording)
    if new.version == item.version:
        return f"Nothing to change: the item already reads “{new.wording}”."
    return f"Item reworded (version {new.version}): {new.wording}"


def _retire(item: feedback.Item) -> str:
    feedback.retire(study.connection(), item.key)
    return f"No longer asked: {item.wording} (its answers are kept). To ask it again, add it in the same words."


def _add(wording: str) -> str:
    item = feedback.add_item(study.connection(), wording)
    st.session_state[ADDED] = st.session_state.get(ADDED, 0) + 1
    if item.asked_again:
        return f"Asked again: {item.wording} (its earlier answers are with it again)."
    return f"Added: {item.wording}"


ADDED = "questionnaire_added"
"""How many items were added this session: the new item's box is drawn afresh, empty, after each."""
