"""Streamlit glue for the Coding page: who codes, which note or transcript, the passage chosen in
its text, the codes given to it, the codings listed with their memos, and a code's memo. No SQL:
everything is read and written through observation.coding."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from observation import access, coding
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.ui import choices
from observation.ui.passage import TONES, Highlight, Passage, choose_passage
from observation.ui.signin import sign_in_configured
from observation.ui.state import keep, plain, query_params
from observation.ui.study import cached, connection, study_changed

documents = cached(coding.documents)
document = cached(coding.document)
codings = cached(coding.codings)
code_choices = cached(coding.code_choices)
coders = cached(coding.coders)
code_memos = cached(coding.code_memos)
"""The page's reads, cached on the study, its data version and the reader (every save clears them)."""

FLASH = "coding_flash"
CODER = "coding_coder"
NEW_CODER = "coding_new_coder"
A_NEW_CODER = "A new coder…"
DOCUMENT = "coding_document"
PAGE = "coding_page"
CODES = "coding_codes"
CLEAR_CODES = "coding_clear_codes"
WHOLE = "coding_whole"
PASSAGE = "coding_passage"
TEXT_HEIGHT = 420
TABLE = "coding_table"
TABLE_ROUND = "coding_table_round"
OTHERS = "coding_others"
PASSAGE_ROUND = "coding_passage_round"
MEMO_CODE = "coding_memo_code"
WHOLE_DOCUMENT = {"note": "Code the whole note", "interview": "Code the whole transcript"}


class DocumentLink(BaseModel):
    """What a link to the page may name: one note (``?note=ID``) or one transcript (``?interview=ID``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    note: int | None = Field(default=None, ge=1, le=2**31 - 1)
    interview: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _one(self) -> DocumentLink:
        if self.note is not None and self.interview is not None:
            raise ValueError("a link names one note or one interview, not both")
        return self

    @property
    def chosen(self) -> tuple[coding.Kind, int] | None:
        if self.note is not None:
            return ("note", self.note)
        if self.interview is not None:
            return ("interview", self.interview)
        return None


def _key(kind: str, document_id: int) -> str:
    return f"{kind}:{document_id}"


def _parsed(key: str) -> tuple[coding.Kind, int]:
    kind, _, number = key.partition(":")
    return ("interview" if kind == "interview" else "note"), int(number)


def flash(place: str) -> None:
    """Say what the last change made at ``place`` did, once, there (beside the control that made
    it, not at the top of the page), after the rerun that shows it."""
    held = st.session_state.get(FLASH)
    if held and held[0] == place:
        del st.session_state[FLASH]
        st.success(plain(held[1]), icon=":material/check:")


def attempt(change: Callable[[], str], place: str, *, forget_choice: bool = False) -> None:
    """Run a change; on success every page reads the study afresh and the page says what was done
    at ``place`` (``flash``); otherwise it says why nothing was saved, here (one line, never a
    traceback). ``forget_choice``: the coding chosen in the table is let go of (it was removed or
    changed), so the next rerun opens none."""
    try:
        message = change()
    except ObservationError as exc:
        st.error(plain(f"Nothing was saved. {exc}"), icon=":material/error:")
        return
    study_changed()
    st.session_state[FLASH] = (place, message)
    if forget_choice:
        st.session_state[TABLE_ROUND] = int(st.session_state.get(TABLE_ROUND, 0)) + 1
    st.rerun()


# --- who codes ------------------------------------------------------------------------------------


def choose_coder() -> str | None:
    """The coder the codings are saved under: the signed-in person's email when sign-in is
    configured; in local mode, a coder code chosen here (one who has coded already, or a new one,
    checked). None until a valid one is chosen."""
    me = access.current()
    if sign_in_configured():
        st.caption(plain(f"You code as {me.email}."))
        return me.email
    known = list(coders())
    keep(CODER)
    options = [*known, A_NEW_CODER]
    if st.session_state.get(CODER) not in options:
        st.session_state[CODER] = known[0] if known else A_NEW_CODER
    picked = st.selectbox(
        "Coder",
        options,
        key=CODER,
        help="Who the codings are saved under: a coder code (such as R01, or your name as an import gave it), "
        "the same one each time you code, so that coder agreement compares your codings with others'.",
    )
    if picked != A_NEW_CODER:
        return str(picked)
    keep(NEW_CODER)
    typed = st.text_input("New coder code", key=NEW_CODER, placeholder="e.g. R03", max_chars=200)
    if not typed.strip():
        st.caption("Type your coder code to start coding.")
        return None
    try:
        return coding.coder_code(typed)
    except ObservationError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return None


# --- which document ----------------------------------------------------------------------------------


def _from_link() -> tuple[coding.Kind, int] | None:
    """The note or transcript the link names, validated; a bad value is ignored with a notice."""
    params = query_params()
    asked = {k: params[k] for k in ("note", "interview") if k in params}
    if not asked:
        return None
    try:
        return DocumentLink.model_validate(asked).chosen
    except ValidationError:
        if len(asked) > 1:
            said = "The link names a note and an interview: choose one"
        else:
            ((kind, value),) = asked.items()
            said = coding.missing(kind, value)
        st.warning(plain(f"{said}. The link's {', '.join(f'{k}={v}' for k, v in asked.items())} was ignored."),
                   icon=":material/link_off:")  # fmt: skip
        return None


def choose_document(flt: StudyFilter) -> coding.Document | None:
    """The note or transcript to code: the one the link names (``?note=ID``, ``?interview=ID``), or
    one found by words, team or date in the filter, from a paged list. The choice is kept in the link."""
    linked = _from_link() if f"{DOCUMENT}__from_url" not in st.session_state else None
    st.session_state[f"{DOCUMENT}__from_url"] = True
    if linked is not None:
        st.session_state[DOCUMENT] = _key(*linked)
    keep(DOCUMENT)
    search, page = st.columns([4, 1])
    with search:
        text = choices.url_text(
            "coding_q", "q", "Find a note or transcript", "words in it, a team, an observer or K-03"
        )
    query = coding.DocumentQuery(text=text)
    number = max(1, int(st.session_state.get(PAGE) or 1))
    found = documents(flt, query.model_copy(update={"offset": (number - 1) * coding.PAGE_SIZE}))
    pages = max(1, -(-found.total // coding.PAGE_SIZE))
    if number > pages:  # fewer found than before: back to the first page
        number = st.session_state[PAGE] = 1
        found = documents(flt, query)
    with page:
        if pages > 1:
            number = int(st.number_input("Page", 1, pages, key=PAGE, help=f"{coding.PAGE_SIZE} a page"))
    titles = {_key(r.kind, r.id): f"{r.title} · {_codings(r.codings)}" for r in found.rows}
    chosen = st.session_state.get(DOCUMENT)
    if chosen and chosen not in titles:
        kind, document_id = _parsed(chosen)
        try:
            held = coding.document(connection(), kind, document_id)
            titles = {chosen: held.title, **titles}
        except ObservationError as exc:
            st.warning(plain(f"{exc}."), icon=":material/link_off:")
            st.session_state[DOCUMENT] = chosen = None
    if found.total:
        st.caption(f"{found.total:,} {'note or transcript' if found.total == 1 else 'notes and transcripts'} found"
                   + (f"; page {number} of {pages}." if pages > 1 else "."))  # fmt: skip
    if st.session_state.get(DOCUMENT) not in titles:
        st.session_state[DOCUMENT] = None
    picked = st.selectbox(
        "Note or transcript to code",
        list(titles),
        format_func=titles.__getitem__,
        key=DOCUMENT,
        index=None,
        placeholder="Choose one" if titles else "None found: try other words, or widen the sidebar's filter",
    )
    if picked is None:
        _say_in_link(None)
        return None
    kind, document_id = _parsed(picked)
    _say_in_link((kind, document_id))
    return document(kind, document_id)


def _say_in_link(chosen: tuple[str, int] | None) -> None:
    for kind in ("note", "interview"):
        choices.keep_in_url(kind, chosen[1] if chosen and chosen[0] == kind else None, None)


def _codings(n: int) -> str:
    return "not coded" if n == 0 else f"{n} coding{'s' if n != 1 else ''}"


# --- the text, and coding a passage --------------------------------------------------------------------


def shown_codings(
    found: tuple[coding.Coding, ...], coder: str | None
) -> tuple[tuple[coding.Coding, ...], tuple[coding.Coding, ...]]:
    """The coder's own codings, and the other coders' ones when "Show other coders' passages" is on
    (off by default, so that each coder codes without seeing the others' work)."""
    mine = tuple(c for c in found if c.coder == coder)
    others = tuple(c for c in found if c.coder != coder) if st.session_state.get(OTHERS) else ()
    return mine, others


def highlights(found: tuple[coding.Coding, ...]) -> list[Highlight]:
    """Each coded passage (codings of the whole document are listed, not highlighted), one tint per
    code, labelled with the codes and coders on it."""
    by_span: dict[tuple[int, int], list[coding.Coding]] = {}
    for c in found:
        if c.start is not None and c.end is not None:
            by_span.setdefault((c.start, c.end), []).append(c)
    return [  # a code's tint from its id: the same on every visit, whatever else is coded
        Highlight(start, end, "; ".join(f"{c.code.name} — {c.coder}" for c in cs), cs[0].code.id % TONES)
        for (start, end), cs in sorted(by_span.items())
    ]


def choose_text_passage(doc: coding.Document, found: tuple[coding.Coding, ...]) -> Passage | None:
    """The text, with the passages shown highlighted; the passage chosen in it (the document's title
    is the picker's, above: not said again)."""
    st.toggle(
        "Show other coders' passages", key=OTHERS,
        help="Off: only your own codings are highlighted and listed, so that your coding stays independent of "
        "others' (coder agreement compares them). On: theirs are shown too, read-only.",
    )  # fmt: skip
    return choose_passage(doc.text, highlights(found), key=passage_key(doc.kind, doc.id), height=TEXT_HEIGHT)


def passage_key(kind: str, document_id: int) -> str:
    """The passage widget's key: one per document, and a new one after each save, so that the
    passage just coded is let go of."""
    return f"{PASSAGE}_{kind}_{document_id}_{int(st.session_state.get(PASSAGE_ROUND, 0))}"


def _code_paths() -> dict[int, str]:
    """Each code of the codebook by its id, as its path in words: what every code box offers."""
    return {c.id: c.path for c in code_choices()}


def code_form(doc: coding.Document, passage: Passage | None, coder: str | None) -> None:
    """The passage chosen, quoted; the codes to give it (or to the whole document); Save."""
    paths = _code_paths()
    whole_key = f"{WHOLE}_{doc.kind}_{doc.id}"
    said = st.container()  # one place, there or empty: the controls below keep theirs (and their focus)
    if st.session_state.get(whole_key):
        said.caption(f"The codes go to the whole {coding.KINDS[doc.kind]}.")
    elif passage is not None:  # the widget quotes it (and says when none is chosen): here, where it is
        said.caption(f"The chosen passage: characters {passage.start:,} to {passage.end:,} of {len(doc.text):,}.")
    codes_key = f"{CODES}_{doc.kind}_{doc.id}"
    if st.session_state.pop(CLEAR_CODES, None) == codes_key:  # set before the widget is drawn, so it shows it
        st.session_state[codes_key] = []
    chosen = st.multiselect(
        "Codes",
        list(paths),
        format_func=paths.__getitem__,
        key=codes_key,
        placeholder="Choose one or more codes",
        select_all=False,
    )  # fmt: skip  (select_all=False: Enter adds the one code highlighted, never "Select all" or every match)
    whole = st.toggle(WHOLE_DOCUMENT[doc.kind], key=whole_key)
    ready = coder is not None and bool(chosen) and (whole or passage is not None)
    if st.button("Save", key="coding_save", type="primary", disabled=not ready):
        start, end = (None, None) if whole or passage is None else (passage.start, passage.end)
        seen = doc.text if start is None or passage is None else passage.text

        def save() -> str:
            done = coding.code_passage(connection(), doc.kind, doc.id, chosen, start, end, str(coder), seen=seen)
            st.session_state[CLEAR_CODES] = codes_key  # saved: the codes start empty for the next passage
            st.session_state[PASSAGE_ROUND] = int(st.session_state.get(PASSAGE_ROUND, 0)) + 1  # and the passage
            return done.message()

        attempt(save, "save")
    flash("save")


def table_key(doc: coding.Document) -> str:
    """The codings table's key: one per document, and a new one after a coding is removed or
    changed, so that a row chosen before never opens another coding."""
    return f"{TABLE}_{doc.kind}_{doc.id}_{int(st.session_state.get(TABLE_ROUND, 0))}"


def _frame(doc: coding.Document, found: tuple[coding.Coding, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [c.code.name for c in found],  # its own name, in its own column: never cut to its parents'
            "under": [c.code.path.rpartition(coding.PATH_SEPARATOR)[0] for c in found],
            "coder": [c.coder for c in found],
            "passage": [coding.passage_words(doc.text, c.start, c.end, most=60) for c in found],
            "memos": ["; ".join(f"{m.author}: {m.body}" for m in c.memos) or "none" for c in found],
        }
    )


COLUMNS = {
    "code": st.column_config.TextColumn("Code", width=160),
    "under": st.column_config.TextColumn("Under", width=120),
    "coder": st.column_config.TextColumn("Coder", width=60),
    "passage": st.column_config.TextColumn("Passage", width=140),
    "memos": st.column_config.TextColumn("Memos", width=100),
}
"""The tables' columns, sized to fit beside the sidebar at 1024 pixels (about 560 of them): the
code's own name, then the codes it sits under (as the Codes box writes them, "A › B"). The coder's
own table has no Coder column (always them)."""


def codings_list(doc: coding.Document, found: tuple[coding.Coding, ...], coder: str | None) -> None:
    """The coder's own codings of the document in a table (code, coder, passage and memos); the one
    chosen in it can be given another code, removed, or given a memo. Other coders' codings, when
    shown, in a table of their own, read-only."""
    mine, others = shown_codings(found, coder)
    st.subheader(f"Your codings of this {coding.KINDS[doc.kind]} ({len(mine)})", anchor=False)
    flash("coding")
    if not mine:
        st.caption("You have not coded it yet." if coder else "Choose a coder above to see your codings.")
    else:
        event = st.dataframe(
            _frame(doc, mine).drop(columns="coder"), key=table_key(doc), on_select="rerun", selection_mode="single-row",
            hide_index=True, width="stretch", column_config=COLUMNS,
        )  # fmt: skip
        rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
        if not rows or rows[0] >= len(mine):
            st.caption("Choose a coding in the table to give it another code, remove it, or write a memo on it.")
        else:
            _one_coding(doc, mine[rows[0]], _code_paths(), coder)
    if others:
        st.subheader(f"Other coders' codings ({len(others)})", anchor=False)
        st.dataframe(_frame(doc, others), hide_index=True, width="stretch", column_config=COLUMNS)
    elif st.session_state.get(OTHERS):  # asked for, and there are none: say so, or the switch seems to do nothing
        st.caption(f"No other coder has coded this {coding.KINDS[doc.kind]}.")


def _one_coding(doc: coding.Document, c: coding.Coding, paths: dict[int, str], coder: str | None) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(c.code.path)}** · {plain(coding.passage_words(doc.text, c.start, c.end, most=400))}")
        for memo in c.memos:
            if memo.author != coder:  # the coder's own is in the box below
                st.caption(plain(f"Memo by {memo.author}: {memo.body}"))
        ids = list(paths)
        other = st.selectbox(
            "Another code for this coding", ids, index=ids.index(c.code.id) if c.code.id in paths else None,
            format_func=paths.__getitem__, key=f"coding_recode_{c.id}",
        )  # fmt: skip
        left, right = st.columns(2)
        me = str(coder)
        if left.button("Change the code", key=f"coding_change_{c.id}", disabled=other in (None, c.code.id)):
            change = int(other or c.code.id)
            attempt(lambda: coding.recode(connection(), c.id, coder=me, code_id=change), "coding", forget_choice=True)
        if right.button("Remove this coding", key=f"coding_remove_{c.id}"):
            attempt(lambda: coding.uncode(connection(), c.id, coder=me), "coding", forget_choice=True)

        def save(body: str) -> str:
            return coding.write_memo(connection(), coding_id=c.id, body=body, author=me)

        mine = next((m.body for m in c.memos if m.author == coder), "")
        _memo_box(f"coding_memo_{c.id}", "Your memo on this coding", coder, mine, save)


def _memo_box(key: str, label: str, coder: str | None, current: str, save: Callable[[str], str]) -> None:
    body = st.text_area(
        label if coder else f"{label} (choose a coder first)", value=current, key=key,
        max_chars=coding.MEMO_MAX, disabled=coder is None,
    )  # fmt: skip
    if st.button("Save the memo", key=f"{key}_save", disabled=coder is None):
        attempt(lambda: save(body), key)
    flash(key)
    if current:
        st.caption("Saving it empty removes it.")


def code_memo(coder: str | None) -> None:
    """A memo on a code of the codebook: what the coder makes of the code, beside its definition."""
    paths = _code_paths()
    with st.expander("A memo on a code", expanded=st.session_state.get(MEMO_CODE) is not None):
        code_id = st.selectbox("Code to write a memo on", list(paths), format_func=paths.__getitem__, key=MEMO_CODE,
                               index=None, placeholder="Choose a code")  # fmt: skip
        if code_id is None:
            return
        memos = code_memos(int(code_id))
        for memo in memos:
            if memo.author != coder:
                st.caption(plain(f"Memo by {memo.author}: {memo.body}"))
        mine = next((m.body for m in memos if m.author == coder), "")

        def save(body: str) -> str:
            return coding.write_memo(connection(), code_id=int(code_id), body=body, author=str(coder))

        _memo_box(f"coding_code_memo_{code_id}", "Your memo on this code", coder, mine, save)


def codings_of(doc: coding.Document) -> tuple[coding.Coding, ...]:
    return codings(doc.kind, doc.id)


def stop_unless_ready(doc: coding.Document | None) -> coding.Document:
    if doc is None:
        st.info("Choose a note or an interview transcript above to code it.", icon=":material/arrow_upward:")
        st.stop()
    return doc
