"""Shared by the live client checks (check_tritonclient.py, check_kserve.py): one line per check."""


class CheckFailed(Exception):
    pass


def expect(condition, what, detail=""):
    if not condition:
        raise CheckFailed(f"{what}: {detail}" if detail else what)


def ok(line):
    print(f"ok: {line}", flush=True)
