"""Importing what an agency already keeps in spreadsheets: its AI register and each system's
operators, from CSV files.

Plain Python, shared by the web pages and the CLI. Every import runs in two steps: a dry run
(``plan``) reads the whole file and judges every row by the same rules as a form or the API,
writing nothing and reporting each row's errors by row number, column and rule; then
``commit`` writes every row in one transaction, or nothing at all when any row fails.

``csvfile`` reads the file itself (encoding, delimiter, header, limits) and the cells people
write (yes/no flags, lists, dates); ``register`` and ``operators`` turn rows into profiles and
operators.
"""
