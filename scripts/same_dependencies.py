"""Fails when the tests' build compiled again a dependency that the workspace's build compiled.

Arguments: the JSON messages (`--message-format=json…`) of `cargo build --workspace` and of
`cargo test --workspace --no-run`. A dependency compiled in both (not fresh the second time) was
built with a second feature set: a dev-dependency turned a feature on, and everything above it
(the AWS SDK) is built twice.
"""

import json
import sys


def artifacts(path, only_compiled):
    found = set()
    with open(path, encoding="utf-8") as messages:
        for line in messages:
            message = json.loads(line)
            if message.get("reason") != "compiler-artifact":
                continue
            if not message["package_id"].startswith("registry+"):
                continue
            if only_compiled and message["fresh"]:
                continue
            found.add(message["package_id"].split("#", 1)[1])
    return found


def main(build, tests):
    twice = sorted(artifacts(build, False) & artifacts(tests, True))
    if twice:
        print(
            "error: the tests' build compiled these dependencies a second time (a feature only "
            "tests turn on splits the dependency graph):\n  " + "\n  ".join(twice),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
