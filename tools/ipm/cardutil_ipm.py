#!/usr/bin/env python3
"""The independent check of Settle's IPM reading, through adelosa/cardutil (pip install cardutil).

  cardutil_ipm.py write OUT --details N --seed S [--unblocked] [--encoding cp500|latin_1]
      writes an IPM file with cardutil's IpmWriter: a 1644/697 header, N detail messages (1240
      presentments, reversals with PDS 0025 'R...', 1442 chargebacks), a few 1644 and 1740 other
      messages, and a 1644/695 trailer with PDS 0306, 0301 and 0105; DE 71 numbers the messages.
  cardutil_ipm.py totals FILE [--unblocked] [--encoding cp500|latin_1]
      reads FILE with cardutil's IpmReader and prints totals.csv as mastercard-ipm defines it
      (merchant DE 42 trimmed, currency DE 49 as ISO 4217 alpha, direction from DE 3, reversed by a
      chargeback or PDS 0025 R), then "messages N" on stderr.
"""
import argparse
import random
import sys

from cardutil import mciipm

ALPHA = {"840": "USD", "978": "EUR", "826": "GBP", "392": "JPY", "124": "CAD", "036": "AUD", "756": "CHF"}
DEBIT = {"00", "01", "09", "12", "17", "18"}
CREDIT = {"20", "28"}


def write(args):
    rng = random.Random(args.seed)
    merchants = [f"MCH{rng.randrange(10**11):011d}" for _ in range(args.merchants)]
    homes = [rng.choice(list(ALPHA)) for _ in merchants]
    file_id = "00224010800000012345" + f"{args.seed % 100000:05d}"
    messages = [{"MTI": "1644", "DE24": "697", "DE71": 1, "PDS0105": file_id}]
    total = 0
    for sequence in range(1, args.details + 1):
        merchant = rng.randrange(len(merchants))
        amount = rng.randrange(1, 500000)
        draw = rng.randrange(100)
        mti, function = ("1442", rng.choice(["450", "451", "453", "454"])) if draw >= 90 else ("1240", rng.choice(["200", "200", "205", "282"]))
        kind = rng.randrange(100)
        message = {"MTI": mti, "DE2": "5" + "".join(str(rng.randrange(10)) for _ in range(15)),
                   "DE3": ("00" if kind < 85 else "09" if kind < 90 else "20" if kind < 98 else "28") + "0000",
                   "DE4": amount, "DE24": function, "DE26": "5411", "DE31": f"{sequence:023d}",
                   "DE42": merchants[merchant], "DE49": homes[merchant], "DE71": len(messages) + 1,
                   "PDS0023": "POI", "PDS0158": "MCC   B"}
        if mti == "1240" and rng.randrange(30) == 0:
            message["PDS0025"] = "R240101"
        messages.append(message)
        total += amount
        if rng.randrange(100) == 0:
            fee = rng.randrange(100, 5000)
            messages.append({"MTI": rng.choice(["1644", "1740"]), "DE4": fee, "DE24": "685", "DE71": len(messages) + 1})
            total += fee
    count = len(messages) + 1
    messages.append({"MTI": "1644", "DE24": "695", "DE71": count, "PDS0105": file_id,
                     "PDS0301": f"{total % 10**16:016d}", "PDS0306": f"{count:08d}"})
    with open(args.out, "wb") as out:
        writer = mciipm.IpmWriter(out, encoding=args.encoding, blocked=not args.unblocked)
        for message in messages:
            writer.write(message)
        writer.close()


def totals(args):
    sums = {}
    count = 0
    with open(args.file, "rb") as data:
        for message in mciipm.IpmReader(data, encoding=args.encoding, blocked=not args.unblocked):
            count += 1
            mti, function = message.get("MTI"), message.get("DE24")
            detail = (mti == "1240" and function in ("200", "205", "282")) or (mti == "1442" and function in ("450", "451", "453", "454"))
            if not detail:
                continue
            kind = str(message["DE3"])[:2]
            credit = kind in CREDIT
            if mti == "1442" or str(message.get("PDS0025", "")).startswith("R"):
                credit = not credit
            currency = str(message["DE49"]).zfill(3)
            key = (str(message["DE42"]).strip(), ALPHA.get(currency, currency))
            row = sums.setdefault(key, [0, 0, 0, 0])
            amount = int(message["DE4"])
            row[2 if credit else 0] += 1
            row[3 if credit else 1] += amount
    print("merchant_id,currency,debit_count,debit_amount,credit_count,credit_amount,fee_amount,net_amount")
    for (merchant, currency) in sorted(sums, key=lambda key: (key[0].encode(), key[1].encode())):
        d, da, c, ca = sums[(merchant, currency)]
        print(f"{merchant},{currency},{d},{da},{c},{ca},0,{da - ca}")
    print(f"messages {count}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("--details", type=int, required=True)
    w.add_argument("--merchants", type=int, default=40)
    w.add_argument("--seed", type=int, default=1)
    t = sub.add_parser("totals")
    t.add_argument("file")
    for p in (w, t):
        p.add_argument("--unblocked", action="store_true")
        p.add_argument("--encoding", default="cp500")
    args = parser.parse_args()
    write(args) if args.command == "write" else totals(args)


if __name__ == "__main__":
    main()
