#!/usr/bin/env python3
"""Compares a totals CSV with the generator's expected/totals.csv after normalising its formatting.

    compare_totals.py EXPECTED_CSV ACTUAL_CSV [LABEL]

Both files must have the same eight columns (names compared case-insensitively, spaces trimmed) and
the same rows once every number is read as an integer (so 0012, 12 and 12.0 agree) and merchant ids
are right-trimmed. The actual rows must also come in the expected order: bytewise by merchant, then
currency. Exits 0 and prints one line when they agree; exits 1 and prints the first differences
when they do not.
"""
import csv
import sys
from decimal import Decimal, InvalidOperation

COLUMNS = ["merchant_id", "currency", "debit_count", "debit_amount", "credit_count", "credit_amount",
           "fee_amount", "net_amount"]


def integer(text):
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}")
    if value != value.to_integral_value():
        raise ValueError(f"not a whole number: {text!r}")
    return int(value)


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader)]
        if header != COLUMNS:
            raise ValueError(f"{path}: columns {header}, expected {COLUMNS}")
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(row) != len(COLUMNS):
                raise ValueError(f"{path}: line {number} has {len(row)} fields")
            key = (row[0].rstrip(), row[1].strip())
            rows.append((key, tuple(integer(field) for field in row[2:])))
        return rows


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: compare_totals.py EXPECTED_CSV ACTUAL_CSV [LABEL]")
    expected_path, actual_path = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) == 4 else actual_path
    try:
        expected, actual = read(expected_path), read(actual_path)
    except (OSError, ValueError, StopIteration) as error:
        print(f"MISMATCH {label}: {error}")
        return 1
    problems = []
    expected_by_key, actual_by_key = dict(expected), dict(actual)
    if len(actual_by_key) != len(actual):
        problems.append(f"{len(actual) - len(actual_by_key)} duplicate merchant/currency rows")
    for key in sorted(expected_by_key.keys() - actual_by_key.keys())[:5]:
        problems.append(f"missing row {key}")
    for key in sorted(actual_by_key.keys() - expected_by_key.keys())[:5]:
        problems.append(f"extra row {key}")
    differing = [key for key in expected_by_key.keys() & actual_by_key.keys()
                 if expected_by_key[key] != actual_by_key[key]]
    for key in sorted(differing)[:5]:
        problems.append(f"row {key}: expected {expected_by_key[key]}, got {actual_by_key[key]}")
    keys = [key for key, _ in actual]
    bytewise = sorted(keys, key=lambda key: (key[0].encode(), key[1].encode()))
    if keys != bytewise:
        first = next(index for index, (a, b) in enumerate(zip(keys, bytewise)) if a != b)
        problems.append(f"rows not in bytewise merchant, currency order (first at data row {first + 1}: {keys[first]})")
    if problems:
        missing = len(expected_by_key.keys() - actual_by_key.keys())
        extra = len(actual_by_key.keys() - expected_by_key.keys())
        print(f"MISMATCH {label}: {missing} missing, {extra} extra, {len(differing)} differing rows "
              f"of {len(expected)} expected")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"OK {label}: {len(actual)} rows equal to the ground truth after normalising")
    return 0


if __name__ == "__main__":
    sys.exit(main())
