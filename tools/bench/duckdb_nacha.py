#!/usr/bin/env python3
"""The DuckDB baseline on a NACHA file: the same per-merchant totals as `settle aggregate --layout nacha`.

    duckdb_nacha.py FILE OUT_CSV THREADS

A NACHA entry does not say whose it is: its merchant is in the batch header above it. So the query
reads the file as one VARCHAR column per line (delimiter 0x1F, which never occurs in the file; quoting
off; no header), numbers the lines in file order with row_number() OVER () (DuckDB guarantees that a
single-table FROM and a window with an empty OVER clause keep the file's row order; see "Order
Preservation" in its documentation), keeps batch headers (type 5) and entries (type 6), and carries the
header's company identification (41-50), company name (5-20; none for IAT) and SEC code (51-53)
onto the entries with last_value(... IGNORE NULLS) OVER (ORDER BY line_no). Then per entry:
  * the amount is 28-39 (12 digits) in an ADV batch, else 30-39 (10 digits);
  * the direction is the transaction code (2-3): in ADV, 81-88 odd = credit, even = debit; otherwise
    a second digit of 1-4 is a credit and 5-9 a debit (55 = loan debit);
and it groups by merchant = trimmed id "|" trimmed name (an empty part dropped), as datasets/layouts/
nacha.yaml defines it, writing merchant_id,currency,debit_count,debit_amount,credit_count,
credit_amount,fee_amount,net_amount ordered by merchant (bytewise), currency USD, fee 0.
Positions are the 1-based ones of the NACHA specification, as datasets/layouts/nacha.yaml gives them.
"""

import duckdb

QUERY = """
COPY (
  WITH numbered AS (
    SELECT line, row_number() OVER () AS line_no
    FROM read_csv({source}, delim = '\x1f', quote = '', escape = '', header = false,
                  auto_detect = false, columns = {{'line': 'VARCHAR'}})
  ),
  typed AS (
    -- Only what the window must carry: the header's key parts, the entry's code and amounts.
    SELECT line_no,
           substr(line, 1, 1)                                                   AS record_type,
           CASE WHEN substr(line, 1, 1) = '5' THEN trim(substr(line, 41, 10)) END AS company_id,
           CASE WHEN substr(line, 1, 1) = '5' AND substr(line, 51, 3) <> 'IAT'
                THEN trim(substr(line, 5, 16))
                WHEN substr(line, 1, 1) = '5' THEN '' END                        AS company_name,
           CASE WHEN substr(line, 1, 1) = '5' THEN substr(line, 51, 3) END       AS sec,
           substr(line, 2, 2)                                                   AS code,
           substr(line, 30, 10)                                                 AS amount_10,
           substr(line, 28, 12)                                                 AS amount_12
    FROM numbered
    WHERE substr(line, 1, 1) IN ('5', '6')
  ),
  carried AS (
    SELECT record_type, code, amount_10, amount_12,
           last_value(company_id IGNORE NULLS) OVER batch   AS company_id,
           last_value(company_name IGNORE NULLS) OVER batch AS company_name,
           last_value(sec IGNORE NULLS) OVER batch          AS sec
    FROM typed
    WINDOW batch AS (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ),
  entries AS (
    SELECT CASE WHEN company_name = '' THEN company_id
                WHEN company_id = '' THEN company_name
                ELSE company_id || '|' || company_name END                     AS merchant_id,
           CASE WHEN sec = 'ADV' THEN CAST(amount_12 AS BIGINT)
                ELSE CAST(amount_10 AS BIGINT) END                              AS amount,
           CASE WHEN sec = 'ADV' THEN CAST(code AS INTEGER) % 2 = 0
                ELSE substr(code, 2, 1) IN ('5', '6', '7', '8', '9') END        AS is_debit
    FROM carried
    WHERE record_type = '6'
  ),
  totals AS (
    SELECT merchant_id,
           count(*) FILTER (WHERE is_debit)                     AS debit_count,
           coalesce(sum(amount) FILTER (WHERE is_debit), 0)     AS debit_amount,
           count(*) FILTER (WHERE NOT is_debit)                 AS credit_count,
           coalesce(sum(amount) FILTER (WHERE NOT is_debit), 0) AS credit_amount
    FROM entries
    GROUP BY merchant_id
  )
  SELECT merchant_id, 'USD' AS currency, debit_count, debit_amount, credit_count, credit_amount,
         0 AS fee_amount, debit_amount - credit_amount AS net_amount
  FROM totals
  ORDER BY merchant_id
) TO {target} (HEADER, DELIMITER ',')
"""


if __name__ == "__main__":
    from duckdb_totals import run
    run(QUERY, "duckdb_nacha.py")
