"""Reports: the HTML pages and CSV exports, read from the warehouse's marts only."""
