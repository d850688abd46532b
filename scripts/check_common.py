"""Shared by the live client checks (check_tritonclient.py, check_kserve.py): one line per check."""


class CheckFailed(Exception):
    pass


def expect(condition, what, detail=""):
    if not condition:
        raise CheckFailed(f"{what}: {detail}" if detail else what)


def ok(line):
    print(f"ok: {line}", flush=True)


def run_steps(steps, passed):
    """Runs (label, step) in order: the first failure is one "FAIL: ..." line on stderr and exit
    status 1; when all pass, prints `passed` and returns 0."""
    import sys
    for label, step in steps:
        try:
            step()
        except CheckFailed as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        except Exception as e:  # a client or connection error fails the check in progress, on one line
            print(f"FAIL: {label}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
            return 1
    print(passed)
    return 0
