"""Everything Lumen reads from or writes to GitHub, one module per concern.

- `api`: the one client (PyGithub) and GraphQL call, configured from the runner's variables,
  with bounded retries and errors that name the missing permission; nothing else constructs
  `github.Github`.
- `activity`: issues and pull requests as loop events (maturity `--github`).
- `deploys`: deployments and their statuses as deploy events (roi `--github`, flipback).
- `history`: releases, commits and changed files as release-drafter reads them (notes).
- `pr`: the sticky PR comment, the do-not-merge label, the check run and the incident issue.
- `releases`: merged pull requests since a tag, and publishing a GitHub Release.
- `history`: what release-drafter reads (releases, the tag...target comparison's commits and
  their pull requests, changed files, first-time contributors) and `_extends` files.
- `reviews`: approving reviews and deployment approvals, and the allowlist they are counted by.

Kept empty on purpose: each command imports only the module it needs (and PyGithub only when
it talks to GitHub), so `import lumen.adapters.github.activity` costs no more than before.
"""
