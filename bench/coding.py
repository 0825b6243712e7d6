"""The coding probe: ``python -m bench.coding STUDY`` prints one JSON object.

Issue 23's budget: opening a transcript of 20,000 words with 300 codings, and saving a new coding
of it, each stay under MOST_CODING_S warm at national scale. Into the study (a copy the caller
made, as ``python -m bench`` builds one per scale) goes one such transcript, with 300 codings by
three coders spread over its text; then, measured warm (the median of WARM_RUNS after a first,
cold one):

- ``page_cold_s``, ``page_warm_s``: the Coding page (AppTest, as bench/pages.py runs every page)
  opened on the transcript from its link (``?interview=ID``), every coder's codings shown ("Show
  other coders' passages" on, the most the page draws): the document list, the text in the passage
  widget with its highlights, the codes, the tables of its codings;
- ``save_s``: ``coding.code_passage`` alone saving a new coding of a passage of it (one transaction
  with its audit entry and its reference check), each run a passage not coded before;
- ``save_rerun_s``: what the coder waits for after pressing Save on the page: the save, then the
  rerun that shows it, with every cached read cleared by the save (a passage chosen in the widget
  and a code chosen first, untimed) — the figure held to MOST_CODING_S along with the page's.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest, local_script_runner

from bench.pages import SCRIPTS, fresh, timed
from observation import access, coding, db
from observation.ui.passage import text_digest

ROOT = Path(__file__).resolve().parent.parent
WORDS, CODINGS, WARM_RUNS = 20_000, 300, 11
MOST_CODING_S = 0.3
TIMEOUT_S = 600
VOCABULARY = tuple(
    re.split(
        " ",
        "the service user said we should meet on the ward before handover because nobody had told her carer "
        "about the change and the team agreed to share the agenda a week ahead so that everyone could come",
    )
)


def transcript(words: int, seed: int = 23) -> str:
    """A transcript of ``words`` words in sentences and paragraphs, with an accent now and then."""
    pick = random.Random(seed)
    out, sentence = [], []
    for i in range(words):
        word = pick.choice(VOCABULARY)
        sentence.append("café" if i % 997 == 0 else word)
        if len(sentence) >= pick.randint(8, 20):
            out.append(" ".join(sentence).capitalize() + ("." if pick.random() < 0.8 else ".\n\n"))
            sentence = []
    out.append(" ".join(sentence) + ".")
    return " ".join(out)


def add_transcript(con: Any) -> tuple[int, str, list[int]]:
    """The long transcript and its codings, written as an import would; its id, text and the codes."""
    text = transcript(WORDS)
    pick = random.Random(5)
    with db.transaction(con, meetings=()) as cur:
        (new_id,) = cur.execute("select coalesce(max(id), 0) + 1 from interviews").fetchone()  # type: ignore[misc]
        (team,) = cur.execute("select min(id) from teams").fetchone()  # type: ignore[misc]
        cur.execute(
            "insert into interviews values (?, ?, 'service_user', ?, '2021-03-12', ?)",
            [new_id, f"KB-{new_id}", team, text],
        )
        codes = [
            int(i) for (i,) in cur.execute("select id from codes where parent_id is not null order by id").fetchall()
        ]
        for n in range(CODINGS):
            start = pick.randrange(0, len(text) - 400)
            fields = {"interview_id": new_id, "code_id": codes[n % len(codes)], "coder": f"R0{n % 3 + 1}",
                      "span_start": start, "span_end": start + pick.randint(20, 380)}  # fmt: skip
            db.insert_row(cur, "coded_segments", fields)
    return int(new_id), text, codes


def main() -> None:
    local_script_runner.ScriptCache = lambda: SCRIPTS  # type: ignore[attr-defined,assignment]
    path = sys.argv[1]
    os.environ["OBSERVATION_DB"] = path
    con = db.connect(path)
    with access.acting_as(access.local_researcher()):
        interview, text, codes = add_transcript(con)
    con.close()

    fresh()
    at = AppTest.from_file(str(ROOT / "pages" / "coding.py"), default_timeout=TIMEOUT_S)
    at.query_params["interview"] = str(interview)
    at.session_state["coding_others"] = True
    cold, at = timed(at.run)
    errors = [str(e.value)[:200] for e in (*at.exception, *at.error)]
    shown = sum(len(d.value) for d in at.dataframe)
    warm = statistics.median(timed(at.run)[0] for _ in range(WARM_RUNS))
    reruns = []
    for n in range(WARM_RUNS + 1):  # the first, cold
        start = 1000 + 50 * n  # a passage not coded before; the text is all in one UTF-16 unit a character
        chosen = {"digest": text_digest(text), "start": start, "end": start + 40, "seq": n + 1}
        at.session_state[f"coding_passage_interview_{interview}_{n}"] = {"selection": chosen}  # a save: a new key
        at.run()
        at.multiselect(key=f"coding_codes_interview_{interview}").set_value([codes[2]]).run()
        at.button(key="coding_save").click()
        took, at = timed(at.run)
        errors += [str(e.value)[:200] for e in (*at.exception, *at.error)]
        reruns.append(took)

    con = db.connect(path)
    saves = []
    with access.acting_as(access.local_researcher()):
        coding.code_passage(con, "interview", interview, [codes[0]], 0, 10, "R09", seen=text[:10])  # cold
        for n in range(WARM_RUNS):
            started = time.perf_counter()
            passage = text[100 + n : 200 + n]
            coding.code_passage(con, "interview", interview, [codes[1]], 100 + n, 200 + n, "R09", seen=passage)
            saves.append(time.perf_counter() - started)
    con.close()
    print(
        json.dumps(
            {
                "words": len(text.split()),
                "characters": len(text),
                "codings": CODINGS,
                "codings_shown": shown,
                "page_cold_s": cold,
                "page_warm_s": warm,
                "save_s": statistics.median(saves),
                "save_rerun_s": statistics.median(reruns[1:]),
                "save_rerun_cold_s": reruns[0],
                "codings_saved_on_the_page": len(reruns),
                "most_s": MOST_CODING_S,
                "errors": errors,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
