"""Downloads of tables as CSV or XLSX (see writers.py); the areas own their views and rows."""
