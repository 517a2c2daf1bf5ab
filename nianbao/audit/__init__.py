"""The publication audit: who published their annual report on time, computed from plain inputs, in five formats."""

from nianbao.audit.compute import audit
from nianbao.audit.formats import as_dict, render_csv, render_json, write_json
from nianbao.audit.model import (
    STATUSES,
    Agency,
    AgencyAudit,
    AuditResult,
    Completeness,
    Finding,
    Settings,
    SiteState,
    StoredReport,
    Summary,
)
from nianbao.audit.render_html import render_html
from nianbao.audit.render_table import render_table
from nianbao.audit.render_xlsx import write_xlsx

__all__ = [
    "STATUSES", "Agency", "AgencyAudit", "AuditResult", "Completeness", "Finding", "Settings", "SiteState",
    "StoredReport", "Summary", "as_dict", "audit", "render_csv", "render_html", "render_json", "render_table",
    "write_json", "write_xlsx",
]
