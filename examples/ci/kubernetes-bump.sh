#!/usr/bin/env bash
# A Kubernetes version bump in any CI: when a newer Kubernetes release exists,
# regenerate the package (python -m generator bump: fetch the release's spec,
# generate, self-check, API change report, reproducible sdist and wheel), then
# open a pull request whose body is the change report, labelled "breaking" or
# "compatible". Outside GitHub Actions (or with PR=dry-run) the pull request is
# only described, nothing is pushed.
#
# Settings (environment, all optional):
#   PYTHON        the Python with the generator installed          (python3)
#   FROM          the release the package is generated from now    (the contents of STATE_FILE)
#   TO            the release to bump to                           (the newest release tag of KUBERNETES_REPO)
#   STATE_FILE    the file that keeps the current release          (KUBERNETES_VERSION)
#   SPEC_SOURCE   bump's --spec-source: a URL template or a folder (the release tag's api/openapi-spec/v3/)
#   PACKAGE       the package's name                               (kubeclient)
#   WORK          bump's work folder: report, dist/, summary.json  (build/bump)
#   BUMP_ARGS     more bump options, e.g. "--fixtures DIR"
#   REPORT_DIR    where the pull request keeps the report          (api-changes)
#   PR            auto | github | dry-run                          (auto: github in GitHub Actions)
#   BASE_BRANCH   the pull request's base                          (the branch checked out)
#   BUMP_COMMAND  the bump command itself                          ($PYTHON -m generator bump)
#
# Exit code: 0 nothing to do or a compatible bump, 10 a bump with breaking
# changes (its pull request is open), 20-25 the bump step that failed, 1 this
# script's own failures (a missing setting, git or gh failing).
set -euo pipefail

PYTHON=${PYTHON:-python3}
STATE_FILE=${STATE_FILE:-KUBERNETES_VERSION}
KUBERNETES_REPO=${KUBERNETES_REPO:-https://github.com/kubernetes/kubernetes}
# (quoted apart: the braces of {version} would end a ${...:-default})
release_folder='https://raw.githubusercontent.com/kubernetes/kubernetes/v{version}/api/openapi-spec/v3/'
SPEC_SOURCE=${SPEC_SOURCE:-$release_folder}
PACKAGE=${PACKAGE:-kubeclient}
WORK=${WORK:-build/bump}
REPORT_DIR=${REPORT_DIR:-api-changes}
PR=${PR:-auto}
BUMP_COMMAND=${BUMP_COMMAND:-$PYTHON -m generator bump}

say() { echo "kubernetes-bump: $*" >&2; }
die() { say "$*"; exit 1; }

newest_release() {
    # release tags only (v1.36.2), no alpha/beta/rc
    git ls-remote --tags --refs "$KUBERNETES_REPO" 'v1.*' |
        sed 's|.*refs/tags/v||' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1
}

FROM=${FROM:-$( [ -f "$STATE_FILE" ] && tr -d ' \n' < "$STATE_FILE" || true)}
[ -n "$FROM" ] || die "no current release: set FROM, or write it to $STATE_FILE (e.g. 1.35.6)"
TO=${TO:-$(newest_release)}
[ -n "$TO" ] || die "no Kubernetes release found at $KUBERNETES_REPO; set TO"
if [ "$FROM" = "$TO" ]; then
    say "$PACKAGE is generated from Kubernetes $FROM, the newest release: nothing to do"
    exit 0
fi

say "bumping $PACKAGE from Kubernetes $FROM to $TO"
status=0
# shellcheck disable=SC2086  # BUMP_COMMAND and BUMP_ARGS are word lists
$BUMP_COMMAND --from "$FROM" --to "$TO" --spec-source "$SPEC_SOURCE" \
    --package "$PACKAGE" --work "$WORK" ${BUMP_ARGS:-} || status=$?
case $status in
    0) label=compatible ;;
    10) label=breaking ;;
    *) say "bump failed (exit $status; the step is named above)"; exit "$status" ;;
esac

summary_field() {
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$WORK/summary.json" "$1"
}
version=$(summary_field version)
breaking=$(summary_field breaking)
title="Kubernetes $TO: regenerate $PACKAGE $version ($breaking breaking changes)"
branch="kubernetes-bump/v$TO"

# A pull request body holds 65,536 characters: a longer report is cut, and the
# whole one is in the pull request's files.
body="$WORK/pull-request.md"
limit=60000
if [ "$(wc -c < "$WORK/report.md")" -gt "$limit" ]; then
    head -c "$limit" "$WORK/report.md" > "$body"
    printf '\n\n(cut: the whole report is %s/%s-to-%s.md)\n' "$REPORT_DIR" "$FROM" "$TO" >> "$body"
else
    cp "$WORK/report.md" "$body"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "from=$FROM"
        echo "to=$TO"
        echo "version=$version"
        echo "label=$label"
        echo "exit-code=$status"
        echo "dist=$WORK/dist"
    } >> "$GITHUB_OUTPUT"
fi

if [ "$PR" = auto ]; then
    if [ "${GITHUB_ACTIONS:-}" = true ]; then PR=github; else PR=dry-run; fi
fi
case $PR in
    dry-run)
        say "dry run: would push branch $branch and open a pull request"
        say "dry run: title: $title"
        say "dry run: label: $label"
        say "dry run: body: $body"
        ;;
    github)
        command -v gh > /dev/null || die "gh (the GitHub CLI) is needed to open the pull request"
        if git ls-remote --exit-code --heads origin "$branch" > /dev/null; then
            say "branch $branch exists already on origin: its pull request is open; nothing pushed"
            exit "$status"
        fi
        base=${BASE_BRANCH:-$(git rev-parse --abbrev-ref HEAD)}
        git switch -c "$branch"
        echo "$TO" > "$STATE_FILE"
        mkdir -p "$REPORT_DIR"
        cp "$WORK/report.md" "$REPORT_DIR/$FROM-to-$TO.md"
        git add "$STATE_FILE" "$REPORT_DIR/$FROM-to-$TO.md"
        git -c user.name="github-actions[bot]" \
            -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
            commit --quiet -m "$title"
        git push --quiet origin "$branch"
        gh label create "$label" --force \
            --color "$([ "$label" = breaking ] && echo d73a4a || echo 0e8a16)" \
            --description "Kubernetes version bump: $label API changes" > /dev/null
        gh pr create --base "$base" --head "$branch" --title "$title" \
            --body-file "$body" --label "$label"
        ;;
    *) die "PR=$PR: use auto, github or dry-run" ;;
esac
exit "$status"
