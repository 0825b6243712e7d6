"""Interview transcripts: the files an interview manifest names (.txt, .md or .docx), found and
read into the text the study keeps.

A transcript's text is normalised once, here (a UTF-8 byte-order mark dropped, CRLF and a lone CR
as LF, Unicode NFC) and then kept exactly as read: no stripping, no other change, because a coded
segment marks a passage by its characters' positions in that text. A Word document is read as
its paragraphs, one a line, with its tables' text where the tables stand (a row a line, its
cells separated by a tab); headers, footers, footnotes and comments are left out.

On the command line a manifest's files are found in its folder (a name may hold sub-folders:
``transcripts/KI-01.txt``) or among the files given with it; on the Import page among the files
uploaded with it, by name.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from observation.ingest.read import MAX_BYTES
from observation.models import CONTROL, NOTE_MAX

SUFFIXES = (".txt", ".md", ".docx")
"""The files a transcript may be."""
MAX_CHARACTERS = NOTE_MAX
"""The longest transcript the study takes, in characters (as a field note)."""


def is_transcript(name: str) -> bool:
    """Whether a file, by its name, is a transcript (not a spreadsheet)."""
    return Path(name).suffix.lower() in SUFFIXES


def file_name(text: str) -> str:
    """A manifest's ``file`` cell: a transcript's file name (or path, relative to the manifest)."""
    name = text.strip()
    if not is_transcript(name.replace("\\", "/")):
        raise ValueError("not a transcript's file: a transcript is a .txt, .md or .docx file (save a PDF or an "
                         "old .doc as one of them)")  # fmt: skip
    if any(c in name for c in "\t\r\n") or CONTROL.search(name):
        raise ValueError("a file name is one line, with no tab, line break or control character")
    return name


def normalised(text: str) -> str:
    """Text as the study keeps it: line ends as LF, characters composed (NFC)."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def read(path: Path) -> str:
    """The transcript in ``path``, normalised, or ValueError with the reason it cannot be taken:
    too large, not UTF-8 text, not a Word document that can be read, empty, holding a control
    character, or longer than MAX_CHARACTERS."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"the file is {size / 2**20:.0f} MB; a transcript file is at most {MAX_BYTES // 2**20} MB")
    text = normalised(_docx(path) if path.suffix.lower() == ".docx" else _plain(path.read_bytes()))
    if not text.strip():
        raise ValueError("the transcript is empty")
    if bad := CONTROL.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        raise ValueError(f"the transcript holds a control character ({bad[0]!r}) on line {line:,}, not text; "
                         "save it again as plain text")  # fmt: skip
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"the transcript is {len(text):,} characters; at most {MAX_CHARACTERS:,}: split the "
                         "interview into parts, each with its own informant code")  # fmt: skip
    return text


def _plain(data: bytes) -> str:
    """A text file's text: UTF-8 with or without a byte-order mark (or UTF-16 with one, as an old
    Notepad saves "Unicode")."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if b"\x00" in data[:4096]:
            raise ValueError("not a text file (a binary file?); save the transcript as plain text, .docx or .md")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            "not UTF-8 text, so its accented letters would be read wrong; save it as UTF-8 (in Word: Plain Text, "
            "then Unicode (UTF-8)) or as .docx"
        ) from None


def _docx(path: Path) -> str:
    """A Word document's paragraphs and tables' text, in document order, one a line."""
    import docx  # python-docx: loaded only when a Word transcript is read
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(path):
        raise ValueError("not a Word document (.docx) that can be read (an old .doc? Save it as .docx)")
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(item.file_size for item in archive.infolist())
    if unpacked > 10 * MAX_BYTES:
        raise ValueError(f"this document unpacks to {unpacked / 2**20:.0f} MB, too large to read")
    try:
        document = docx.Document(str(path))
        return "\n".join(_lines(document))
    except PackageNotFoundError:
        raise ValueError("not a Word document (.docx) that can be read (another kind of zip file?)") from None
    except Exception as exc:  # any document python-docx chokes on is one reason, never a traceback
        raise ValueError(f"cannot be read as a Word document (.docx) ({type(exc).__name__})") from None


def _lines(container: object) -> Iterator[str]:
    """Each paragraph of ``container`` (a document or a table's cell), and each row of its tables
    (cells separated by a tab, a nested table within its cell), in document order."""
    from docx.table import Table, _Cell

    for block in container.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(block, Table):
            for row in block.rows:
                # the row's own cells: a cell spanning columns once, the rows below a merged
                # cell as empty (row.cells repeats a merged cell's text)
                yield "\t".join("\n".join(_lines(_Cell(tc, block))) for tc in row._tr.tc_lst)
        else:
            yield block.text


@dataclass
class Files:
    """Where a manifest's transcripts are: the transcript files given with the manifests (by
    name), and, when ``beside`` (the command line), each manifest's folder."""

    given: Mapping[str, Path] = field(default_factory=dict)
    folders: Mapping[str, Path] = field(default_factory=dict)
    """A manifest's name -> its folder."""
    beside: bool = True
    read_by: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Each transcript read, by its name as given (or its path), -> the manifest and row that named it."""

    def find(self, manifest: str, written: str) -> tuple[str, Path]:
        """The transcript a manifest's ``file`` cell names: its name (as given, or as written) and
        path; ValueError with the reason when there is none."""
        name = PurePosixPath(written.replace("\\", "/")).name
        if name in self.given:
            return name, self.given[name]
        alike = [n for n in self.given if n.casefold() == name.casefold()]
        if len(alike) == 1:
            return alike[0], self.given[alike[0]]
        folder = self.folders.get(manifest)
        if self.beside and folder is not None:
            path = folder / written.replace("\\", "/")
            if path.is_file():
                return written, path
            if path.exists():
                raise ValueError(f"{path} is not a file")
            raise ValueError(f"no such file in {folder} (the manifest's folder), nor among the files given")
        raise ValueError("no such transcript among the files uploaded: upload it with the manifest")

    def unnamed(self, named: set[str]) -> list[str]:
        """The transcripts given that no manifest row names (``named``: the names its rows give)."""
        folded = {n.casefold() for n in named}
        return [n for n in self.given if n not in named and n.casefold() not in folded]


__all__ = ["MAX_CHARACTERS", "SUFFIXES", "Files", "file_name", "is_transcript", "normalised", "read"]
