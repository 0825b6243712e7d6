"""``python -m observation``: make the demo study, describe a study file, import, export, back up, restore,
move the codebook, write a slide deck, and say who may sign in.

Whoever runs a command can read the study file itself, so commands act as the local researcher."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from observation import access, config, db, export, filters, ingest, qdc, qdpx, queries, transfer
from observation import deck as slides
from observation.demo import DemoSpec, build_demo
from observation.disclosure import DEFAULT_THRESHOLD
from observation.errors import ObservationError
from observation.presenting import Presenting

STUDY_HELP = "the study: a DuckDB file's path, or a postgresql://USER@HOST/DATABASE connection string"


def _location(text: str) -> db.Location:
    try:
        return db.location(text)
    except ValueError as exc:  # argparse would repeat the raw value, password and all
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m observation",
        description="Observe service-user and carer involvement in clinical-microsystem QI work.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="write the synthetic demo study to a new study file",
        description="Write the synthetic demo study (invented teams, people and notes) to a new DuckDB file. "
        "The same arguments always give the same contents.",
    )
    demo.add_argument(
        "--db", required=True, type=_location, help="the study file to create, or an empty PostgreSQL database"
    )
    demo.add_argument("--seed", type=int, default=DemoSpec().seed, help="random seed (default: %(default)s)")
    demo.add_argument("--teams", type=int, default=DemoSpec().teams, help="number of teams (default: %(default)s)")
    demo.add_argument(
        "--months", type=int, default=DemoSpec().months, help="months observed from July 2019 (default: %(default)s)"
    )
    existing = demo.add_mutually_exclusive_group()
    existing.add_argument("--replace", action="store_true", help="overwrite the file if it exists")
    existing.add_argument(
        "--if-missing", action="store_true", help="do nothing if the file exists (used by the quick start)"
    )

    info = commands.add_parser(
        "info",
        help="show a study's name and the rows in each table",
        description="Show a study file's name, "
        "whether it is the synthetic demo, its period, and the number of rows in each table.",
    )
    info.add_argument("--db", required=True, type=_location, help=STUDY_HELP)

    imp = commands.add_parser(
        "import",
        help="import spreadsheets (CSV or XLSX) into a study, all files or nothing",
        description="Import observations from CSV or XLSX files: one row per record for each table, or the "
        "attendance register (one row per person, one column per meeting date). Every problem in every file "
        "is listed as FILE:ROW:COLUMN: value — reason, and nothing is written unless there are none. "
        "Importing the same file again changes nothing.",
    )
    imp.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    imp.add_argument("files", nargs="*", type=Path, metavar="FILE",
                     help="CSV or XLSX files, and the transcripts (.txt, .md, .docx) an interview manifest names "
                     "(else found in the manifest's folder)")  # fmt: skip
    imp.add_argument(
        "--full-export", type=Path, metavar="FOLDER", help="instead of files: fill an empty study from a full export"
    )
    imp.add_argument("--kind", choices=ingest.KIND_NAMES, help="what the files hold (default: told by their headers)")
    imp.add_argument("--dry-run", action="store_true", help="check and report what would change; write nothing")

    exp = commands.add_parser(
        "export",
        help="export a study for R, Excel or NVivo: full, deidentified or aggregate",
        description="Export a study. full: every table. deidentified: free text dropped, codes replaced, dates "
        "shifted by one offset per study; person-level rows, not for publication (its note says so). aggregate: "
        "the level for sharing: counts of meetings by team and month, per team and for the study, over the whole "
        "study, with every count of meetings with service users or carers from 1 to the threshold - 1 hidden, "
        "and any that would let one be worked out, as [c] (its note says how).",
    )
    exp.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    exp.add_argument("--level", required=True, choices=export.LEVELS)
    exp.add_argument("--format", required=True, choices=export.FORMATS, dest="fmt")
    exp.add_argument("--out", required=True, type=Path, help="a new folder (csv, parquet) or workbook (xlsx)")
    exp.add_argument(
        "--threshold",
        type=int,
        help="aggregate only: hide counts under this, never under OBSERVATION_PRESENTER_MINIMUM "
        "(default: that floor, at least 5)",
    )

    bak = commands.add_parser(
        "backup",
        help="copy a study to one backup file",
        description="Copy a study, checkpointed, to a new backup file.",
    )
    bak.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    bak.add_argument("--out", required=True, type=Path, help="the backup file to create")
    res = commands.add_parser(
        "restore",
        help="replace a study with a backup",
        description="Replace a study "
        "with a backup file, after checking the backup is a study and nobody has the study open.",
    )
    res.add_argument("--db", required=True, type=_location, help="path of the study file to replace")
    res.add_argument("--from", required=True, type=_location, dest="source", help="the backup file")

    book = commands.add_parser(
        "codebook",
        help="move the codebook to or from NVivo, ATLAS.ti, MAXQDA, QualCoder or Taguette (.qdc)",
        description="Export the codebook as a REFI-QDA codebook (.qdc), or import one: codes are matched by "
        "their place in the tree and name; framework tags travel as code sets.",
    )
    book.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    way = book.add_mutually_exclusive_group(required=True)
    way.add_argument("--export", type=Path, metavar="FILE.qdc", help="write the codebook to this file")
    way.add_argument("--import", type=Path, metavar="FILE.qdc", dest="source", help="read codes from this file")

    project = commands.add_parser(
        "qdpx",
        help="move the coding to or from NVivo, ATLAS.ti, MAXQDA or QualCoder (a REFI-QDA project, .qdpx)",
        description="Export the study's coding as a REFI-QDA project (.qdpx): each meeting's field notes as one "
        "text source, each interview as one, the codebook, one user per coder and every coded segment. Or import "
        "a project's coding: our own export's sources map back by themselves; any other project's sources need a "
        "mapping you confirm. Without --map, the proposed mapping is written to a CSV (beside the project, or "
        "--map-out) and nothing is imported (exit code 1); check and fill it in, then import with --map. Every "
        "problem is listed and nothing is written while any is left. Importing the same project again adds "
        "nothing. See docs/qdpx.md.",
    )
    project.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    way = project.add_mutually_exclusive_group(required=True)
    way.add_argument("--export", type=Path, metavar="FILE.qdpx", help="write the study's coding to this new file")
    way.add_argument(
        "--import", type=Path, metavar="FILE.qdpx", dest="source", help="import the coding of this project"
    )
    project.add_argument(
        "--map", type=Path, metavar="FILE.csv", help="with --import: the mapping of sources, confirmed"
    )
    project.add_argument(
        "--map-out", type=Path, metavar="FILE.csv", help="with --import: where to write the proposed mapping"
    )

    deck = commands.add_parser(
        "deck",
        help="the Overview as a slide deck (.pptx) that is safe to email",
        description="Write the Overview as a PowerPoint deck: a title slide, one chart per slide with a caption "
        "stating the definition and the period, and speaker notes with the numbers. Presenter mode's rules "
        "always apply: small counts hidden, teams as Team A, Team B…, nothing typed about a person.",
    )
    deck.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    deck.add_argument("--out", required=True, type=Path, metavar="FILE.pptx", help="the deck to write")
    deck.add_argument("--team", default="", help="team numbers, e.g. 1,3 (default: all teams)")
    deck.add_argument(
        "--threshold", type=int, default=DEFAULT_THRESHOLD, help="hide counts under this (default: %(default)s)"
    )
    deck.add_argument("--names", action="store_true", help="keep the teams' real names instead of Team A, Team B…")

    for name, purpose in (
        ("encrypt", "encrypt a study file with the key in OBSERVATION_DB_KEY"),
        ("decrypt", "decrypt a study file encrypted with the key in OBSERVATION_DB_KEY"),
    ):
        convert = commands.add_parser(
            name,
            help=purpose,
            description=f"{purpose[0].upper()}{purpose[1:]} (DuckDB's AES-256-GCM), in place: the new file is written "
            "beside it, compared table by table, and only then replaces it. Nobody may have the study open.",
        )
        convert.add_argument("--db", required=True, type=_location, help=STUDY_HELP)

    move = commands.add_parser(
        "migrate",
        help="copy a study between a file and PostgreSQL (either way)",
        description="Copy every table of a study into a new study file or an empty PostgreSQL database, in one "
        "transaction, comparing every table with the source before it commits. The source is only read.",
    )
    move.add_argument("--from", required=True, type=_location, dest="source", metavar="SOURCE", help=STUDY_HELP)
    move.add_argument("--to", required=True, type=_location, dest="target", metavar="TARGET",
                      help="a new study file, or an empty PostgreSQL database")  # fmt: skip

    who = commands.add_parser(
        "access",
        help="list, give or take away who may sign in, and their role",
        description="Who may sign in to the dashboard when sign-in is configured, and with which role: "
        "researcher (everything), coach (reads the teams given with --team, changes nothing) or presenter "
        "(presenter mode only). The first researcher is given here; researchers manage the rest on the "
        "Access page.",
    )
    who.add_argument("--db", required=True, type=_location, help=STUDY_HELP)
    what = who.add_mutually_exclusive_group()
    what.add_argument("--grant", metavar="EMAIL", help="give EMAIL the --role (replacing any role they had)")
    what.add_argument("--revoke", metavar="EMAIL", help="take every role away from EMAIL")
    who.add_argument("--role", choices=access.EVERYONE, help="with --grant: the role")
    who.add_argument("--team", action="append", default=[], metavar="NAME", help="with --grant --role coach: a team")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with access.acting_as(access.local_researcher()):
            return _command(args)
    except (ObservationError, OSError) as exc:  # a read or write that failed says so in one line (db.cursor)
        print(f"error: {db.shown(str(exc))}", file=sys.stderr)
        return 2


def _command(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return _demo(args)
    if args.command == "import":
        return _import(args)
    if args.command == "export":
        return _export(args)
    if args.command == "backup":
        export.backup(args.db, args.out)
        print(f"Backed up {db.shown(args.db)} to {args.out}.")
        return 0
    if args.command == "codebook":
        return _codebook(args)
    if args.command == "deck":
        return _deck(args)
    if args.command == "qdpx":
        return _qdpx(args)
    if args.command == "restore":
        export.restore(args.source, args.db)
        print(f"Restored {db.shown(args.db)} from {args.source}.")
        return 0
    if args.command == "access":
        return _access(args)
    if args.command == "migrate":
        copied = transfer.copy_study(args.source, args.target)
        print(f"Copied {db.shown(args.source)} to {db.shown(args.target)}: every table compared, rows equal.")
        for table, rows in copied.items():
            print(f"  {table:<20}  {rows:>10,}")
        return 0
    if args.command in ("encrypt", "decrypt"):
        key = db.configured_key()
        if key is None:
            raise ObservationError(f"{args.command}: set OBSERVATION_DB_KEY to the study's key first")
        old, new = (None, key) if args.command == "encrypt" else (key, None)
        if not export.convert(args.db, old, new):
            print(f"{db.shown(args.db)} is already {'encrypted' if new else 'a plain file'}; nothing was changed.")
            return 0
        print(f"{db.shown(args.db)} is now {'encrypted' if new else 'a plain file'}.")
        return 0
    return _info(args)


def _demo(args: argparse.Namespace) -> int:
    if args.if_missing and _holds_a_study(args.db):
        print(f"{db.shown(args.db)} exists; leaving it as it is.")
        return 0
    try:
        spec = DemoSpec(seed=args.seed, teams=args.teams, months=args.months)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise ObservationError(f"--{problem['loc'][0]}: {problem['msg']}") from None
    started = time.perf_counter()
    build_demo(args.db, spec, replace=args.replace)
    print(f"Wrote the synthetic demo study to {db.shown(args.db)} in {time.perf_counter() - started:.1f}s.")
    return 0


def _holds_a_study(where: db.Location) -> bool:
    if not db.is_postgres(where):
        return Path(where).exists()
    con = db.connect(where)
    try:
        return queries.study_info(con) is not None
    finally:
        con.close()


def _import(args: argparse.Namespace) -> int:
    if bool(args.files) == bool(args.full_export):
        raise ObservationError("give spreadsheet files, or --full-export FOLDER, but not both")
    con = db.connect(args.db)
    if args.full_export:
        try:
            tables = export.load_full_export(con, args.full_export)
        finally:
            con.close()
        print(f"Filled {db.shown(args.db)} from {args.full_export}: {', '.join(tables)}.")
        return 0
    try:
        outcome = ingest.import_files(con, args.files, kind=args.kind, dry_run=args.dry_run)
    except ingest.ImportProblems as exc:
        print(f"error: {len(exc.problems)} problem(s); nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        if exc.unrecognised:
            print(
                f"Name what {', '.join(exc.unrecognised)} hold(s) with --kind ({', '.join(ingest.KIND_NAMES)}), "
                "or give the columns one of the names above.",
                file=sys.stderr,
            )
        return 2
    finally:
        con.close()
    print(
        ("Would import (dry run, nothing written):" if args.dry_run else "Imported:") + f" {', '.join(outcome.files)}"
    )
    for line in outcome.lines():
        print(f"  {line}")
    if not outcome.counts:
        print("  No rows: the files hold a header row only.")
    elif not outcome.changed:
        print("  Nothing to change: the study already holds every row.")
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.threshold is not None and args.level != "aggregate":
        raise ObservationError("--threshold applies to the aggregate level only")
    con = db.connect(args.db)
    try:
        written = export.export(con, args.level, args.fmt, args.out, threshold=args.threshold)
    finally:
        con.close()
    hidden = "" if written.threshold is None else f"; counts under {written.threshold} hidden as [c]"
    note = (
        ""
        if written.notes is None
        else (f"; read the {export.NOTES_SHEET} sheet" if args.fmt == "xlsx" else f"; read {export.NOTES_FILE}")
    )
    print(f"Exported {', '.join(written.tables)} ({args.level}, {args.fmt}) to {args.out}{hidden}{note}.")
    for line in export.made_safe(written, args.fmt):
        print(line)
    return 0


def _codebook(args: argparse.Namespace) -> int:
    con = db.connect(args.db)
    try:
        if args.export:
            print(f"Wrote {qdc.export_codebook(con, args.export)} codes to {args.export}.")
        else:
            print(qdc.import_codebook(con, args.source).said(args.source))
    finally:
        con.close()
    return 0


def _qdpx(args: argparse.Namespace) -> int:
    if args.export and (args.map or args.map_out):
        raise ObservationError("--map and --map-out go with --import")
    if args.map and args.map_out:
        raise ObservationError("give --map (to import) or --map-out (to write the proposal), not both")
    if args.export and args.export.suffix.lower() != ".qdpx":
        raise ObservationError(f"{args.export}: a REFI-QDA project is written to a .qdpx file")
    if args.export and db.missing_file(args.db):  # an import may fill a new, empty study
        raise ObservationError(f"{args.db}: no such study file")
    con = db.connect(args.db)
    try:
        if args.export:
            print(qdpx.export_project(con, args.export).said(args.export))
            return 0
        if args.map_out:
            return _proposed(args, qdpx.propose_mapping(con, args.source))
        mapping = qdpx.read_mapping(args.map) if args.map else None
        try:
            print(qdpx.import_project(con, args.source, mapping).said(args.source))
        except qdpx.NeedsMapping as exc:
            return _proposed(args, exc.proposal)
        except qdpx.ProjectProblems as exc:
            print(f"error: {len(exc.problems)} problem(s); nothing was imported:", file=sys.stderr)
            for problem in exc.problems:
                print(db.shown(str(problem)), file=sys.stderr)
            return 2
    finally:
        con.close()
    return 0


def _proposed(args: argparse.Namespace, proposal: list[qdpx.Mapping]) -> int:
    """Write the proposed mapping (nothing is imported) and say what to do with it."""
    out = args.map_out or args.source.with_name(f"{args.source.stem}-mapping.csv")
    if out.exists() and not args.map_out:
        raise ObservationError(f"{out} already exists: give --map-out for the proposal, or --map to import with it")
    out.write_text(qdpx.mapping_csv(proposal), encoding="utf-8")
    print(f"Nothing was imported: {args.source.name} needs a mapping you confirm. The proposal:")
    for row in proposal:
        place = {
            "meeting": f"meeting of {row.team} on {row.date}",
            "interview": f"interview with {row.informant_code}",
            "new interview": f"new interview with {row.informant_code or '?'} ({row.informant_group or 'group?'}, "
            f"{row.team or 'no team'}, {row.date or 'date?'})",
            "skip": "left out",
        }.get(row.maps_to, "?")
        print(f"  {db.shown(row.source)} → {db.shown(place)}  [{row.how}]")
    print(f"Wrote it to {out}: check it, fill in what is missing (maps_to: meeting, interview, new interview or "
          f"skip), then run again with --map {out}.")  # fmt: skip
    return 1


def _deck(args: argparse.Namespace) -> int:
    parsed = filters.from_query_params({"team": args.team})
    if parsed.notices:
        raise ObservationError(" ".join(n.replace("in the link", "in the options") for n in parsed.notices))
    floor = config.load_settings().presenter_minimum
    try:
        mode = Presenting(on=True, threshold=args.threshold, letters=not args.names, floor=floor)
    except ValidationError:
        raise ObservationError("--threshold: use a whole number from 2 to 100") from None
    if args.threshold < floor:
        raise ObservationError(
            f"--threshold: this study hides counts under {floor} at least (OBSERVATION_PRESENTER_MINIMUM)"
        )
    if args.out.suffix.lower() != ".pptx":
        raise ObservationError(f"{args.out}: a deck is written to a .pptx file")
    if db.missing_file(args.db):
        raise ObservationError(f"{args.db}: no such study file")
    con = db.connect(args.db)
    try:
        pptx = slides.overview_deck(con, parsed.filter, config.load_settings(), mode, progress=_say)
    finally:
        con.close()
    args.out.write_bytes(pptx)
    print(f"Wrote {args.out} ({mode.badge()}).")
    return 0


def _say(share: float, what: str) -> None:
    print(f"{share:4.0%}  {what}", flush=True)


def _info(args: argparse.Namespace) -> int:
    con = db.connect(args.db, read_only=True)
    try:
        info = queries.study_info(con)
        counts = db.table_counts(con)
    finally:
        con.close()
    if info is None:
        print(f"{db.shown(args.db)}: no study recorded yet")
    else:
        print(f"{info.study.name}{'  [synthetic demo data]' if info.study.is_demo else ''}")
        if info.first_meeting:
            print(f"meetings from {info.first_meeting} to {info.last_meeting}")
    width = max(len(t) for t in counts)
    for table, count in counts.items():
        print(f"  {table:<{width}}  {count:>10,}")
    return 0


def _access(args: argparse.Namespace) -> int:
    if (args.role or args.team) and not args.grant:
        raise ObservationError("--role and --team go with --grant EMAIL")
    if args.grant and not args.role:
        raise ObservationError("--grant needs --role researcher, coach or presenter")
    con = db.connect(args.db)
    try:
        if args.grant:
            names = {t.name.casefold(): t.id for t in queries.teams(con)}
            unknown = [t for t in args.team if t.casefold() not in names]
            if unknown:
                raise ObservationError(f"--team {unknown[0]!r}: no team of that name in {db.shown(args.db)}")
            given = access.grant(con, args.grant, args.role, [names[t.casefold()] for t in args.team])
            print(f"{given.email} may now sign in as a {given.role}.")
        elif args.revoke:
            gone = access.revoke(con, args.revoke)
            print(f"{args.revoke} may no longer sign in." if gone else f"{args.revoke} had no access; nothing changed.")
        else:
            teams = {t.id: t.name for t in queries.teams(con)}
            for g in access.grants(con):
                print(f"{g.role:<10}  {g.email}" + (f"  ({', '.join(teams[i] for i in g.teams)})" if g.teams else ""))
    finally:
        con.close()
    return 0
