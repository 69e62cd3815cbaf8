#!/usr/bin/env python3
"""The DuckDB baseline of reconciliation: the settlement file joined with the ledger on the ARN.

    duckdb_reconcile.py SETTLEMENT LEDGER OUT_DIR THREADS MEMORY_LIMIT [exact|join]

The same job as `settle aggregate SETTLEMENT --layout reference --ledger LEDGER`, in SQL: detail
records of the reference layout (positions of datasets/layouts/reference.yaml: arn 2-24,
merchant_id 25-39, currency 64-66, amount 67-78, direction 79) and the ledger's rows are numbered per
ARN in file order, fully outer-joined on (ARN, occurrence number) so occurrences pair one to one,
classified into the same kinds, and written as mismatches.csv (sorted by kind, ARN) and
reconciliation.csv (per merchant and currency: settled, ledger and matched counts and gross). The
memory limit is DuckDB's `memory_limit`, like Settle's `--memory`.

`exact` (the default) pairs duplicates one to one as Settle does (row_number per ARN); `join` is the
plain full outer join on the ARN alone (duplicates multiply), the cheaper baseline.
"""
import sys
import time

import duckdb

QUERY = """
CREATE TEMP TABLE pairs AS
WITH settled AS (
  SELECT substr(line, 2, 23) AS arn, rtrim(substr(line, 25, 15)) AS merchant_id, substr(line, 64, 3) AS currency,
         TRY_CAST(substr(line, 67, 12) AS BIGINT) AS amount, substr(line, 79, 1) AS direction,
         row_number() OVER () AS position
  FROM read_csv({settlement}, delim = '\\x1f', quote = '', escape = '', header = false,
                auto_detect = false, columns = {{'line': 'VARCHAR'}})
  WHERE substr(line, 1, 1) = 'D' AND length(line) = 160
), s AS (
  SELECT *, row_number() OVER (PARTITION BY arn ORDER BY position) AS k FROM settled
  WHERE amount IS NOT NULL AND direction IN ('D', 'C')
), ledger AS (
  SELECT lpad(trim(arn::VARCHAR), 23, '0') AS arn, merchant_id, currency, amount, direction,
         row_number() OVER () AS position
  FROM read_csv({ledger}, header = true, columns = {{'arn': 'VARCHAR', 'merchant_id': 'VARCHAR',
                'currency': 'VARCHAR', 'amount': 'BIGINT', 'direction': 'VARCHAR'}})
), l AS (
  SELECT *, row_number() OVER (PARTITION BY arn ORDER BY position) AS k FROM ledger
)
SELECT coalesce(s.arn, l.arn) AS arn,
       s.merchant_id, s.currency, s.direction, s.amount,
       l.merchant_id AS ledger_merchant_id, l.currency AS ledger_currency, l.direction AS ledger_direction,
       l.amount AS ledger_amount,
       CASE WHEN s.arn IS NULL THEN
                 CASE WHEN count(s.arn) OVER (PARTITION BY coalesce(s.arn, l.arn)) > 0 THEN 'duplicate_in_ledger' ELSE 'missing_in_settlement' END
            WHEN l.arn IS NULL THEN
                 CASE WHEN count(l.arn) OVER (PARTITION BY coalesce(s.arn, l.arn)) > 0 THEN 'duplicate_in_settlement' ELSE 'missing_in_ledger' END
            WHEN s.currency <> l.currency THEN 'currency_mismatch'
            WHEN s.merchant_id <> l.merchant_id THEN 'merchant_mismatch'
            WHEN s.direction <> l.direction THEN 'direction_mismatch'
            WHEN s.amount <> l.amount THEN 'amount_mismatch'
       END AS kind
FROM s FULL OUTER JOIN l ON s.arn = l.arn AND s.k = l.k;

COPY (SELECT kind, arn, merchant_id, currency, direction, amount, ledger_merchant_id, ledger_currency,
             ledger_direction, ledger_amount,
             coalesce(CASE WHEN direction = 'C' THEN -amount ELSE amount END, 0)
               - coalesce(CASE WHEN ledger_direction = 'C' THEN -ledger_amount ELSE ledger_amount END, 0) AS difference
      FROM pairs WHERE kind IS NOT NULL ORDER BY kind, arn) TO {mismatches} (HEADER, DELIMITER ',');

COPY (
  WITH sides AS (
    SELECT merchant_id, currency, 1 AS settled, CASE WHEN direction = 'C' THEN -amount ELSE amount END AS settled_gross,
           0 AS ledger, 0 AS ledger_gross, CASE WHEN kind IS NULL THEN 1 ELSE 0 END AS matched,
           CASE WHEN kind IS NULL THEN CASE WHEN direction = 'C' THEN -amount ELSE amount END ELSE 0 END AS matched_gross,
           CASE WHEN kind IS NULL THEN 0 ELSE 1 END AS mismatch
    FROM pairs WHERE merchant_id IS NOT NULL
    UNION ALL
    SELECT ledger_merchant_id, ledger_currency, 0, 0, 1, CASE WHEN ledger_direction = 'C' THEN -ledger_amount ELSE ledger_amount END,
           0, 0, CASE WHEN merchant_id IS NULL THEN 1 ELSE 0 END
    FROM pairs WHERE ledger_merchant_id IS NOT NULL
  )
  SELECT merchant_id, currency, sum(settled) AS settled_count, sum(settled_gross) AS settled_gross,
         sum(ledger) AS ledger_count, sum(ledger_gross) AS ledger_gross, sum(matched) AS matched_count,
         sum(matched_gross) AS matched_gross, sum(mismatch) AS mismatch_count,
         sum(settled_gross) - sum(ledger_gross) AS difference
  FROM sides GROUP BY merchant_id, currency ORDER BY merchant_id, currency
) TO {reconciliation} (HEADER, DELIMITER ',');
"""


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: duckdb_reconcile.py SETTLEMENT LEDGER OUT_DIR THREADS MEMORY_LIMIT [exact|join]")
    settlement, ledger, out, threads, memory = sys.argv[1:6]
    mode = sys.argv[6] if len(sys.argv) == 7 else "exact"
    query = QUERY
    if mode == "join":
        query = (query.replace("row_number() OVER (PARTITION BY arn ORDER BY position)", "1")
                      .replace("row_number() OVER ()", "0"))
    elif mode != "exact":
        sys.exit("mode is exact or join")
    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute(f"SET memory_limit = {sql_string(memory)}")
    connection.execute(f"SET temp_directory = {sql_string(out + '/duckdb.tmp')}")
    started = time.perf_counter()
    connection.execute(query.format(settlement=sql_string(settlement), ledger=sql_string(ledger),
                                    mismatches=sql_string(out + "/mismatches.csv"),
                                    reconciliation=sql_string(out + "/reconciliation.csv")))
    rows = connection.execute("SELECT count(*) FROM pairs WHERE kind IS NOT NULL").fetchone()[0]
    print(f"duckdb {duckdb.__version__}: query {time.perf_counter() - started:.3f} s with {threads} threads, "
          f"memory_limit {memory}, {mode}, {rows} mismatch rows", file=sys.stderr)


if __name__ == "__main__":
    main()
