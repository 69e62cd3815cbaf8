#!/usr/bin/env python3
"""The DuckDB baseline on a Visa CTF file (ASCII, LF): the same per-merchant totals as
`settle aggregate --layout visa-ctf`.

    duckdb_visa.py FILE OUT_CSV THREADS

The file is read as one VARCHAR column per line. A draft's merchant is on its TCR 1, after its TCR 0,
so the query numbers the lines in file order (row_number() OVER (), order preserving for a single
table) and gives each TCR a transaction number, the running count of TCR 0s (sum(...) OVER (ORDER BY
line_no)); then per transaction it takes TCR 0's TC (1-2), source amount (77-88) and currency
(89-91), TCR 1's card acceptor id (81-95) and TCR 5's interchange fee (92-106, 6 decimals) and sign
(107: C negative). Amounts become millionths through the currency's ISO 4217 minor units (the
generator's seven currencies), as datasets/layouts/visa-ctf.yaml defines the totals.
"""

QUERY = """
COPY (
  WITH numbered AS (
    SELECT line, row_number() OVER () AS line_no
    FROM read_csv({source}, delim = '\x1f', quote = '', escape = '', header = false,
                  auto_detect = false, columns = {{'line': 'VARCHAR'}})
  ),
  tcrs AS (
    SELECT line, substr(line, 1, 2) AS tc, substr(line, 4, 1) AS seq,
           sum(CASE WHEN substr(line, 4, 1) = '0' AND substr(line, 1, 2) NOT IN ('90', '91', '92') THEN 1 ELSE 0 END)
             OVER (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS txn
    FROM numbered
    WHERE substr(line, 1, 2) NOT IN ('90', '91', '92')
  ),
  drafts AS (
    SELECT txn,
           max(CASE WHEN seq = '0' THEN tc END)                                 AS tc,
           max(CASE WHEN seq = '0' THEN TRY_CAST(substr(line, 77, 12) AS BIGINT) END) AS amount,
           max(CASE WHEN seq = '0' THEN substr(line, 89, 3) END)                AS currency,
           max(CASE WHEN seq = '1' THEN trim(substr(line, 81, 15)) END)         AS merchant_id,
           coalesce(max(CASE WHEN seq = '5' AND trim(substr(line, 92, 15)) <> ''
                             THEN CAST(substr(line, 92, 15) AS BIGINT) * (CASE WHEN substr(line, 107, 1) = 'C' THEN -1 ELSE 1 END)
                        END), 0)                                               AS fee
    FROM tcrs
    GROUP BY txn
  ),
  currencies(numeric, alpha, factor) AS (
    VALUES ('840', 'USD', 10000), ('978', 'EUR', 10000), ('826', 'GBP', 10000), ('392', 'JPY', 1000000),
           ('124', 'CAD', 10000), ('036', 'AUD', 10000), ('756', 'CHF', 10000)
  ),
  valued AS (
    SELECT d.merchant_id, c.alpha AS currency, d.amount * c.factor AS amount, d.fee,
           d.tc IN ('05', '07', '16', '26', '35', '37') AS is_debit
    FROM drafts d JOIN currencies c ON c.numeric = d.currency
    WHERE d.tc IN ('05', '07', '16', '26', '35', '37', '06', '15', '17', '25', '27', '36')
  ),
  totals AS (
    SELECT merchant_id, currency,
           count(*) FILTER (WHERE is_debit)                     AS debit_count,
           coalesce(sum(amount) FILTER (WHERE is_debit), 0)     AS debit_amount,
           count(*) FILTER (WHERE NOT is_debit)                 AS credit_count,
           coalesce(sum(amount) FILTER (WHERE NOT is_debit), 0) AS credit_amount,
           sum(fee)                                             AS fee_amount
    FROM valued
    GROUP BY merchant_id, currency
  )
  SELECT merchant_id, currency, debit_count, debit_amount, credit_count, credit_amount, fee_amount,
         debit_amount - credit_amount - fee_amount AS net_amount
  FROM totals
  ORDER BY merchant_id, currency
) TO {target} (HEADER, DELIMITER ',')
"""


if __name__ == "__main__":
    from duckdb_totals import run
    run(QUERY, "duckdb_visa.py")
