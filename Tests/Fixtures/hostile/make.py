#!/usr/bin/env python3
"""Writes the hostile workbooks in this folder: each once crashed, hung or was read silently
wrong by stocktake (issue 21). Run from this folder: python3 make.py. Deterministic output."""
import zipfile

WORKBOOK = '<workbook xmlns:r="r"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>'
RELS = '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>'
STYLES = ('<styleSheet><numFmts><numFmt numFmtId="164" formatCode="mmm-yy"/></numFmts>'
          '<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>')
HEADER = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c><c r="B1" t="inlineStr"><is><t>Action</t></is></c>'
          '<c r="C1" t="inlineStr"><is><t>Owner</t></is></c><c r="D1" t="inlineStr"><is><t>Due</t></is></c></row>')


def sheet(extra, rows=""):
    return ('<worksheet><sheetData>' + HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>1.1</t></is></c>'
            '<c r="B2" t="inlineStr"><is><t>Do it</t></is></c><c r="C2" t="inlineStr"><is><t>Ann</t></is></c>'
            + extra + '</row>' + rows + '</sheetData></worksheet>')


def book(name, worksheet, method=zipfile.ZIP_DEFLATED):
    data = worksheet if isinstance(worksheet, bytes) else worksheet.encode()
    with zipfile.ZipFile(name, "w", method) as z:
        for part, text in [("xl/workbook.xml", WORKBOOK.encode()), ("xl/_rels/workbook.xml.rels", RELS.encode()),
                           ("xl/styles.xml", STYLES.encode()), ("xl/worksheets/sheet1.xml", data)]:
            info = zipfile.ZipInfo(part, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, text)


book("plain.xlsx", sheet('<c r="D2" s="1"><v>45443</v></c>'))
book("long-ref.xlsx", sheet('<c r="AAAAAAAAAAAAAA2" t="inlineStr"><is><t>x</t></is></c>'))
book("far-column.xlsx", sheet('<c r="ZZZZZZ2" t="inlineStr"><is><t>x</t></is></c>'))
book("huge-row-number.xlsx", sheet('', '<row r="99999999999999999999"><c><v>1</v></c></row>'))
book("date-nan.xlsx", sheet('<c r="D2" s="1"><v>NaN</v></c>'))
book("date-1e20.xlsx", sheet('<c r="D2" s="1"><v>1e20</v></c>'))
book("date-1e15.xlsx", sheet('<c r="D2" s="1"><v>1e15</v></c>'))
book("date-zero.xlsx", sheet('<c r="D2" s="2"><v>0</v></c>'))
book("invalid-utf8-name.xlsx", sheet('').replace('<sheetData>', '<sheetData><x\xff\xfe/>').encode('latin-1'))
book("invalid-utf8-entity.xlsx", sheet('<c r="D2" t="inlineStr"><is><t>&a\xff;</t></is></c>').encode('latin-1'))
# A stored entry whose bytes were edited after its CRC-32 was written: the due date moves to 2029.
book("damaged-entry.xlsx", sheet('<c r="D2" t="inlineStr"><is><t>2024-05-31</t></is></c>'), method=zipfile.ZIP_STORED)
data = bytearray(open("damaged-entry.xlsx", "rb").read())
at = data.find(b"2024-05-31")
data[at:at + 4] = b"2029"
open("damaged-entry.xlsx", "wb").write(data)
