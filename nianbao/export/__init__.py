"""`nianbao export`: every stored report with its parsed tables, as JSON, CSV (long: one row per cell; wide: one row
per report) or an Excel workbook (one sheet per table, plus the findings)."""

from nianbao.export.text import write_csv, write_json, write_wide_csv
from nianbao.export.xlsx import write_xlsx

__all__ = ["write_csv", "write_json", "write_wide_csv", "write_xlsx"]
