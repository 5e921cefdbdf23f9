"""What `salesops run` prints about a night: the file columns under a header, the published tables as a
count unless asked for."""
from datetime import date

from salesops.report.run_summary import NightSummary, format_text


def _summary() -> NightSummary:
    files = [{"source": "crm", "entity": "accounts", "status": "loaded", "rows_read": 1203, "rows_loaded": 1200,
              "rows_rejected": 3, "message": "", "earlier": False},
             {"source": "hr", "entity": "employees", "status": "loaded", "rows_read": 40, "rows_loaded": 40,
              "rows_rejected": 0, "message": "", "earlier": True},
             {"source": "hr", "entity": "training", "status": "missing", "rows_read": 0, "rows_loaded": 0,
              "rows_rejected": 0, "message": "", "earlier": False}]
    return NightSummary(night=date(2026, 11, 21), run_id="manual__x", files=files,
                        published={"kpi_win_rate": 120, "dim_reps": 30}, published_at="2026-11-22 02:10")


def test_file_lines_have_read_loaded_and_rejected_under_their_header():
    lines = format_text(_summary()).splitlines()
    header = lines.index("Files:") + 1
    assert lines[header].split() == ["file", "status", "read", "loaded", "rejected"]
    assert lines[header + 1].split() == ["crm/accounts", "loaded", "1,203", "1,200", "3"]
    assert lines[header + 2].split() == ["hr/employees", "unchanged", "40", "40", "0"]  # loaded on an earlier run
    assert "  (no file tonight: hr/training)" in lines


def test_published_tables_are_a_count_unless_verbose():
    short = format_text(_summary())
    # 2 tables, 120 + 30 = 150 rows
    assert "Published to marts at 2026-11-22 02:10: 2 tables, 150 rows (--verbose lists them" in short
    assert "marts.kpi_win_rate" not in short
    listed = format_text(_summary(), verbose=True)
    assert "marts.kpi_win_rate" in listed and "marts.dim_reps" in listed
