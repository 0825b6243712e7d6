"""Tables of the views, Coder agreement (per note and per passage) and the Audit trail, with their
columns named and formatted for reading: every share a whole percent, an empty cell a dash (never
"None"), a long text readable in full once its row is chosen. A long table is shown a page at a
time: a national study has 100,000 meetings, and a browser table of them all would be slow to send
and no quicker to read."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Final

import pandas as pd
import streamlit as st

from observation import agreement, labels, notes
from observation.presenting import whole_percents
from observation.ui import study
from observation.ui.state import metric_row, plain

PAGE_ROWS = 500


def page_of(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of the page chosen above the table; all of them when there are PAGE_ROWS or fewer."""
    if len(frame) <= PAGE_ROWS:
        return frame
    pages = -(-len(frame) // PAGE_ROWS)
    choice, words = st.columns([1, 4], vertical_alignment="bottom")
    page = int(choice.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=f"{key}_page"))
    first = (page - 1) * PAGE_ROWS
    words.caption(
        f"Rows {first + 1:,} to {min(first + PAGE_ROWS, len(frame)):,} of {len(frame):,}. "
        "Sorting by a column sorts this page; choose teams or dates in the sidebar to narrow the table."
    )
    return frame.iloc[first : first + PAGE_ROWS]


def share_bar(label: str, help: str | None = None) -> Any:
    """A column of whole percentages (``whole_percents``) drawn as bars: "67%", never "66.67%"."""
    return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%d%%", help=help)


PERIOD_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "meeting": ("Meeting", "DD/MM/YYYY"),
    "month": ("Month", "MMM YYYY"),  # Jul 2019, never 01/07/2019
}
"""The period column's heading and date format (a momentJS format) by what a row counts."""


def effectiveness_table(frame: pd.DataFrame, period: str) -> None:
    """How the meetings ran, a row per meeting or month (``period``): a table of one team leaves
    out its name, the same on every row."""
    per_meeting = period == "meeting"  # a meeting was evaluated or not: yes or no, not 0% or 100%
    evaluated = frame["evaluated"].map({1.0: "yes", 0.0: "no"}) if per_meeting else whole_percents(frame["evaluated"])
    frame = frame.drop(columns=["team_id"]).assign(evaluated=evaluated)
    if frame["team_name"].nunique() <= 1:
        frame = frame.drop(columns=["team_name"])
    heading, date_format = PERIOD_COLUMNS[period]
    st.dataframe(
        page_of(frame, "effectiveness_table"),
        hide_index=True,
        key="effectiveness_table",
        placeholder="—",
        column_config={
            "team_name": st.column_config.TextColumn(
                "Team", width=name_width(frame.get("team_name", pd.Series(dtype=str)))
            ),
            "period": st.column_config.DateColumn(heading, format=date_format),
            "held": st.column_config.NumberColumn("Held"),
            "not_held": st.column_config.NumberColumn("Not held"),
            "roles_filled": st.column_config.NumberColumn(  # a meeting's count, a month's mean
                "Roles filled (of 4)", format="%d" if period == "meeting" else "%.1f"
            ),
            "action_items": st.column_config.NumberColumn("Action items"),
            "evaluated": st.column_config.TextColumn("Evaluated", help="Whether the meeting was evaluated at the end")
            if per_meeting
            else share_bar("Evaluated", "Share of the held meetings evaluated at the end"),
        },
    )


def continuity_table(frame: pd.DataFrame) -> None:
    st.dataframe(
        page_of(frame, "continuity_table"),
        hide_index=True,
        key="continuity_table",
        placeholder="—",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width=name_width(frame["team_name"])),
            "code": "Participant",
            "role": "Role",
            "first_attended": st.column_config.DateColumn("First came", format="DD/MM/YYYY"),
            "last_attended": st.column_config.DateColumn("Last came", format="DD/MM/YYYY"),
            "meetings_attended": st.column_config.NumberColumn("Meetings attended"),
            "longest_streak": st.column_config.NumberColumn(
                "Longest run", help="Most consecutive held meetings of the team the person was present at"
            ),
        },
    )


NAME_CHAR_PX = 7  # a width of one character of the tables' 14 px font (about 6 px), with room to spare


def name_width(names: pd.Series, least: int = 120, most: int = 360) -> int:
    """A column's width in pixels that shows the longest of ``names`` whole (a cell's padding
    included), within ``least`` and ``most``."""
    longest = int(names.astype(str).str.len().max()) if len(names) else 0
    return max(least, min(most, NAME_CHAR_PX * longest + 24))


def events_table(frame: pd.DataFrame, key: str, empty: str = "No recruitment events here.") -> None:
    """Recruitment steps, a row each: the team's name shown whole ("Willow mental-health inpatient
    ward" is not cut at 1440 px), the coded reason wrapping into the width left."""
    if frame.empty:
        st.info(empty)
        return
    frame = frame.assign(stage=frame["stage"].map(labels.RECRUITMENT_STAGES))
    st.dataframe(
        page_of(frame, key),
        hide_index=True,
        key=key,
        placeholder="—",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width=name_width(frame["team_name"])),
            "code": "Person (code)",
            "stage": "Stage",
            "event_date": st.column_config.DateColumn("Date", format="DD/MM/YYYY"),
            "reason": st.column_config.TextColumn("Coded reason", width="medium"),
            "source": st.column_config.TextColumn(
                "Known from", help="A recorded recruitment step, the attendance register, or implied by a later stage."
            ),
        },
    )


def stage_times_table(frame: pd.DataFrame) -> None:
    frame = frame.assign(
        from_stage=frame["from_stage"].map(labels.RECRUITMENT_STAGES),
        to_stage=frame["to_stage"].map(labels.RECRUITMENT_STAGES),
    )
    st.dataframe(
        page_of(frame, "stage_times_table"),
        hide_index=True,
        key="stage_times_table",
        placeholder="—",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width=name_width(frame["team_name"])),
            "from_stage": "From",
            "to_stage": "To",
            "people": "People",
            "median_days": st.column_config.NumberColumn("Median days", format="%.0f"),
            "max_days": st.column_config.NumberColumn("Longest (days)"),
        },
    )


def agreement_percent(share: float | None) -> str:
    """An agreement as a page's sentence or metric prints it (agreement.shown_percent)."""
    shown = agreement.shown_percent(share)
    return "—" if shown is None else f"{shown}%"


def agreement_summary(result: agreement.Agreement) -> None:
    notes_col, percent_col, kappa_col = metric_row(3)
    notes_col.metric("Notes coded by both", f"{result.notes:,}", border=True)
    percent_col.metric("Agreement", agreement_percent(result.overall.percent), border=True)
    pooled = agreement.shown_kappa(result.overall.kappa)
    kappa_col.metric(
        "Cohen's kappa",
        "—" if pooled is None else f"{pooled:.2f}",
        border=True,
        help="Pooled over every note-and-code decision; 1 is perfect, 0 is what chance alone gives.",
    )
    frame = pd.DataFrame(
        [
            {
                "code": c.code_name,
                "both": c.tally.both,
                "only_a": c.tally.only_a,
                "only_b": c.tally.only_b,
                "neither": c.tally.neither,
                "percent": agreement.shown_percent(c.tally.percent),
                "kappa": agreement.shown_kappa(c.tally.kappa),
            }
            for c in result.codes
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        key="agreement_codes",
        placeholder="—",
        column_order=["code", "percent", "kappa", "both", "only_a", "only_b", "neither"],  # the measures in view first
        column_config={
            "code": st.column_config.TextColumn("Code", width=name_width(frame["code"])),
            "both": st.column_config.NumberColumn("Both", format="localized"),
            "only_a": st.column_config.NumberColumn(f"{result.coder_a} only", format="localized"),
            "only_b": st.column_config.NumberColumn(f"{result.coder_b} only", format="localized"),
            "neither": st.column_config.NumberColumn("Neither", format="localized"),
            "percent": share_bar("Agreement", "Share of the notes on which the two coders made the same decision"),
            "kappa": st.column_config.NumberColumn("Kappa", format="%.2f"),
        },
    )


def disagreements_table(result: agreement.Agreement) -> None:
    """Every note the coders disagree on, its text wrapped over three lines; choosing a row shows the
    note in full below, with each code the two coders applied differently to it."""
    if result.disagreements.empty:
        st.success("They agree on every note.")
        return
    shown = page_of(result.disagreements, "agreement_disagreements")
    st.caption("Choose a row to read its note in full below.")
    event = st.dataframe(
        shown,
        hide_index=True,
        key=choosing_key("agreement_disagreements", shown, ["note_id", "code_name"]),
        on_select="rerun",
        selection_mode="single-row",
        row_height=76,
        placeholder="—",
        column_order=["team_name", "day", "body", "code_name", "coded_by"],
        column_config={
            "team_name": st.column_config.TextColumn("Team", width=150),
            "day": st.column_config.DateColumn("Date", format="DD/MM/YYYY", width=90),
            "body": st.column_config.TextColumn("Note", width="large"),
            "code_name": st.column_config.TextColumn("Code", width=170),
            "coded_by": st.column_config.TextColumn("Applied by", width=100),
        },
    )
    row = _chosen(event, shown)
    if row is None:
        return
    same_note = shown[shown["note_id"] == row["note_id"]]
    with st.container(border=True, key="agreement_note"):
        st.markdown(f"**{plain(str(row['team_name']))}, {row['day']:%d/%m/%Y}**")
        st.text(str(row["body"]))  # a note standing alone: its line breaks kept, nothing read as markdown
        st.caption(
            plain("; ".join(f"{c}: {by}" for c, by in zip(same_note["code_name"], same_note["coded_by"], strict=True)))
        )


def span_summary(result: agreement.SpanAgreement) -> None:
    """Span agreement pooled over the codes, in a sentence, and per code in a table (characters
    each coder coded, both coded, the agreement as a whole percent, the passages one alone coded)."""
    if not result.codes:
        st.info("These two coders coded no passage of the same notes or transcripts within the filters.")
        return
    a, b, pooled = plain(result.coder_a), plain(result.coder_b), result.overall
    st.markdown(
        f"Pooled over the codes, **span agreement {agreement_percent(pooled.agreement)}**: {a} coded "
        f"{pooled.coded_a:,} characters, {b} {pooled.coded_b:,}, both {pooled.both:,}, over {_documents(result)} "
        "both coded. "
        f"{_counted(result.only_a, 'passage')} coded by {a} alone, {_counted(result.only_b, 'passage')} by {b} alone."
    )
    frame = pd.DataFrame(
        [
            {
                "code": c.code_name,
                "coded_a": c.overlap.coded_a,
                "coded_b": c.overlap.coded_b,
                "both": c.overlap.both,
                "agreement": agreement.shown_percent(c.overlap.agreement),
                "only_a": c.only_a,
                "only_b": c.only_b,
            }
            for c in result.codes
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        key="agreement_spans",
        placeholder="—",
        column_order=["code", "agreement", "coded_a", "coded_b", "both", "only_a", "only_b"],  # the measure first
        column_config={
            "code": st.column_config.TextColumn("Code", width=name_width(frame["code"])),
            "coded_a": st.column_config.NumberColumn(
                f"{result.coder_a} characters", help="Characters this coder coded with the code", format="localized"
            ),
            "coded_b": st.column_config.NumberColumn(
                f"{result.coder_b} characters", help="Characters this coder coded with the code", format="localized"
            ),
            "both": st.column_config.NumberColumn(
                "Both", help="Characters both coders coded with the code", format="localized"
            ),
            "agreement": share_bar("Span agreement", "2 × characters both coded ÷ (A's characters + B's characters)"),
            "only_a": st.column_config.NumberColumn(
                f"{result.coder_a} alone", help="Passages this coder coded and the other coded none of"
            ),
            "only_b": st.column_config.NumberColumn(
                f"{result.coder_b} alone", help="Passages this coder coded and the other coded none of"
            ),
        },
    )


def _documents(result: agreement.SpanAgreement) -> str:
    """ "4 notes and 1 interview transcript", leaving out a kind of which there is none."""
    kinds = ((result.notes, "note"), (result.transcripts, "interview transcript"))
    return " and ".join(_counted(n, kind) for n, kind in kinds if n)


def _counted(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


PASSAGE_MARKS = ("«", "»")
"""Around a passage in its context, in the table of passages where the coders differ."""


def differing_passages(result: agreement.SpanAgreement) -> None:
    """Each stretch where the coders differ with a code — a passage one coded and the other none
    of, or passages of both with a different extent — with a little of the document either side;
    choosing a row shows it below, the stretch in bold and what each coder coded of it."""
    if not result.passages_total:
        st.success("Every passage one of them coded, the other coded too, the same characters.")
        return
    frame = pd.DataFrame(
        [
            {
                "team_name": p.team_name or notes.NO_TEAM,
                "day": p.day,
                "document": _document(p),
                "passage": f"{p.before}{PASSAGE_MARKS[0]}{p.text}{PASSAGE_MARKS[1]}{p.after}",
                "code_name": p.code_name,
                "coded_by": f"{p.coder} only" if p.coder else "different extent",
            }
            for p in result.passages
        ]
    )
    shown = len(result.passages)
    limited = (
        f"The first {shown:,} of {result.passages_total:,} passages, by date. Choose teams or dates in the sidebar "
        "to see the others. "
        if shown < result.passages_total
        else ""
    )
    st.caption(f"{limited}Choose a row to read its passage in its context below.")
    event = st.dataframe(
        frame,
        hide_index=True,
        key=choosing_key("agreement_passages", frame, list(frame.columns)),
        on_select="rerun",
        selection_mode="single-row",
        row_height=76,
        placeholder="—",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width=150),
            "day": st.column_config.DateColumn("Date", format="DD/MM/YYYY", width=90),
            "document": st.column_config.TextColumn("Document", width=130),
            "passage": st.column_config.TextColumn(
                "Passage, in context",
                width=300,  # with the five columns beside it, the table fits a 1440 px screen
                help=f"The passage between {PASSAGE_MARKS[0]} and {PASSAGE_MARKS[1]}, with up to "
                f"{agreement.CONTEXT} characters of the document either side",
            ),
            "code_name": st.column_config.TextColumn("Code", width=170),
            "coded_by": st.column_config.TextColumn(
                "Coded by",
                width=100,
                help="One coder only, or both with a different extent (choose the row to see each one's)",
            ),
        },
    )
    row = _chosen(event, frame)
    if row is None:
        return
    passage = result.passages[int(str(row.name))]
    with st.container(border=True, key="agreement_passage"):
        st.markdown(
            f"**{plain(str(row['team_name']))}, {passage.day:%d/%m/%Y}** · {plain(str(row['document']))} · "
            f"{plain(passage.code_name)}, {_coded_by(result, passage)}"
        )
        st.markdown(_in_bold(passage))


def _coded_by(result: agreement.SpanAgreement, passage: agreement.Passage) -> str:
    """Who coded the stretch, in words: one coder alone, or what each coded of it."""
    if passage.coder:
        return f"coded by {plain(passage.coder)} alone"
    length = passage.end - passage.start

    def extent(coder: str, characters: int, passages: int) -> str:
        said = "all of them" if characters == length else f"{characters:,}"
        return f"{plain(coder)} coded {said}" + (f" (in {passages:,} passages)" if passages > 1 else "")

    return (
        f"a different extent: of these {_counted(length, 'character')}, "
        f"{extent(result.coder_a, passage.coded_a, passage.passages_a)}, "
        f"{extent(result.coder_b, passage.coded_b, passage.passages_b)}"
    )


def _document(passage: agreement.Passage) -> str:
    if passage.source == "note":
        return "Field note"
    group = labels.INFORMANT.get(passage.informant_group or "", "group not recorded")
    return f"Interview, {passage.informant} ({group})"


def _in_bold(passage: agreement.Passage) -> str:
    """The passage in bold within its context, every character of the study's text shown as typed
    (plain): the spaces at its ends stay outside the bold, where Markdown would not read it."""
    text = passage.text
    inner = text.strip()
    if not inner:
        return plain(passage.before + text + passage.after)
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{plain(passage.before + lead)}**{plain(inner)}**{plain(trail + passage.after)}"


def audit_entries(actions: Sequence[str]) -> None:
    """The Audit trail's latest entries in words (who, when, what), newest first; choosing one
    shows what happened in full below, and the entries as stored (ids and values as the study
    keeps them) are a download."""
    told = study.audit_told(tuple(actions))
    if told.empty:
        st.info("Nothing recorded yet.")
        return
    st.caption(f"The latest {len(told)} entries, newest first. Choose one to read it in full.")
    event = st.dataframe(
        told,
        hide_index=True,
        key=choosing_key("audit_table", told, ["id"]),
        on_select="rerun",
        selection_mode="single-row",
        row_height=68,  # over 4rem: the text wraps (Streamlit wraps only then)
        height=36 + 68 * 8,  # eight entries in view
        placeholder="—",
        column_config={
            "id": st.column_config.NumberColumn(
                "Entry", width=60, help="Its number in the download of the entries as stored", format="%d"
            ),
            "written_at": st.column_config.DatetimeColumn("When (UTC)", format="DD/MM/YYYY HH:mm", width=130),
            "actor": st.column_config.TextColumn("Who", width=170),
            "action": st.column_config.TextColumn("Action", width=110),
            "what": st.column_config.TextColumn("What happened", width="large"),
        },
    )
    entry = _chosen(event, told)
    if entry is not None:
        with st.container(border=True, key="audit_entry"):
            st.markdown(f"**Entry {entry['id']}** · {entry['written_at']:%d/%m/%Y %H:%M} UTC · {plain(entry['actor'])}")
            st.markdown(plain(str(entry["what"])))
    st.download_button(
        "Download these entries as stored (CSV)",
        study.audit_csv(tuple(actions)),
        file_name="audit-trail.csv",
        mime="text/csv",
        key="audit_download",
        on_click="ignore",
        help="Each entry with the ids and values the study keeps (a value over 100,000 characters cut, saying "
        "how long it was), for checking against the study itself.",
    )


def choosing_key(name: str, shown: pd.DataFrame, naming: Sequence[str]) -> str:
    """The key of a table whose rows can be chosen, for the rows it shows (``naming``: the columns
    that tell one row from another). Streamlit keeps a chosen row by its position: after another
    page of the table, another filter or a new entry, the same position would open another row, one
    nobody chose. A table of other rows is a new table, with nothing chosen in it."""
    rows = pd.util.hash_pandas_object(shown[list(naming)], index=False).to_numpy().tobytes()
    return f"{name}_{hashlib.blake2b(rows, digest_size=6).hexdigest()}"


def _chosen(event: Any, shown: pd.DataFrame) -> pd.Series | None:
    """The row of ``shown`` chosen in its table (``event``: what st.dataframe returned), if one is."""
    rows = list(event.selection.rows) if event is not None else []
    return shown.iloc[rows[0]] if rows and rows[0] < len(shown) else None
