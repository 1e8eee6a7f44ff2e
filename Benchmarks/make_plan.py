#!/usr/bin/env python3
"""Writes a synthetic improvement plan as YAML: make_plan.py ACTIONS > plan.yaml (deterministic)."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
rng = random.Random(7)
statuses = ["On track", "Complete", "At risk", "Vulnerable", "Not yet started", ""]
owners = ["Amber Burton", "Steve Larking", "Sheila Garara", "Abi Ajayi", "Katie Charlton", "Bruce Penhale"]
print("plan: Synthetic benchmark plan")
print("actions:")
for i in range(n):
    print(f'  - ref: "{i // 40 + 1}.{i % 40 + 1}"')
    print(f"    section: Priority area {i // 40 + 1}")
    print(f"    action: Deliver improvement {i} to the timeliness and quality of EHC plans, with partners and parent carers")
    print(f"    owners: [{', '.join(rng.sample(owners, rng.randint(0, 2)))}]")
    if rng.random() < 0.9:
        print(f"    due: 20{rng.randint(23, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    else:
        print("    due: TBC")
    status = rng.choice(statuses)
    if status:
        print(f"    status: {status}")
    print(f'    progress: "Nov23: workshop held with SENCOs; Jan24: draft guidance shared for comment"')
    print(f"    success: 95% of decisions are reached within 2 weeks")
