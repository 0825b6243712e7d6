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


def flash() -> None:
    """Say what the last change did, once, after the rerun that shows it."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(plain(message), icon=":material/check:")


def attempt(change: Callable[[], str]) -> None:
    """Run a change; on success every page reads the study afresh and the page says what was done;
    otherwise it says why nothing was saved (one line, never a traceback)."""
    try:
        message = change()
    except ObservationError as exc:
        st.error(plain(f"Nothing was saved. {exc}"), icon=":material/error:")
        return
    study_changed()
    st.session_state[FLASH] = message
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
        help="Who the codings are saved under: a coder code (letters, digits and '-', such as R01), the same "
        "one each time you code, so that coder agreement compares your codings with others'.",
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
        said = ", ".join(f"{k}={v!r}" for k, v in asked.items())
        st.warning(plain(f"Ignored {said} in the link: not one note or one interview of this study."),
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
            st.warning(plain(str(exc)), icon=":material/link_off:")
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


def highlights(found: tuple[coding.Coding, ...]) -> list[Highlight]:
    """Each coded passage (codings of the whole document are listed, not highlighted), one tint per
    code, labelled with the codes and coders on it."""
    tones: dict[int, int] = {}
    by_span: dict[tuple[int, int], list[coding.Coding]] = {}
    for c in found:
        if c.start is not None and c.end is not None:
            by_span.setdefault((c.start, c.end), []).append(c)
            tones.setdefault(c.code.id, len(tones) % TONES)
    return [
        Highlight(start, end, "; ".join(f"{c.code.name} — {c.coder}" for c in cs), tones[cs[0].code.id])
        for (start, end), cs in sorted(by_span.items())
    ]


def choose_text_passage(doc: coding.Document, found: tuple[coding.Coding, ...]) -> Passage | None:
    st.caption(plain(doc.title))
    return choose_passage(doc.text, highlights(found), key=f"{PASSAGE}_{doc.kind}_{doc.id}", height=TEXT_HEIGHT)


def code_form(doc: coding.Document, passage: Passage | None, coder: str | None) -> None:
    """The passage chosen, quoted; the codes to give it (or to the whole document); Save."""
    book = code_choices()
    paths = {c.id: c.path for c in book}
    whole_key = f"{WHOLE}_{doc.kind}_{doc.id}"
    if st.session_state.get(whole_key):
        st.caption(f"The codes go to the whole {coding.KINDS[doc.kind]}.")
    elif passage is None:
        st.caption("Select a passage in the text above (or code the whole of it), then choose codes.")
    else:
        st.markdown(f"> {plain(coding.passage_words(doc.text, passage.start, passage.end, most=400))}")
        st.caption(f"Characters {passage.start:,} to {passage.end:,} of {len(doc.text):,}.")
    codes_key = f"{CODES}_{doc.kind}_{doc.id}"
    if st.session_state.pop(CLEAR_CODES, None) == codes_key:  # set before the widget is drawn, so it shows it
        st.session_state[codes_key] = []
    chosen = st.multiselect(
        "Codes", list(paths), format_func=paths.__getitem__, key=codes_key,
        placeholder="Choose one or more codes",
    )  # fmt: skip
    whole = st.toggle(WHOLE_DOCUMENT[doc.kind], key=whole_key)
    ready = coder is not None and bool(chosen) and (whole or passage is not None)
    if st.button("Save", key="coding_save", type="primary", disabled=not ready):
        start, end = (None, None) if whole or passage is None else (passage.start, passage.end)

        def save() -> str:
            said = coding.code_passage(connection(), doc.kind, doc.id, chosen, start, end, str(coder)).message()
            st.session_state[CLEAR_CODES] = codes_key  # saved: the codes start empty for the next passage
            return said

        attempt(save)


TABLE = "coding_table"


def codings_list(doc: coding.Document, found: tuple[coding.Coding, ...], coder: str | None) -> None:
    """Every coding of the document in a table (its code's path, coder, passage and memos); the one
    chosen in it can be given another code, removed, or given a memo."""
    st.subheader(f"Codings of this {coding.KINDS[doc.kind]} ({len(found)})", anchor=False)
    if not found:
        st.caption("Not coded yet.")
        return
    frame = pd.DataFrame(
        {
            "code": [c.code.path for c in found],
            "coder": [c.coder for c in found],
            "passage": [coding.passage_words(doc.text, c.start, c.end) for c in found],
            "memos": ["; ".join(f"{m.author}: {m.body}" for m in c.memos) or "none" for c in found],
        }
    )
    event = st.dataframe(
        frame,
        key=TABLE,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_config={
            "code": st.column_config.TextColumn("Code", width="medium"),
            "coder": st.column_config.TextColumn("Coder", width="small"),
            "passage": st.column_config.TextColumn("Passage", width="large"),
            "memos": st.column_config.TextColumn("Memos", width="medium"),
        },
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if not rows or rows[0] >= len(found):
        st.caption("Choose a coding in the table to give it another code, remove it, or write a memo on it.")
        return
    book = code_choices()
    _one_coding(doc, found[rows[0]], {c.id: c.path for c in book}, coder)


def _one_coding(doc: coding.Document, c: coding.Coding, paths: dict[int, str], coder: str | None) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(c.code.path)}** · {plain(c.coder)}")
        st.caption(plain(coding.passage_words(doc.text, c.start, c.end, most=400)))
        for memo in c.memos:
            st.caption(plain(f"Memo by {memo.author}: {memo.body}"))
        ids = list(paths)
        other = st.selectbox(
            "Code", ids, index=ids.index(c.code.id) if c.code.id in paths else None,
            format_func=paths.__getitem__, key=f"coding_recode_{c.id}",
        )  # fmt: skip
        left, right = st.columns(2)
        if left.button("Change the code", key=f"coding_change_{c.id}", disabled=other in (None, c.code.id)):
            attempt(lambda: coding.recode(connection(), c.id, code_id=int(other or c.code.id)))
        if right.button("Remove this coding", key=f"coding_remove_{c.id}"):
            attempt(lambda: coding.uncode(connection(), c.id))

        def save(body: str) -> str:
            return coding.write_memo(connection(), coding_id=c.id, body=body, author=str(coder))

        _memo_box(f"coding_memo_{c.id}", coder, next((m.body for m in c.memos if m.author == coder), ""), save)


def _memo_box(key: str, coder: str | None, current: str, save: Callable[[str], str]) -> None:
    body = st.text_area(
        "Your memo" if coder else "Memo (choose a coder first)", value=current, key=key,
        max_chars=coding.MEMO_MAX, disabled=coder is None, help="Saving it empty removes it.",
    )  # fmt: skip
    if st.button("Save the memo", key=f"{key}_save", disabled=coder is None):
        attempt(lambda: save(body))


def code_memo(coder: str | None) -> None:
    """A memo on a code of the codebook: what the coder makes of the code, beside its definition."""
    book = code_choices()
    paths = {c.id: c.path for c in book}
    with st.expander("A memo on a code"):
        code_id = st.selectbox("Code", list(paths), format_func=paths.__getitem__, key="coding_memo_code",
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

        _memo_box(f"coding_code_memo_{code_id}", coder, mine, save)


def codings_of(doc: coding.Document) -> tuple[coding.Coding, ...]:
    return codings(doc.kind, doc.id)


def stop_unless_ready(doc: coding.Document | None) -> coding.Document:
    if doc is None:
        st.info("Choose a note or an interview transcript above to code it.", icon=":material/arrow_upward:")
        st.stop()
    return doc
