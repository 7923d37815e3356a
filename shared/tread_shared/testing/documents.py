"""Reading the documents a report is downloaded as, in tests: the text drawn in a PDF and the
titled tables of a CSV."""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib


def pdf_text(document: bytes) -> str:
    """The text drawn in a PDF (its content streams, inflated): enough to check what a page
    says."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", document, re.S):
        data = stream.strip()
        if data.endswith(b"~>"):  # reportlab: ASCII85, then Flate
            data = base64.a85decode(data[:-2])
        try:
            texts.append(zlib.decompress(data).decode("latin-1"))
        except zlib.error:
            texts.append(data.decode("latin-1"))
    # Parentheses and backslashes are escaped inside PDF strings.
    text = "\n".join(texts)
    return re.sub(r"\\([()\\])", r"\1", text)


def csv_tables(document: bytes) -> dict[str, list[dict[str, str]]]:
    """The tables of a CSV that holds several, by title: after a first line (the document's
    title), each table is a blank row, a title row, a header row and its rows."""
    rows = list(csv.reader(io.StringIO(document.decode("utf-8-sig"))))
    tables: dict[str, list[dict[str, str]]] = {}
    index = 1
    while index + 2 < len(rows) and not rows[index]:
        title, header = rows[index + 1][0], rows[index + 2]
        index += 3
        table = tables.setdefault(title, [])
        while index < len(rows) and rows[index]:
            table.append(dict(zip(header, rows[index], strict=True)))
            index += 1
    return tables
