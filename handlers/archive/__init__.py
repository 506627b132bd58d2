"""实绩档案 (R-USE-5): a year's record per cadre as A4 PDFs and the district workbook (xlsx),
from the command line (`shiji archive export`) or in chat (导出档案, admin only).

commands.py is the chat side; the export is handlers/services/archive_export.py (with
archive_records.py and awards.py), the PDF and workbook handlers/render/pdf.py and workbook.py."""
