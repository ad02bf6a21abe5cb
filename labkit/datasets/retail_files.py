"""The file formats of an Online Retail export, read as they come (01_data_cleaning, via load_online_retail).

CSV (UTF-8, else decoded line by line as cp1252; comma, semicolon or tab; gzip), an .xlsx
workbook sheet by sheet (``sheet`` picks one), parquet. Each reader returns
``([(sheet name or "", frame), ...], info)``; errors name the file.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
from pathlib import Path

import pandas as pd


def file_error(path: Path, message: str) -> ValueError:
    return ValueError(f"{path.name}: {message}")


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text of a CSV file and the encoding used: UTF-8, cp1252, or both line by line.

    A file that is UTF-8 except for a few stray cp1252/latin-1 bytes (a line pasted from
    another export) is decoded line by line, so its UTF-8 accents stay intact; the encoding
    then reads ``"utf-8, cp1252 on lines 5, 17"`` (1-based file lines) and a warning says so.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and b"\x00" in data[:2]):
        raise file_error(path, "UTF-16 text (byte-order mark or NUL bytes); re-save it as UTF-8 CSV "
                          "(in Excel: 'CSV UTF-8'; or iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in data[:65536]:
        raise file_error(path, "binary content (NUL bytes), not a CSV text file; corrupt or another format?")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8_accents, fallback, out = 0, [], []
    offset = 0
    for i, line in enumerate(lines):
        try:
            text = line.decode("utf-8-sig" if i == 0 else "utf-8")
            utf8_accents += any(ord(c) > 127 for c in text)
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError as err:
                raise file_error(path, f"undecodable bytes: neither UTF-8 nor cp1252/latin-1 (byte "
                                  f"0x{line[err.start]:02x} at offset {offset + err.start}, line {i + 1}); "
                                  f"re-export the file as UTF-8 CSV") from None
            fallback.append(i + 1)
        out.append(text)
        offset += len(line) + 1
    if not utf8_accents:  # no UTF-8 accent anywhere: the whole file is cp1252 (the usual UCI copies)
        return data.decode("cp1252"), "cp1252"
    shown = ", ".join(map(str, fallback[:10])) + (f" and {len(fallback) - 10} more" if len(fallback) > 10 else "")
    encoding = f"utf-8, cp1252 on line{'s' if len(fallback) > 1 else ''} {shown}"
    warnings.warn(f"{path.name}: mixed encodings: {encoding} (each line decoded on its own; check those lines)",
                  stacklevel=3)
    return "\n".join(out), encoding


def read_csv(path: Path) -> tuple[list[tuple[str, pd.DataFrame]], dict]:
    try:
        data = gzip.decompress(path.read_bytes()) if path.name.lower().endswith(".gz") else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise file_error(path, f"cannot read the file ({err})") from err
    if not data.strip():
        raise file_error(path, "empty file; expected a header line and invoice lines")
    text, encoding = _decode(path, data)
    header = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=header.count)  # the separator the header line uses most
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise file_error(path, f"not a readable CSV file with separator {sep!r} (the one its header line uses "
                          f"most) ({err})") from err
    return [("", frame)], {"encoding": encoding, **({"separator": sep} if sep != "," else {})}


def _pick_sheet(path: Path, names: list[str], sheet: str | int) -> str:
    """The sheet ``sheet`` names: its index, its exact name, or the one name containing it ('2010-2011')."""
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if -len(names) <= sheet < len(names):
            return names[sheet]
    elif isinstance(sheet, str):
        if sheet in names:
            return sheet
        hits = [n for n in names if sheet.lower() in n.lower()]
        if len(hits) == 1:
            return hits[0]
    raise file_error(path, f"sheet={sheet!r} matches no single sheet; expected an index 0..{len(names) - 1}, a name "
                      f"or part of one of {names}")


def read_xlsx(path: Path, sheet: str | int | None = None) -> tuple[list[tuple[str, pd.DataFrame]], dict]:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            wanted = names if sheet is None else [_pick_sheet(path, names, sheet)]
            sheets = {name: pd.read_excel(book, sheet_name=name) for name in wanted}
    except ImportError as err:
        raise ImportError(f"{path.name}: reading .xlsx needs openpyxl (pip install openpyxl)") from err
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
        if str(err).startswith(f"{path.name}: "):
            raise
        raise file_error(path, f"not a readable .xlsx workbook ({type(err).__name__}: {err})") from err
    kept = [(name, f) for name, f in sheets.items() if not (f.empty and len(f.columns) == 0)]
    return kept, {"sheets": [name for name, _ in kept], "sheets_in_file": names}


def read_parquet(path: Path) -> tuple[list[tuple[str, pd.DataFrame]], dict]:
    try:
        return [("", pd.read_parquet(path))], {}
    except Exception as err:  # pyarrow raises several types for a corrupt file
        raise file_error(path, f"not a readable parquet file ({type(err).__name__}: {err})") from err
