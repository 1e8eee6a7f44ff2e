#!/usr/bin/env python3
"""Synthetic EHC casework (England, SEND) as CSV, for tests and benchmarks of the statutory pack.

    scripts/gen-casework.py --count 50000 --seed 7 --as-of 2025-03-31 > cases.csv

One row per case, a header first, ISO dates, an empty cell for anything absent; no cell needs
quoting. The same arguments give the same bytes, and a smaller count gives a prefix of a larger
one (every case is drawn from one stream, in order). Events after --as-of are not known yet, so
their cells are empty: check with the same as-of date. The columns and their meaning are those
of rules/send-statutory.yaml's `cases` collection; the shape (some cases late, some overdue, a
few data-quality slips) is chosen so that every statutory check flags some cases.

Only `random.Random.random()` and integer arithmetic decide the rows, so the output does not
depend on the Python version or on the platform's maths library.
"""

import argparse
import datetime
import random
import sys

COLUMNS = [
    "case_id", "team", "case_officer", "phase", "request_date", "decision_to_assess_date", "decision",
    "decision_not_to_issue_date", "advice_requested_date", "advice_received_date", "draft_issued_date",
    "final_issued_date", "exception", "last_review_date", "review_meeting_date", "review_report_date",
    "review_decision_date", "amendment_notice_date", "amended_final_date", "phase_transfer",
    "phase_transfer_final_date", "status",
]

TEAMS = ["North", "South", "East", "West", "Central", "Post-16", "Early Years"]
OFFICERS = [
    "Alex Hughes", "Priya Shah", "Tom Walsh", "Grace Okafor", "Daniel Price", "Hannah Lewis", "Imran Qureshi",
    "Megan Jones", "Owen Davies", "Ruth Bennett", "Sam Khan", "Chloe Martin-Reid", "Liam O'Connor", "Aisha Begum",
    "Peter Clarke", "Joanne Fletcher", "Kwame Mensah", "Laura Whitfield", "Nadia Hussain", "Chris Turner",
    "Fiona Gallagher", "Marek Nowak", "Bethan Rees", "Yusuf Ali", "Helen Marsh", "Jordan Blake",
]
PHASES = [("early-years", 10), ("primary", 40), ("secondary", 35), ("post-16", 15)]
# The exceptions of reg 13(3), and one that excuses only the 6-week advice limit.
EXCEPTIONS = [("school-holiday", 5), ("personal-circumstances", 4), ("missed-appointment", 3), ("", 88)]


def below(rng, n):
    """A whole number in 0 ..< n."""
    return int(rng.random() * n)


def chance(rng, percent):
    return rng.random() * 100 < percent


def pick(rng, weighted):
    """One value of [(value, weight)], by weight."""
    roll = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        if roll < weight:
            return value
        roll -= weight
    return weighted[-1][0]


def days(rng, buckets):
    """A number of days from [(weight, lowest, highest)]: a bucket by weight, then a day in it."""
    lo, hi = pick(rng, [((lo, hi), w) for w, lo, hi in buckets])
    return lo + below(rng, hi - lo + 1)


def add_months(day, months):
    """The same day of the month `months` later, clamped to the end of that month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def case(rng, number, as_of, transfer_year):
    """One case as a dict of column -> date, text or None; dates after as_of are dropped by the caller."""
    row = dict.fromkeys(COLUMNS)
    row["case_id"] = "C%07d" % number
    row["team"] = TEAMS[below(rng, len(TEAMS))]
    row["case_officer"] = None if chance(rng, 1) else OFFICERS[below(rng, len(OFFICERS))]
    row["phase"] = pick(rng, PHASES)
    request = as_of - datetime.timedelta(days=1 + below(rng, 6 * 365))
    row["request_date"] = request
    row["exception"] = pick(rng, EXCEPTIONS) or None
    row["status"] = "open"

    def after(start, buckets):
        return start + datetime.timedelta(days=days(rng, buckets))

    # The decision whether to assess: due within 6 weeks; a few never recorded, a few undated.
    if chance(rng, 0.2):
        row["decision"] = "pending"
        return row
    decided = after(request, [(80, 10, 42), (17, 43, 70), (3, 71, 120)])
    if decided > as_of:
        row["decision"] = "pending"
        return row
    row["decision"] = "not-assess" if chance(rng, 10) else "assess"
    row["decision_to_assess_date"] = None if chance(rng, 0.2) else decided
    if row["decision"] == "not-assess":
        row["status"] = "closed" if chance(rng, 85) else "open"
        return row

    # Advice for the assessment: due within 6 weeks of the request for it; some never arrives.
    asked = after(decided, [(1, 0, 7)])
    row["advice_requested_date"] = asked
    if not chance(rng, 1):
        row["advice_received_date"] = after(asked, [(70, 10, 42), (25, 43, 80), (5, 81, 150)])

    # After the assessment: a decision not to issue (due within 16 weeks), or a draft and a final
    # plan (due within 20 weeks of the request, with at least 15 days to comment on the draft).
    if chance(rng, 4):
        row["decision_not_to_issue_date"] = after(request, [(80, 70, 112), (20, 113, 160)])
        row["status"] = "closed" if chance(rng, 70) else "open"
        return row
    if chance(rng, 0.5):
        return row                                      # assessed, and the plan never came
    if chance(rng, 0.1):
        row["final_issued_date"] = request - datetime.timedelta(days=1 + below(rng, 60))   # a typing slip
        return row
    final = after(request, [(52, 98, 140), (30, 141, 200), (13, 201, 300), (4.5, 301, 420), (0.5, 421, 600)])
    row["final_issued_date"] = final
    row["draft_issued_date"] = final - datetime.timedelta(days=days(rng, [(90, 15, 40), (10, 3, 14)]))
    if final > as_of:
        return row
    row["status"] = "closed" if chance(rng, 8) else "open"

    # Annual reviews: most on the plan's anniversaries, some a year or more behind.
    years = (as_of - final).days // 365
    held = years if chance(rng, 85) else years - 1 - below(rng, 2)
    review = None
    for k in range(held, 0, -1):
        candidate = add_months(final, 12 * k) - datetime.timedelta(days=below(rng, 40))
        if candidate <= as_of:
            review = candidate
            break
    if review is not None:
        row["last_review_date"] = review
        row["review_meeting_date"] = review
        row["review_report_date"] = after(review, [(75, 1, 14), (25, 15, 45)])
        if not chance(rng, 5):
            decision = after(review, [(70, 5, 28), (30, 29, 70)])
            row["review_decision_date"] = decision
            if chance(rng, 30):
                notice = after(decision, [(1, 0, 14)])
                row["amendment_notice_date"] = notice
                if not chance(rng, 5):
                    row["amended_final_date"] = after(notice, [(80, 20, 56), (15, 57, 120), (5, 121, 200)])

    # The next September transfer: the amended plan is due by 15 February (31 March into post-16).
    if row["phase"] != "post-16" and row["status"] == "open" and chance(rng, 25):
        row["phase_transfer"] = "yes"
        into_post16 = row["phase"] == "secondary"
        deadline = datetime.date(transfer_year, 3, 31) if into_post16 else datetime.date(transfer_year, 2, 15)
        if not chance(rng, 15):
            issued = days(rng, [(75, -90, 0), (25, 1, 60)])
            row["phase_transfer_final_date"] = deadline + datetime.timedelta(days=issued)
    else:
        row["phase_transfer"] = "no"
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="number of cases")
    parser.add_argument("--seed", type=int, default=7, help="the same seed gives the same cases (default 7)")
    parser.add_argument("--as-of", default="2025-03-31",
                        help="the day the data is read, YYYY-MM-DD (default 2025-03-31)")
    args = parser.parse_args()
    if args.count < 0:
        parser.error("--count must not be negative")
    try:
        as_of = datetime.date.fromisoformat(args.as_of)
    except ValueError:
        parser.error("--as-of must be a date YYYY-MM-DD, not %r" % args.as_of)
    transfer_year = as_of.year if as_of < datetime.date(as_of.year, 9, 1) else as_of.year + 1

    rng = random.Random(args.seed)
    out = sys.stdout
    out.write(",".join(COLUMNS) + "\n")
    lines = []
    for number in range(1, args.count + 1):
        row = case(rng, number, as_of, transfer_year)
        cells = []
        for column in COLUMNS:
            value = row[column]
            if isinstance(value, datetime.date):
                value = value.isoformat() if value <= as_of else None
            cells.append(value or "")
        lines.append(",".join(cells))
        if len(lines) == 10000:
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
