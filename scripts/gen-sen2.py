#!/usr/bin/env python3
"""Synthetic SEN2 person-level returns (the DfE's XML for COLLECT), for tests and benchmarks.

    scripts/gen-sen2.py --count 5000 --seed 7 --year 2025 > sen2.xml
    scripts/gen-sen2.py --count 640000 --malformed 0.5 > national.xml    # about a national return

One <Person> per child, each with one or two <Requests>: most children hold an EHC plan made in an
earlier year (RequestOutcome and AssessmentOutcome H) with its active plan, latest review and, for
some, a phase transfer; the others made a request in the calendar year before the collection year,
decided, assessed and issued (or not, or not yet) with roughly the timeliness England reported for
2024 (about 85% of decisions within 6 weeks, under half of plans within 20 weeks, 6% with a 20-week
exception). A local area has 2,000 to 20,000 children in its return; England about 640,000 plans.

--malformed PERCENT makes that share of children carry one item a case system can get wrong: a
date written dd/mm/yyyy, a code the specification does not list, an element it does not have, or a
decision dated before its request. The same arguments give the same bytes (only random.random()
and integer arithmetic decide them). Item names and codes are those of docs/plan-data.md.
"""

import argparse
import datetime
import random
import sys

NEEDS = [("ASD", 33), ("SEMH", 17), ("SLCN", 16), ("MLD", 8), ("SLD", 6), ("SPLD", 4), ("PMLD", 2), ("PD", 3),
         ("HI", 2), ("VI", 1), ("MSI", 1), ("DS", 2), ("OTH", 5)]
SETTINGS = [("OLA", 2), ("OPA", 1), ("EHE", 1), ("EYP", 2), ("OTH", 1), ("NEET", 1), ("NIEC", 1), ("NIEO", 1)]
ETHNICITIES = [("WBRI", 70), ("WOTH", 5), ("MWBC", 3), ("AIND", 3), ("APKN", 5), ("BAFR", 4), ("CHNE", 1), ("OOTH", 9)]
FORENAMES = ["Ada", "Ben", "Cara", "Dev", "Eve", "Finn", "Gus", "Hal", "Isla", "Jo", "Kai", "Lena", "Milo", "Nia",
             "Omar", "Pia", "Quinn", "Rosa", "Sami", "Tess", "Uma", "Vic", "Wren", "Yara", "Zac"]
SURNAMES = ["Ash", "Birch", "Cedar", "Damson", "Elm", "Fir", "Gorse", "Hazel", "Ivy", "Juniper", "Larch", "Maple",
            "Oak", "Pine", "Rowan", "Sloe", "Teasel", "Willow", "Yew"]


def below(rng, n):
    return int(rng.random() * n)


def chance(rng, percent):
    return rng.random() * 100 < percent


def pick(rng, weighted):
    roll = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        if roll < weight:
            return value
        roll -= weight
    return weighted[-1][0]


def iso(day):
    return day.isoformat()


# The columns of --format csv: one row per request, headed by the items' names (the flat export a
# case system or the pre-submission workbook gives), the needs in rank order joined by ";".
CSV_COLUMNS = ["request_id", "UPN", "PersonBirthDate", "Sex", "Ethnicity", "ReceivedDate", "RequestSource",
               "RequestOutcomeDate", "RequestOutcome", "AssessmentOutcome", "AssessmentOutcomeDate", "Week20",
               "StartDate", "CeaseDate", "CeaseReason", "ReviewMeeting", "ReviewOutcome", "LastReview", "PhaseTransferDueDate",
               "PhaseTransferFinalDate", "SENtype"]


class Writer:
    """Writes the return as XML, or (csv) one row per request; both from the same calls."""

    def __init__(self, out, csv):
        self.out = out
        self.csv = csv
        self.lines = []
        self.person = {}
        self.row = None
        self.depth_of_module = []
        self.requests = 0

    def item(self, depth, name, value):
        if value is None:
            return
        if not self.csv:
            self.lines.append("  " * depth + "<%s>%s</%s>" % (name, value, name))
            return
        # Items of the person, the request and its modules; not those of repeated settings.
        if self.depth_of_module and self.depth_of_module[-1] in ("PlanDetail", "PlacementDetail"):
            return
        target = self.person if self.row is None else self.row
        if name == "SENtype" and name in target:
            target[name] += ";" + value
        elif name in CSV_COLUMNS:
            target[name] = value

    def open(self, depth, name):
        self.depth_of_module.append(name)
        if self.csv:
            if name == "Requests":
                self.row = dict(self.person)
            elif name == "Person":
                self.person = {}
            return
        self.lines.append("  " * depth + "<%s>" % name)

    def close(self, depth, name):
        self.depth_of_module.pop()
        if self.csv:
            if name == "Requests":
                # A request's record ID, as case systems' exports number them (the XML has none).
                self.requests += 1
                self.row["request_id"] = "R%07d" % self.requests
                self.lines.append(",".join(self.row.get(c, "") for c in CSV_COLUMNS))
                self.row = None
            return
        self.lines.append("  " * depth + "</%s>" % name)

    def flush(self):
        if self.lines:
            self.out.write("\n".join(self.lines))
            self.out.write("\n")
        self.lines = []


def historical_plan(rng, w, year, reference, problem):
    """A plan made before the collection period, with its active plan and latest review."""
    start = datetime.date(year - 2 - below(rng, 8), 1, 1) + datetime.timedelta(days=below(rng, 365))
    received = start - datetime.timedelta(days=100 + below(rng, 120))
    w.open(3, "Requests")
    w.item(4, "ReceivedDate", received.strftime("%d/%m/%Y") if problem == "date" else iso(received))
    w.item(4, "RequestOutcome", "Q" if problem == "code" else "H")
    w.open(4, "Assessment")
    w.item(5, "AssessmentOutcome", "H")
    w.open(5, "NamedPlan")
    w.item(6, "StartDate", iso(start))
    ceased = chance(rng, 6)
    cease = reference - datetime.timedelta(days=20 + below(rng, 330)) if ceased else None
    if problem == "order":
        cease = start - datetime.timedelta(days=30)
    if cease:
        w.item(6, "CeaseDate", iso(cease))
        w.item(6, "CeaseReason", str(1 + below(rng, 9)))
    w.open(6, "PlanDetail")
    w.item(7, "URN", str(100000 + below(rng, 40000)))
    w.item(7, "PlacementRank", "1")
    w.close(6, "PlanDetail")
    w.close(5, "NamedPlan")
    w.close(4, "Assessment")
    if not cease:
        w.open(4, "ActivePlans")
        # The latest review meeting: most within the last year, some overdue.
        if chance(rng, 92):
            back = below(rng, 365) if chance(rng, 88) else 365 + below(rng, 200)
            meeting = reference - datetime.timedelta(days=back)
            w.item(5, "ReviewMeeting", iso(meeting))
            roll = rng.random() * 100
            if roll < 44:
                decided = meeting + datetime.timedelta(days=below(rng, 29))
            elif roll < 88:
                decided = meeting + datetime.timedelta(days=29 + below(rng, 60))
            else:
                decided = None
            if decided and decided <= reference:
                w.item(5, "ReviewOutcome", str(1 + below(rng, 3)))
                w.item(5, "LastReview", iso(decided))
        if chance(rng, 12):
            due = datetime.date(year, 2, 15) if chance(rng, 75) else datetime.date(year, 3, 31)
            if chance(rng, 50):
                due = due.replace(year=year - 1)
            w.item(5, "PhaseTransferDueDate", iso(due))
            if due < reference and chance(rng, 85):
                late = chance(rng, 30)
                final = due + datetime.timedelta(days=(1 + below(rng, 40)) if late else -below(rng, 30))
                w.item(5, "PhaseTransferFinalDate", iso(final))
        w.open(5, "PlacementDetail")
        w.item(6, "URN", str(100000 + below(rng, 40000)))
        w.item(6, "PlacementRank", "1")
        w.item(6, "EntryDate", iso(start))
        w.close(5, "PlacementDetail")
        for rank, need in enumerate(sorted({pick(rng, NEEDS) for _ in range(1 + below(rng, 2))}), start=1):
            w.open(5, "SENneed")
            w.item(6, "SENtype", need)
            w.item(6, "SENtypeRank", str(rank))
            w.close(5, "SENneed")
        w.close(4, "ActivePlans")
    w.close(3, "Requests")


def new_request(rng, w, year, reference, problem):
    """A request made in (or just before) the calendar year before the collection year."""
    received = datetime.date(year - 1, 1, 1) + datetime.timedelta(days=below(rng, 365) - below(rng, 60))
    w.open(3, "Requests")
    w.item(4, "ReceivedDate", received.strftime("%d/%m/%Y") if problem == "date" else iso(received))
    w.item(4, "RequestSource", str(1 + below(rng, 5)))
    decision_days = 20 + below(rng, 23) if chance(rng, 85) else 43 + below(rng, 50)
    decided = received + datetime.timedelta(days=decision_days)
    if decided > reference:
        w.item(4, "RequestOutcome", "A")
        w.close(3, "Requests")
        return
    outcome = pick(rng, [("Y", 66), ("N", 30), ("W", 4)])
    if problem == "code":
        outcome = "X"
    if problem == "order":
        decided = received - datetime.timedelta(days=5)
    if outcome != "W":
        w.item(4, "RequestOutcomeDate", iso(decided))
    w.item(4, "RequestOutcome", outcome)
    if outcome == "Y":
        w.open(4, "Assessment")
        week20 = chance(rng, 6)
        # Fewer than half within 20 weeks: plans issued late fall into the next year more often.
        if chance(rng, 38):
            days = 100 + below(rng, 41)
        else:
            days = 141 + below(rng, 160)
        issued = received + datetime.timedelta(days=days)
        result = pick(rng, [("Y", 88), ("N", 9), ("W", 3)])
        if issued > reference:
            w.item(5, "AssessmentOutcome", "A")
        else:
            w.item(5, "AssessmentOutcome", result)
            if result != "W":
                outcome_date = issued if result == "Y" else decided + datetime.timedelta(days=50)
                w.item(5, "AssessmentOutcomeDate", iso(outcome_date))
            w.item(5, "Week20", "1" if week20 else "0")
            if result == "Y":
                w.open(5, "NamedPlan")
                w.item(6, "StartDate", iso(issued))
                w.open(6, "PlanDetail")
                if chance(rng, 90):
                    w.item(7, "URN", str(100000 + below(rng, 40000)))
                else:
                    w.item(7, "SENSetting", pick(rng, SETTINGS))
                w.item(7, "PlacementRank", "1")
                w.close(6, "PlanDetail")
                w.close(5, "NamedPlan")
        w.close(4, "Assessment")
    w.close(3, "Requests")


def write_header(out, args, reference):
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n')
    out.write("      <Collection>SEN2</Collection>\n      <Year>%d</Year>\n" % args.year)
    out.write("      <ReferenceDate>%s</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n" % iso(reference))
    out.write("      <SourceLevel>L</SourceLevel>\n      <LEA>%s</LEA>\n" % args.la)
    out.write("      <SoftwareCode>GEN-SEN2</SoftwareCode>\n      <Release>1</Release>\n      <SerialNo>1</SerialNo>\n")
    out.write("      <DateTime>%sT00:00:00</DateTime>\n    </Source>\n  </Header>\n  <Persons>\n" % iso(reference))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="children in the return")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=2025, help="the collection year (its January census)")
    parser.add_argument("--la", default="999", help="the local authority's number")
    parser.add_argument("--malformed", type=float, default=0.0, help="per cent of children with one bad item")
    parser.add_argument("--format", choices=["xml", "csv"], default="xml",
                        help="the XML return, or the same requests as a CSV with the items' names as headings")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    # The third Thursday of January of the collection year.
    first = datetime.date(args.year, 1, 1)
    reference = first + datetime.timedelta(days=(3 - first.weekday()) % 7 + 14)
    out = sys.stdout
    w = Writer(out, args.format == "csv")
    if w.csv:
        out.write(",".join(CSV_COLUMNS) + "\n")
    else:
        write_header(out, args, reference)
    for n in range(args.count):
        problem = None
        if args.malformed > 0 and chance(rng, args.malformed):
            problem = pick(rng, [("date", 1), ("code", 1), ("element", 1), ("order", 1)])
        w.open(2, "Person")
        w.item(3, "Surname", SURNAMES[below(rng, len(SURNAMES))])
        w.item(3, "Forename", FORENAMES[below(rng, len(FORENAMES))])
        birth = datetime.date(args.year - 3 - below(rng, 20), 1, 1) + datetime.timedelta(days=below(rng, 365))
        w.item(3, "PersonBirthDate", iso(birth))
        w.item(3, "Sex", "M" if chance(rng, 72) else "F")
        w.item(3, "Ethnicity", pick(rng, ETHNICITIES))
        w.item(3, "UPN", "A%03d%09d" % (int(args.la) % 1000, n + 1))
        if problem == "element":
            w.item(3, "CaseOfficer", "Officer %d" % (1 + below(rng, 40)))
        if chance(rng, 72):
            historical_plan(rng, w, args.year, reference, problem)
            if chance(rng, 3):
                new_request(rng, w, args.year, reference, None)
        else:
            new_request(rng, w, args.year, reference, problem)
        w.close(2, "Person")
        if len(w.lines) > 4000:
            w.flush()
    w.flush()
    if not w.csv:
        out.write("  </Persons>\n</Message>\n")


if __name__ == "__main__":
    main()
