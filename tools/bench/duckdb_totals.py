#!/usr/bin/env python3
"""The DuckDB baseline: the same per-merchant totals as `settle aggregate`, from SQL alone.

    duckdb_totals.py FILE OUT_CSV THREADS

Reads the reference layout file as one VARCHAR column per line (the unit separator 0x1F, which
never occurs in a settlement file, is the delimiter; quoting is off), keeps detail lines
(position 1 = 'D') whose amount and fee are whole numbers and whose direction is D or C, and writes
merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount
ordered by merchant then currency. Positions below are the 1-based ones of
datasets/layouts/reference.yaml: merchant_id 25-39, currency 64-66, amount 67-78, direction 79,
fee 80-89.
"""
import sys
import time

import duckdb

QUERY = """
COPY (
  WITH detail AS (
    SELECT rtrim(substr(line, 25, 15))             AS merchant_id,
           substr(line, 64, 3)                     AS currency,
           TRY_CAST(substr(line, 67, 12) AS BIGINT) AS amount,
           substr(line, 79, 1)                     AS direction,
           TRY_CAST(substr(line, 80, 10) AS BIGINT) AS fee
    FROM read_csv({source}, delim = '\x1f', quote = '', escape = '', header = false,
                  auto_detect = false, columns = {{'line': 'VARCHAR'}})
    WHERE substr(line, 1, 1) = 'D'
  ),
  totals AS (
    SELECT merchant_id, currency,
           count(*) FILTER (WHERE direction = 'D')                 AS debit_count,
           coalesce(sum(amount) FILTER (WHERE direction = 'D'), 0) AS debit_amount,
           count(*) FILTER (WHERE direction = 'C')                 AS credit_count,
           coalesce(sum(amount) FILTER (WHERE direction = 'C'), 0) AS credit_amount,
           sum(fee)                                                AS fee_amount
    FROM detail
    WHERE amount IS NOT NULL AND fee IS NOT NULL AND direction IN ('D', 'C')
    GROUP BY merchant_id, currency
  )
  SELECT *, debit_amount - credit_amount - fee_amount AS net_amount
  FROM totals
  ORDER BY merchant_id, currency
) TO {target} (HEADER, DELIMITER ',')
"""


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def run(query, name):
    """Runs QUERY (with {source} and {target} placeholders) as the script NAME FILE OUT_CSV THREADS."""
    if len(sys.argv) != 4:
        sys.exit(f"usage: {name} FILE OUT_CSV THREADS")
    source, target, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    connection = duckdb.connect()
    connection.execute(f"SET threads = {threads}")
    started = time.perf_counter()
    connection.execute(query.format(source=sql_string(source), target=sql_string(target)))
    print(f"duckdb {duckdb.__version__}: query {time.perf_counter() - started:.3f} s with {threads} threads",
          file=sys.stderr)


if __name__ == "__main__":
    run(QUERY, "duckdb_totals.py")
