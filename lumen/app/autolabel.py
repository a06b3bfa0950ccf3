"""`lumen autolabel`: the labels release-drafter's autolabeler gives a pull request, from the
`autolabeler:` rules of a release-drafter config, and (online) adding them to the PR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gates.errors import ConfigError
from release.drafter import DrafterConfig
from release.drafter_autolabel import Match, PullRequestFacts, autolabel


@dataclass(frozen=True)
class AutolabelResult:
    matches: tuple[Match, ...]
    already: tuple[str, ...]  # labels the PR already had
    added: tuple[str, ...]  # labels added now (empty on a dry run or offline)

    @property
    def labels(self) -> list[str]:
        return [m.label for m in self.matches]

    def as_json(self) -> dict[str, object]:
        return {
            "labels": self.labels,
            "added": list(self.added),
            "already": list(self.already),
            "matches": [
                {"label": m.label, "source": m.source, "match": m.detail} for m in self.matches
            ],
        }


def run(
    config: DrafterConfig,
    pr: PullRequestFacts,
    *,
    current_labels: Sequence[str] = (),
    config_file: str | None = None,
) -> AutolabelResult:
    if not config.autolabeler:
        raise ConfigError(
            "no autolabeler rules",
            file=config_file,
            field="autolabeler",
            expected="a list of {label, files, branch, title, body} rules",
        )
    matches = tuple(autolabel(config.autolabeler, pr))
    already = tuple(m.label for m in matches if m.label in current_labels)
    return AutolabelResult(matches, already, ())
